"""JSON API for review."""
from matchmaker.api import bp  # noqa: F401
