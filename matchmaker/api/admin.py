"""JSON API for admin."""

from matchmaker.api import bp  # noqa: F401
