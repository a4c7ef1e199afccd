"""CLI commands that live in their own modules (each registers itself in cli.py with one line)."""
