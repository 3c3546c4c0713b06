"""PTfC plans service."""
