"""Input limits (输入限制): oversized ids and pages are 4xx, control characters and
non-string ids are field errors, and bodies above MAX_CONTENT_LENGTH are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matchmaker.postings.models import Result
from tests import factories as f

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/results/{HUGE}",
        "/api/v1/results/2147483648",
        f"/api/v1/results/{HUGE}/matches",
        f"/api/v1/needs/{HUGE}/matches",
        f"/api/v1/matches/{HUGE}",
        f"/api/v1/results?page={HUGE}",
        "/api/v1/results?page=2147483648",
        f"/results?page={HUGE}",
        f"/results/{HUGE}",
        "/results/2147483648",
        f"/needs/{HUGE}",
        f"/review/match/{HUGE}",
        f"/admin/audit?page={HUGE}",
        f"/api/v1/search?q=机床&top={HUGE}",
    ],
)
def test_oversized_numbers_answer_4xx(as_user, db, path):
    admin = f.user("admin")
    db.session.commit()
    for c in (as_user(None), as_user(admin)):
        resp = c.get(path)
        assert 400 <= resp.status_code < 500, (path, resp.status_code)


def test_nul_in_a_title_is_a_field_error(as_user, db):
    researcher = f.user("researcher")
    f.field("高端装备制造")
    db.session.commit()
    resp = as_user(researcher).post(
        "/api/v1/results",
        json={
            "title": "数控机床\x00主轴热误差补偿",
            "description": "热误差建模与补偿" * 5,
            "field": "高端装备制造",
        },
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "title"
    assert db.session.scalar(select(Result)) is None


def test_control_character_in_a_form_is_refused(as_user, db):
    researcher = f.user("researcher")
    f.field("高端装备制造")
    db.session.commit()
    resp = as_user(researcher).post(
        "/results/new", data={"title": "数控机床\x01主轴", "description": "x" * 30, "field": "高端装备制造"}
    )
    assert resp.status_code == 400
    assert "title" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Result)) is None


def test_non_string_id_is_refused(as_user, db):
    researcher = f.user("researcher")
    f.field("高端装备制造")
    db.session.commit()
    resp = as_user(researcher).post(
        "/api/v1/results",
        json={
            "id": {"a": 1},
            "title": "数控机床主轴热误差补偿",
            "description": "热误差建模与补偿" * 5,
            "field": "高端装备制造",
        },
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "id"


def test_request_size_limit(as_user, db, app):
    researcher = f.user("researcher")
    db.session.commit()
    big = b'{"title": "' + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    resp = as_user(researcher).post("/api/v1/results", data=big, content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["error"]["status"] == 413
