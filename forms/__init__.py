"""Scenario -> unified form: the pydantic model, its JSON Schema and bilingual messages."""
