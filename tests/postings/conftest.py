"""Fixtures for postings tests: the seeded taxonomy, one user per role, sample files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from matchmaker.accounts.models import User
from matchmaker.config import PROJECT_ROOT
from matchmaker.postings.seed import seed_fields
from tests import factories

DATA = Path(__file__).parent / "data"
# Hashed once with few iterations: the default scrypt costs ~0.1 s per user on this machine.
FAST_HASH = generate_password_hash(factories.PASSWORD, "pbkdf2:sha256:1000")


def quick_user(db, role: str, org=None, **kw) -> User:
    """Like factories.user, without the slow password hash."""
    n = next(factories._seq)
    user = User(
        email=kw.pop("email", f"quick{n}@example.cn"),
        name=kw.pop("name", f"用户{n}"),
        role=role,
        organization=org or factories.organization(factories.ROLE_ORG[role]),
        password_hash=FAST_HASH,
        **kw,
    )
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def fields(db):
    """The 16 seeded fields (领域)."""
    seed_fields(db.session, PROJECT_ROOT / "seed_data" / "fields.json")
    db.session.commit()


@pytest.fixture
def people(db, fields):
    """One user per role; the researcher and the enterprise each have a colleague and a rival."""
    uni = factories.organization("高校", "郑州测试大学")
    other_uni = factories.organization("高校", "洛阳测试大学", region="洛阳")
    firm = factories.organization("企业", "郑州测试机械有限公司")
    other_firm = factories.organization("企业", "漯河测试食品有限公司", region="漯河")
    users = {
        "researcher": quick_user(db, "researcher", uni),
        "colleague": quick_user(db, "researcher", uni),
        "other_researcher": quick_user(db, "researcher", other_uni),
        "enterprise": quick_user(db, "enterprise", firm),
        "other_enterprise": quick_user(db, "enterprise", other_firm),
        "broker": quick_user(db, "broker"),
        "admin": quick_user(db, "admin"),
    }
    users["result"] = factories.result(org=uni, field_name="高端装备制造", contact_phone="0371-11112222")
    users["need"] = factories.need(org=firm, field_name="高端装备制造", contact_phone="13912345678")
    users["expert"] = factories.expert(org=uni, contact_phone="0371-33334444")
    db.session.commit()
    return users


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def seed_dir(tmp_path) -> Path:
    """A seed directory: the real fields and accounts plus the small test postings, experts, topics."""
    target = tmp_path / "seed"
    target.mkdir()
    for name in ("fields.json", "accounts.json"):
        shutil.copy(PROJECT_ROOT / "seed_data" / name, target / name)
    for name in ("postings.jsonl", "experts.jsonl", "topics.jsonl"):
        shutil.copy(DATA / name, target / name)
    return target


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def field_errors(resp) -> dict[str, str]:
    """The error shown beside each form field, by field name."""
    return dict(re.findall(r'data-field-error="(\w+)">([^<]+)<', resp.get_data(as_text=True)))
