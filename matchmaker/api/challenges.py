"""JSON API for challenges."""
from matchmaker.api import bp  # noqa: F401
