"""Provider fixtures: the real seed files loaded into the test database (fields, postings,
providers, scenarios), committed so the hooks index them with the real model."""

from __future__ import annotations

import json

import pytest

from matchmaker.config import PROJECT_ROOT
from matchmaker.extensions import db as _db

SEED = PROJECT_ROOT / "seed_data"


@pytest.fixture
def seeded(app):
    """fields, the seeded postings (results and needs), providers and scenarios."""
    from matchmaker.postings.importer import import_postings
    from matchmaker.postings.seed import seed_fields
    from matchmaker.providers.seed import seed as seed_providers
    from matchmaker.scenarios.seed import seed as seed_scenarios

    seed_fields(_db.session, SEED / "fields.json")
    with (SEED / "postings.jsonl").open(encoding="utf-8") as fh:
        import_postings(_db.session, fh)
    seed_providers(_db.session, SEED)
    seed_scenarios(_db.session, SEED)
    _db.session.commit()
    return app


@pytest.fixture
def seeded_results():
    return [
        json.loads(line) for line in (SEED / "postings.jsonl").open(encoding="utf-8") if '"result"' in line
    ]
