"""JSON API for postings."""
from matchmaker.api import bp  # noqa: F401
