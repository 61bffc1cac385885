"""The feed refuses what an active partner did not sign: unsigned, tampered, stale, replayed, revoked."""

from __future__ import annotations

import socket
import time

import requests
from sqlalchemy import func, select

from matchmaker.accounts.models import AuditLog
from matchmaker.exchange import services, signing
from matchmaker.exchange.models import Partner
from matchmaker.postings.models import Need, Result
from tests import factories as f

FEED = "/api/v1/exchange/feed"


def _key(inst, code="A"):
    with inst.ctx() as s:
        _, key = services.issue_key(s, code)
        s.commit()
    return signing.split_key(key)


def test_unsigned_and_wrongly_signed_requests_get_401(pair):
    _, b = pair
    key_id, secret = _key(b)
    resp = requests.get(f"{b.url}{FEED}?since=0", timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["field"] == "signature"

    wrong = signing.sign_headers(key_id, secret + "x", "GET", FEED, "since=0")
    assert requests.get(f"{b.url}{FEED}?since=0", headers=wrong, timeout=10).status_code == 401

    # A valid signature for since=0, sent with another query: tampered.
    headers = signing.sign_headers(key_id, secret, "GET", FEED, "since=0")
    assert requests.get(f"{b.url}{FEED}?since=5", headers=headers, timeout=10).status_code == 401

    stale_ts = str(int(time.time()) - signing.WINDOW_SECONDS - 60)
    stale = {
        signing.KEY_HEADER: key_id,
        signing.TIMESTAMP_HEADER: stale_ts,
        signing.NONCE_HEADER: "n" * 32,
        signing.SIGNATURE_HEADER: signing.signature(secret, "GET", FEED, "since=0", stale_ts, "n" * 32, b""),
    }
    resp = requests.get(f"{b.url}{FEED}?since=0", headers=stale, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["field"] == "timestamp"

    good = signing.sign_headers(key_id, secret, "GET", FEED, "since=0")
    assert requests.get(f"{b.url}{FEED}?since=0", headers=good, timeout=10).status_code == 200
    with b.ctx() as s:
        refused = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "exchange_refused")
        )
        served = s.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "exchange_feed")
        )
    assert (refused, served) == (4, 1)


def test_replayed_request_is_refused(pair):
    _, b = pair
    key_id, secret = _key(b)
    headers = signing.sign_headers(key_id, secret, "GET", FEED, "since=0")
    assert requests.get(f"{b.url}{FEED}?since=0", headers=headers, timeout=10).status_code == 200
    again = requests.get(f"{b.url}{FEED}?since=0", headers=headers, timeout=10)
    assert again.status_code == 401 and again.json()["error"]["field"] == "nonce"


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_partner_down_keeps_cursor_and_imports(linked):
    a, b = linked
    with b.ctx() as s:
        f.result("黄河鲤鱼工厂化循环水养殖技术", field_name="现代农业")
        s.commit()
    with a.ctx() as s:
        f.field("现代农业")
        partner = s.scalar(select(Partner).where(Partner.code == "B"))
        assert services.sync_partner(s, partner).created == 1
        s.commit()
        cursor = partner.cursor
        partner.base_url = f"http://127.0.0.1:{_closed_port()}"
        s.commit()
    out = a.app.test_cli_runner().invoke(args=["exchange", "sync", "B"])
    assert out.exit_code != 0
    assert "无法连接伙伴 B" in out.output and "游标停在失败之前" in out.output
    with a.ctx() as s:
        partner = s.scalar(select(Partner).where(Partner.code == "B"))
        assert partner.cursor == cursor and "无法连接" in partner.last_error
        assert s.scalar(select(Result.status).where(Result.origin == "B")) == "published"


def test_malformed_items_are_reported_and_the_rest_lands(linked):
    a, b = linked
    with b.ctx() as s:
        f.result("黄河滩区光伏治沙一体化技术", field_name="新能源")
        f.result("引黄灌区智能配水调度系统", field_name="现代农业")
        s.commit()
    with a.ctx() as s:
        f.field("现代农业")  # A has no 新能源 in its taxonomy: that item is malformed for A
        partner = s.scalar(select(Partner).where(Partner.code == "B"))
        report = services.sync_partner(s, partner)
        s.commit()
        assert report.created == 1 and report.error is None
        assert [(e["field"], e["kind"]) for e in report.errors] == [("field", "result")]
        assert partner.item_errors[-1]["message"].startswith("领域“新能源”")

        # Garbage straight into a batch: each bad item is reported, the good one lands.
        good = {
            "op": "upsert",
            "kind": "need",
            "ref": "77",
            "posting": {
                "title": "引黄灌区泥沙清淤设备",
                "description": "需要高效低耗的清淤设备与方案",
                "field": "现代农业",
                "status": "open",
            },
        }
        bad = [
            "not an object",
            {"op": "explode", "kind": "result", "ref": "1"},
            {
                "op": "upsert",
                "kind": "result",
                "ref": "2",
                "posting": {"title": "缺少描述的成果", "field": "现代农业", "status": "published"},
            },
            {
                "op": "upsert",
                "kind": "result",
                "ref": "3",
                "posting": {
                    "title": "草稿状态的成果",
                    "description": "不应导入的草稿条目",
                    "field": "现代农业",
                    "status": "draft",
                },
            },
            {"op": "upsert", "kind": "expert", "ref": "4"},
        ]
        report = services.SyncReport()
        services.apply_page(s, partner, [bad[0], bad[1], good, *bad[2:]], report)
        s.commit()
        assert report.created == 1
        assert [e["field"] for e in report.errors] == ["item", "op", "description", "status", "kind"]
        assert s.scalar(select(Need.title).where(Need.origin == "B")) == "引黄灌区泥沙清淤设备"


def test_revocation_withdraws_imported_postings_and_closes_the_feed(linked):
    a, b = linked
    with b.ctx() as s:
        f.result("黄河鲤鱼工厂化循环水养殖技术", field_name="现代农业")
        s.commit()
    with a.ctx() as s:
        f.field("现代农业")
        services.sync_all(s)
        s.commit()
    listed = requests.get(f"{a.url}/api/v1/results", params={"origin": "B"}, timeout=10).json()["items"]
    assert len(listed) == 1
    out = a.app.test_cli_runner().invoke(args=["exchange", "revoke", "B"])
    assert out.exit_code == 0 and "撤下 1 条" in out.output
    assert requests.get(f"{a.url}/api/v1/results", params={"origin": "B"}, timeout=10).json()["items"] == []
    with a.ctx() as s:
        assert s.scalar(select(Result.status).where(Result.origin == "B")) == "archived"

    # B revokes A's key: A's next sync is refused with a clear error.
    with b.ctx() as s:
        services.revoke(s, "A")
        s.commit()
    with a.ctx() as s:
        services.issue_key(s, "B")  # re-activates B on A's side; B still refuses A
        partner = s.scalar(select(Partner).where(Partner.code == "B"))
        partner.revoked_at = None
        report = services.sync_partner(s, partner)
        s.commit()
        assert "401" in report.error
