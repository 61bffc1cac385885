"""roadshow models (filled in by its feature)."""
