"""The whole app on Milvus (整站切换到 Milvus): with MATCHMAKER_VECTOR_STORE set, the pipeline
writes to milvus-lite, API search and need matches read from it, `index verify` checks it
and /healthz reports it; with Milvus unreachable the site still serves postings and says
search is degraded (pages 200, API 503), and the change log keeps the work pending."""

from __future__ import annotations

import itertools

import pytest
from flask import g

from matchmaker import pipeline
from matchmaker.extensions import db as _db
from matchmaker.matching.engine import get_engine
from matchmaker.matching.store_view import maintain_job
from tests import factories as f
from tests.conftest import _empty_tables, make_test_app

_prefixes = itertools.count()
UNREACHABLE = "milvus://127.0.0.1:9"
RESULT = {
    "title": "数控机床主轴热误差建模与实时补偿",
    "description": "建立主轴温升与热伸长的模型，实时补偿机床加工尺寸随温度的漂移。",
    "field": "高端装备制造",
    "keywords": ["热误差", "数控机床"],
}


@pytest.fixture(scope="module")
def milvus_file(tmp_path_factory):
    """One milvus-lite database for the module (its server is slow to start)."""
    pytest.importorskip("milvus_lite")
    return tmp_path_factory.mktemp("app-milvus") / "app.db"


@pytest.fixture
def store_url(milvus_file):
    return f"milvus-lite://{milvus_file}?prefix=app{next(_prefixes)}_"


@pytest.fixture
def app(database_url, _schema, tmp_path, store_url):
    """The shared `app`, configured for the store under test."""
    app = make_test_app(database_url, tmp_path, VECTOR_STORE=store_url, VECTOR_STORE_TIMEOUT=1.0)

    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)

    with app.app_context():
        yield app
        _db.session.remove()
        _empty_tables()


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return [item["id"] for item in resp.get_json()["items"]]


def test_postings_written_searched_verified_and_deleted_through_milvus(app, client, login, milvus_file):
    f.field("高端装备制造")
    owner = f.user("researcher")
    need = f.need("同一台机床上午和下午加工的零件尺寸不一样", keywords=["热误差"])
    _db.session.commit()  # the pipeline (inline) writes the need to Milvus
    login(owner)
    created = client.post("/api/v1/results", json=RESULT)
    assert created.status_code == 201, created.get_data(as_text=True)
    rid = created.get_json()["internal_id"]

    engine = get_engine(app)
    assert engine.store_url.startswith("milvus-lite://") and milvus_file.exists()
    assert pipeline.lag(_db.session)["pending"] == 0
    assert engine.store.ids("result").tolist() == [rid]  # in Milvus, not in embedded files
    assert not (app.config["INDEX_DIR"] / "result.index.npz").exists()

    visitor = app.test_client()  # search leaves out the asker's own organisation
    assert rid in _ids(visitor.get("/api/v1/search", query_string={"q": "机床热误差补偿"}))
    assert rid in _ids(visitor.get(f"/api/v1/needs/{need.id}/matches"))
    health = visitor.get("/healthz").get_json()
    assert health["store"] == {"backend": "milvus-lite", "available": True}
    assert health["counts"]["result"] == {"database": 1, "index": 1}

    assert client.delete(f"/api/v1/results/{rid}").status_code == 204
    assert rid not in _ids(visitor.get("/api/v1/search", query_string={"q": "机床热误差补偿"}))
    assert engine.store.ids("result").tolist() == []
    verify = app.test_cli_runner().invoke(args=["index", "verify"])
    assert verify.exit_code == 0, verify.output
    assert "milvus-lite://" in verify.output and "偏差合计：0" in verify.output


def test_verify_fix_repairs_drift_in_milvus(app, db):
    result = f.result("自动导引车二维码导航抗丢码技术")
    db.session.commit()
    engine = get_engine(app)
    engine.store.delete("result", [result.id])  # the store lost a posting
    runner = app.test_cli_runner()
    out = runner.invoke(args=["index", "verify", "--kind", "result"])
    assert out.exit_code == 1 and "缺失 1" in out.output
    out = runner.invoke(args=["index", "verify", "--kind", "result", "--fix"])
    assert out.exit_code == 0, out.output
    assert engine.store.ids("result").tolist() == [result.id]
    assert "milvus-lite" in maintain_job(db.session)  # the worker's scheduled flush + compaction


@pytest.mark.parametrize("store_url", [UNREACHABLE])
def test_unreachable_milvus_degrades_search_and_keeps_changes_pending(app, client, db):
    need = f.need("同一台机床上午和下午加工的零件尺寸不一样")
    result = f.result("数控机床主轴热误差建模与实时补偿")
    db.session.commit()  # the inline pipeline cannot write: the change log keeps the rows
    assert pipeline.lag(db.session)["pending"] == 2

    listing = client.get("/results")
    assert listing.status_code == 200 and result.title in listing.get_data(as_text=True)
    for url in ("/matching/?q=机床热误差", f"/needs/{need.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "搜索服务已降级" in page.get_data(as_text=True), url

    for url in ("/api/v1/search?q=机床热误差", f"/api/v1/needs/{need.id}/matches"):
        resp = client.get(url)
        assert resp.status_code == 503, url
        error = resp.get_json()["error"]
        assert error["field"] == "store" and error["store"] == "milvus"
        assert "Milvus 向量库暂时无法连接" in error["message"]
    assert client.get("/api/v1/results").status_code == 200

    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["store"]["available"] is False
    assert health["counts"]["result"]["index"] is None
    verify = app.test_cli_runner().invoke(args=["index", "verify"])
    assert verify.exit_code != 0 and "无法连接 Milvus" in verify.output
