"""Two real installations exchange their public postings both ways (沿黄交换)."""

from __future__ import annotations

import json

import requests
from sqlalchemy import func, select

from matchmaker.accounts.models import AuditLog
from matchmaker.accounts.policy import can
from matchmaker.exchange import services
from matchmaker.exchange.models import Partner
from matchmaker.postings.models import Need, Result
from tests import factories as f

SECRET_PHONE = "13812345678"
SECRET_EMAIL = "lab@b-province.cn"


def _seed_b(s):
    org = f.organization("高校", name="乙省理工大学", region="洛阳")
    public = f.result(
        "盐碱地小麦耐盐品种选育与栽培技术",
        field_name="现代农业",
        org=org,
        contact_name="王老师",
        contact_phone=SECRET_PHONE,
        contact_email=SECRET_EMAIL,
        keywords=["耐盐", "小麦"],
    )
    draft = f.result("尚未公开的草稿成果标题", field_name="现代农业", org=org, status="draft")
    need = f.need("黄河滩区农田节水灌溉自动控制", field_name="现代农业", contact_email=SECRET_EMAIL)
    s.commit()
    return public.id, draft.id, need.id


def _results(inst, **params):
    resp = requests.get(f"{inst.url}/api/v1/results", params=params, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def test_sync_both_ways_marks_origin_hides_contact_and_never_duplicates(linked):
    a, b = linked
    with b.ctx() as s:
        public_id, draft_id, need_id = _seed_b(s)
    with a.ctx() as s:
        f.result("黄河流域泥沙资源化利用制砖技术", field_name="现代农业")
        s.commit()

    with a.ctx() as s:
        report = services.sync_partner(s, s.scalar(select(Partner).where(Partner.code == "B")))
        s.commit()
        assert report.error is None and report.errors == []
        assert report.created == 2  # the public result and the need; the draft was withdrawn-unknown
        cursor = s.scalar(select(Partner.cursor).where(Partner.code == "B"))
        assert cursor > 0

    items = _results(a)
    imported = [i for i in items if i["origin"] == "B"]
    assert [i["title"] for i in imported] == ["盐碱地小麦耐盐品种选育与栽培技术"]
    assert [i["origin"] for i in items if i["origin"] != "B"] == [None]
    raw = json.dumps(items, ensure_ascii=False)
    assert SECRET_PHONE not in raw and SECRET_EMAIL not in raw and "草稿" not in raw
    assert imported[0]["origin_url"] == f"{b.url}/results/{public_id}"
    # the region filter / origin filter of the API
    assert [i["origin"] for i in _results(a, origin="B")] == ["B"]
    assert [i["origin"] for i in _results(a, origin="local")] == [None]

    # Both ways: B pulls A's own result, but never A's copy of B's postings (no echo).
    with b.ctx() as s:
        report = services.sync_partner(s, s.scalar(select(Partner).where(Partner.code == "A")))
        s.commit()
        assert (report.created, report.error) == (1, None)
        titles = s.scalars(select(Result.title).where(Result.origin == "A")).all()
        assert titles == ["黄河流域泥沙资源化利用制砖技术"]

    # A second sync adds nothing; the stored rows stay unique by (origin, origin id).
    with a.ctx() as s:
        partner = s.scalar(select(Partner).where(Partner.code == "B"))
        report = services.sync_partner(s, partner)
        s.commit()
        assert (report.created, report.updated) == (0, 0)
        partner.cursor = 0  # even a full replay from the start
        report = services.sync_partner(s, partner)
        s.commit()
        assert report.created == 0 and report.updated == 0
        assert s.scalar(select(func.count()).select_from(Result).where(Result.origin == "B")) == 1
        assert s.scalar(select(func.count()).select_from(Need).where(Need.origin == "B")) == 1
        imported_need = s.scalar(select(Need).where(Need.origin == "B"))
        assert imported_need.contact_email is None and imported_need.origin_id == str(need_id)
        assert (
            s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "exchange_sync"))
            == 3
        )

    # Edits and withdrawals travel too.
    with b.ctx() as s:
        s.get(Result, public_id).title = "盐碱地小麦耐盐品种选育与高产栽培技术"
        s.get(Need, need_id).status = "draft"
        s.commit()
    with a.ctx() as s:
        report = services.sync_partner(s, s.scalar(select(Partner).where(Partner.code == "B")))
        s.commit()
        assert (report.updated, report.withdrawn) == (1, 1)
        assert s.scalar(select(Need.status).where(Need.origin == "B")) == "closed"
    assert [i["title"] for i in _results(a, origin="B")] == ["盐碱地小麦耐盐品种选育与高产栽培技术"]

    # The export carries the origin as well (and still no contact of B's).
    runner = a.app.test_cli_runner()
    out = runner.invoke(args=["export", "-", "--kind", "result"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert {r.get("origin") for r in rows} == {None, "B"}
    assert SECRET_PHONE not in out.stdout


def test_imported_postings_are_read_only_and_searchable(linked):
    a, b = linked
    with b.ctx() as s:
        _seed_b(s)
    with a.ctx() as s:
        f.field("现代农业")
        admin = f.user("admin", email="admin-a@example.cn")
        s.commit()
        services.sync_all(s)
        s.commit()
        imported = s.scalar(select(Result).where(Result.origin == "B"))
        assert not can(admin, "edit", imported)
        imported_id = imported.id
    client = a.app.test_client()
    client.post("/login", data={"email": "admin-a@example.cn", "password": f.PASSWORD})
    resp = client.patch(f"/api/v1/results/{imported_id}", json={"title": "管理员也不能改别省的成果"})
    assert resp.status_code == 403
    found = client.get("/api/v1/search", query_string={"q": "耐盐小麦品种", "kind": "result"}).get_json()
    assert imported_id in [i["id"] for i in found["items"]]
    assert next(i for i in found["items"] if i["id"] == imported_id)["organization"] == "乙省理工大学［B］"


def test_cli_issue_key_add_partner_sync(pair):
    """The commands an operator types: issue-key on B, add-partner and sync on A."""
    a, b = pair
    with b.ctx() as s:
        _seed_b(s)
    with a.ctx() as s:
        f.field("现代农业")
        s.commit()
    out = b.app.test_cli_runner().invoke(args=["exchange", "issue-key", "A"])
    assert out.exit_code == 0, out.output
    key = out.stdout.strip().splitlines()[0]
    runner = a.app.test_cli_runner()
    out = runner.invoke(args=["exchange", "add-partner", "B", b.url, key])
    assert out.exit_code == 0, out.output
    out = runner.invoke(args=["exchange", "sync"])
    assert out.exit_code == 0, out.output
    assert "新增 2 条" in out.stdout
    out = runner.invoke(args=["exchange", "sync"])
    assert "新增 0 条" in out.stdout and out.exit_code == 0
    assert len([i for i in _results(a) if i["origin"] == "B"]) == 1
    out = runner.invoke(args=["exchange", "add-partner", "B", "ftp://x", key])
    assert out.exit_code != 0 and "http" in out.output


def test_worker_job_syncs_partners(linked):
    from matchmaker import jobs

    a, b = linked
    with b.ctx() as s:
        _seed_b(s)
    with a.ctx() as s:
        f.field("现代农业")
        s.commit()
    task = jobs.get_huey(a.app).matchmaker_tasks["exchange.sync"]
    assert task.call_local() == "已同步 1 个伙伴"
    with a.ctx() as s:
        assert s.scalar(select(func.count()).select_from(Result).where(Result.origin == "B")) == 1
