"""onego CLI command groups, each a typer sub-app attached in cli.py."""
