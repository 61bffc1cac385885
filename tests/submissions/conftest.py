"""防重复提交 tests count records, not matches: leave indexing to a worker that never runs here
(each posting would otherwise be embedded on commit), so the dozen form cases stay fast."""

import pytest

from tests.postings.conftest import fields, people  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _no_inline_indexing(app):
    app.config["JOBS"] = "worker"
