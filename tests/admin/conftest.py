"""Admin tests reuse the postings fixtures (taxonomy, one user per role)."""

from tests.postings.conftest import fields, people  # noqa: F401
