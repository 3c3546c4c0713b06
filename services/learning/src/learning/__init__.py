"""PTfC learning service."""
