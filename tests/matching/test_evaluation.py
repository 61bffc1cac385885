"""`flask evaluate` on a small labelled fixture, and the metric definitions."""

from __future__ import annotations

import json
import math
from pathlib import Path

from matchmaker.matching.evaluation import metrics

DATA = Path(__file__).parent / "data"


def test_metric_definitions():
    qrels = {"N1": {"A": 2, "B": 1}, "N2": {"C": 1}, "N3": {"X": 0}}
    rankings = {"N1": ["B", "Z", "A"], "N2": ["Y"] * 10 + ["C"]}
    m = metrics(rankings, qrels)
    dcg = 1 / math.log2(2) + 3 / math.log2(4)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert m["needs"] == 2  # N3 has no relevant result
    assert m["ndcg@10"] == round((dcg / idcg + 0) / 2, 4)
    assert m["recall@10"] == 0.5
    assert m["mrr@10"] == 0.5


def test_evaluate_command_on_fixture(app):
    runner = app.test_cli_runner()
    args = [
        "evaluate",
        "--needs",
        str(DATA / "needs.jsonl"),
        "--results",
        str(DATA / "results.jsonl"),
        "--qrels",
        str(DATA / "qrels.tsv"),
    ]
    out = runner.invoke(args=args + ["--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output.strip().splitlines()[-1])
    assert set(data) == {"hybrid", "bm25", "dense"}
    for name, mode in data.items():
        assert set(mode) == {"ndcg@10", "recall@10", "mrr@10"} | ({"ece"} if name == "hybrid" else set())
        assert all(0 <= v <= 1 for v in mode.values())
    # every relevant result is in the top 10 and every need's first relevant one in its top 2
    # (the field bonus fitted on dev lifts one same-field distractor above one grade-2 result here)
    assert data["hybrid"]["recall@10"] == 1.0 and data["hybrid"]["mrr@10"] >= 0.875
    assert data["hybrid"]["ndcg@10"] >= 0.85
    assert 0 <= data["hybrid"]["ece"] <= 1
    text = runner.invoke(args=args)
    assert text.exit_code == 0 and "hybrid" in text.output and "nDCG@10" in text.output


def test_evaluate_reports_bad_input_in_chinese(app, tmp_path):
    bad = tmp_path / "needs.jsonl"
    bad.write_text('{"id": "X1", "title": "缺少 kind"}\n', encoding="utf-8")
    runner = app.test_cli_runner()
    out = runner.invoke(
        args=[
            "evaluate",
            "--needs",
            str(bad),
            "--results",
            str(DATA / "results.jsonl"),
            "--qrels",
            str(DATA / "qrels.tsv"),
        ]
    )
    assert out.exit_code != 0 and "导入评测数据失败" in out.output and "第 1 行" in out.output
    qrels = tmp_path / "q.tsv"
    qrels.write_text("TN1 TR1\n", encoding="utf-8")
    out = runner.invoke(
        args=[
            "evaluate",
            "--needs",
            str(DATA / "needs.jsonl"),
            "--results",
            str(DATA / "results.jsonl"),
            "--qrels",
            str(qrels),
        ]
    )
    assert out.exit_code != 0 and "qrels 第 1 行" in out.output
