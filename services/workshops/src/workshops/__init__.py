"""PTfC workshops service."""
