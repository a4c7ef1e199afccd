"""CLI commands that live in their own modules (each registers with one line in cli.py)."""
