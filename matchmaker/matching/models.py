"""matching models (filled in by its feature)."""
