"""Click commands for postings."""
from flask import Flask


def register(app: Flask) -> None:
    """Add this feature's commands to `flask --app matchmaker`."""
