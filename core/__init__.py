"""Cross-cutting pieces: settings, security, the Temporal client, the calendar."""
