"""JSON API for matching."""
from matchmaker.api import bp  # noqa: F401
