"""Fixtures for 成果登记汇交: a university researcher, the provincial admin, a complete filing."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def university(db):
    return f.organization("高校", name="郑州测试大学")


@pytest.fixture
def researcher(db, university):
    return f.user("researcher", org=university)


@pytest.fixture
def admin(db):
    return f.user("admin")


@pytest.fixture
def complete():
    """complete(**overrides): the body of a complete filing."""
    f.field("现代农业")

    def _data(**kw):
        data = {
            "title": "高效低耗小麦秸秆还田机具",
            "summary": "针对黄淮海小麦玉米轮作区秸秆还田难题，研制低功耗粉碎还田机具，作业效率提升三成。",
            "keywords": ["秸秆还田", "农机"],
            "programme": "河南省重点研发专项",
            "project_no": "241111110100",
            "project_name": "秸秆高效还田关键技术与装备",
            "completers": ["张三", "李四"],
            "category": "应用技术",
            "field": "现代农业",
            "trl": 6,
            "patents": [{"number": "ZL202310000001.2", "status": "已授权"}],
            "transfer_intention": "许可",
            "acceptance_date": "2026-06-30",
        }
        data.update(kw)
        return data

    return _data


@pytest.fixture
def as_client(app):
    """as_client(user) -> a fresh test client signed in as that user (None: anonymous)."""
    from tests.factories import PASSWORD

    def _client(user=None):
        c = app.test_client()
        if user is not None:
            resp = c.post("/login", data={"email": user.email, "password": PASSWORD})
            assert resp.status_code == 302
        return c

    return _client
