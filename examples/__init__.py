"""Examples outside the platform: systems it talks to."""
