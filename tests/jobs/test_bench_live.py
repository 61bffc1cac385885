"""`python -m matchmaker.bench live` measures both designs and ends with one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.jobs.conftest import ROOT

KEYS = {
    "postings",
    "edit_request_ms_p95",
    "edit_bytes_written",
    "worker_ms_per_edit",
    "freshness_s_p95",
    "search_ms_p95_idle",
    "search_ms_p95_under_writes",
    "rss_mb_worker_max",
    "pss_mb_workers_total",
}


def test_bench_live_small_prints_both_designs_as_json():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "matchmaker.bench",
            "live",
            "--size",
            "300",
            "--readers",
            "3",
            "--edits",
            "5",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert KEYS <= set(report) and KEYS <= set(report["baseline"])
    assert report["postings"] == 300 and report["readers"] == 3
    assert report["freshness_missed"] == 0 and report["baseline"]["freshness_missed"] == 0
    # an edit writes a segment, the baseline the whole file
    assert report["edit_bytes_written"] * 10 < report["baseline"]["edit_bytes_written"]
    assert report["worker_ms_per_edit"] > 0 and report["baseline"]["worker_ms_per_edit"] is None
