"""PTfC notifications service."""
