"""JSON API for roadshow."""
from matchmaker.api import bp  # noqa: F401
