"""技术就绪度 on results: validation, form, filter, labels and the maturity mapping."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matchmaker.config import PROJECT_ROOT
from matchmaker.errors import DomainError
from matchmaker.postings.services import clean_trl
from tests import factories as f


@pytest.mark.parametrize("value", ["0", "10", "3.5", "高", True, -1])
def test_clean_trl_rejects_levels_outside_one_to_nine(value):
    with pytest.raises(DomainError) as exc:
        clean_trl(value)
    assert exc.value.field == "trl"


def test_trl_defaults_from_maturity_and_can_be_set_and_filtered(app, db, client, login):
    owner = f.user("researcher")
    login(owner)
    base = {
        "title": "小麦抗病分子标记新方法",
        "description": "利用分子标记快速鉴定抗病基因的新方法。",
        "field": "种业创新",
    }
    f.field("种业创新")
    db.session.commit()
    r1 = client.post("/api/v1/results", json=base | {"maturity": "中试"}).get_json()
    assert r1["trl"] == 6
    r2 = client.post(
        "/api/v1/results",
        json=base
        | {"title": "玉米单倍体快速诱导", "maturity": "小试", "trl": 5, "trl_evidence": "第三方检测"},
    ).get_json()
    assert (r2["trl"], r2["trl_evidence"]) == (5, "第三方检测")
    bad = client.post("/api/v1/results", json=base | {"maturity": "小试", "trl": 12})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "trl"
    titles = {i["title"] for i in client.get("/api/v1/results?trl_min=6").get_json()["items"]}
    assert titles == {"小麦抗病分子标记新方法"}
    page = client.get(f"/results/{r2['internal_id']}").get_data(as_text=True)
    assert "TRL 5 级" in page and "第三方检测" in page
    form = client.get(f"/results/{r2['internal_id']}/edit").get_data(as_text=True)
    assert 'name="trl"' in form and 'name="trl_evidence"' in form


def test_labelled_providers_serve_the_stage_of_their_result():
    """A label the stage filter would exclude would be a wrong label, not a ranking miss."""
    import json

    from matchmaker.constants import MATURITY_TRL

    seed = PROJECT_ROOT / "seed_data"
    results = {}
    for line in (seed / "postings.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        if d["kind"] == "result":
            results[d["id"]] = d
    providers = {
        json.loads(x)["id"]: json.loads(x) for x in (seed / "providers.jsonl").open(encoding="utf-8")
    }
    rows = list(
        csv.reader(Path(seed / "eval/chain/provider_qrels.tsv").open(encoding="utf-8"), delimiter="\t")
    )
    assert len({r[0] for r in rows}) >= 30
    for rid, pid, grade in rows:
        trl = MATURITY_TRL[results[rid]["maturity"]]
        p = providers[pid]
        assert p["stage_from"] <= trl <= p["stage_to"], (rid, pid)
        assert grade in ("1", "2")
