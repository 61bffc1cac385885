"""`python -m matchmaker.bench live [--size N] [--json]`: the live index under edits.

The same run measures the incremental design (change log → worker → delta segments, readers
catching up from segments, BM25 updated in place) and the whole-file baseline (the edit's
commit embeds and rewrites the whole index file; every other process reloads the whole
file and rebuilds BM25 when the file changes).

What is real and what is synthetic: the database (SQLite in a temporary folder), the edit
commits, the change log, the worker's drain with the real embedding model, the segment and
file writes, and 3 reader processes running the web workers' `Engine`/`PostingIndex` code
are all real. The corpus vectors are synthetic (random unit vectors) and the tokens are
drawn from a fixed vocabulary, so a 100,000-posting corpus builds in minutes; readers search
with a synthetic query vector plus BM25 tokens (query embedding costs the same in both
designs and is left out).

The last line of stdout is one JSON object (with `--json`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

EDITS = 20  # edits measured per design
RATE = 5.0  # edits per second while readers search
VOCAB = [f"词{i}" for i in range(5000)]


def pct(values, p: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), p)) if len(values) else float("nan")


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


# ---- reader processes (what each web worker does) -------------------------------------------
def reader(index_dir: str, mode: str, dim: int, queue, control, ready) -> None:
    """Load the index, then: search in a loop, recording latency; poll for expected hashes
    ({id: hash} sent by the parent) and report when each became visible."""
    from matchmaker.matching.index import PostingIndex

    path = Path(index_dir) / "result.index.npz"
    idx = PostingIndex.load(path)
    idx.catch_up(Path(index_dir)) if mode == "live" else None
    idx._ensure_bm25()
    mtime = path.stat().st_mtime_ns
    rng = np.random.default_rng(os.getpid())
    proc = psutil.Process()
    ready.put(os.getpid())
    expected: dict[int, str] = {}
    latencies: list[float] = []
    seen: list[tuple[int, float]] = []
    phase = "idle"
    while True:
        while not control.empty():
            msg = control.get()
            if msg[0] == "expect":
                expected[msg[1]] = msg[2]
            elif msg[0] == "phase":
                queue.put(("latency", os.getpid(), phase, latencies))
                phase, latencies = msg[1], []
            elif msg[0] == "stop":
                mem = proc.memory_full_info()
                queue.put(("latency", os.getpid(), phase, latencies))
                queue.put(("seen", os.getpid(), seen))
                queue.put(("mem", os.getpid(), mem.rss / 2**20, mem.pss / 2**20))
                return
        # catch up, the way Engine.index() does before every search
        if mode == "live":
            idx.catch_up(Path(index_dir))
        else:
            m = path.stat().st_mtime_ns
            if m != mtime:
                idx = PostingIndex.load(path)
                idx._ensure_bm25()
                mtime = m
        for i, h in list(expected.items()):
            if idx.hashes.get(i) == h:
                seen.append((i, time.time()))
                expected.pop(i)
        q = rng.normal(size=dim).astype(np.float32)
        q /= np.linalg.norm(q)
        terms = list(rng.choice(VOCAB, size=3))
        t0 = time.perf_counter()
        idx.dense_search(q, 50)
        idx.bm25_scores(terms)
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.01)


# ---- corpus --------------------------------------------------------------------------------
def build(app, size: int, dim: int, seed: int = 0) -> None:
    """Insert `size` results in bulk and build their index from synthetic vectors."""
    from matchmaker.accounts.models import Organization
    from matchmaker.extensions import db, utcnow
    from matchmaker.matching.engine import get_engine
    from matchmaker.matching.index import PostingIndex, text_hash
    from matchmaker.postings.models import Field, Result
    from matchmaker.text import tokenize

    rng = np.random.default_rng(seed)
    with app.app_context():
        db.create_all()
        org = Organization(name="基准测试大学", type="高校", region="郑州")
        field = Field(name="基准领域")
        db.session.add_all([org, field])
        db.session.commit()
        eng = get_engine(app)
        idx = PostingIndex("result", eng.model, dim, eng.ann_threshold)
        now = utcnow()
        for start in range(0, size, 10000):
            n = min(10000, size - start)
            rows, ids, hashes, tokens = [], [], [], []
            for k in range(n):
                i = start + k + 1
                words = list(rng.choice(VOCAB, size=12))
                title = "".join(words[:4])
                desc = " ".join(words)
                rows.append(
                    dict(
                        id=i,
                        external_id=f"B{i:07d}",
                        title=title,
                        description=desc,
                        field_id=field.id,
                        keywords=[],
                        patent_numbers=[],
                        transfer_modes=[],
                        status="published",
                        organization_id=org.id,
                        created_at=now,
                        updated_at=now,
                    )
                )
            db.session.execute(Result.__table__.insert(), rows)
            db.session.commit()
            objs = db.session.query(Result).filter(Result.id > start, Result.id <= start + n).all()
            for obj in objs:
                ids.append(obj.id)
                hashes.append(text_hash(obj.text))
                tokens.append(tokenize(obj.text))
            vecs = rng.normal(size=(len(ids), dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            idx.upsert(ids, vecs, hashes, tokens)
            db.session.expunge_all()
        idx.restructure(force=True)  # IVF trained on the whole corpus, as a rebuild would
        idx.save(eng.index_dir)


def _edit(app, i: int, n: int):
    """One edit through the ORM, committed as a request would; returns (ms, new text)."""
    from matchmaker.extensions import db
    from matchmaker.postings.models import Result

    with app.app_context():
        obj = db.session.get(Result, i)
        obj.description = f"{obj.description} 第{n}次修改 储能 电池"
        t0 = time.perf_counter()
        db.session.commit()
        ms = (time.perf_counter() - t0) * 1000
        text = obj.text
        db.session.remove()
        return ms, text


def run_design(app, mode: str, size: int, dim: int, readers: int, edits: int = EDITS) -> dict:
    from matchmaker import pipeline
    from matchmaker.matching.engine import get_engine
    from matchmaker.matching.index import text_hash

    eng = get_engine(app)
    ctx = mp.get_context("spawn")
    queue, ready = ctx.Queue(), ctx.Queue()
    controls = [ctx.Queue() for _ in range(readers)]
    procs = [
        ctx.Process(target=reader, args=(str(eng.index_dir), mode, dim, queue, c, ready), daemon=True)
        for c in controls
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=1800)
    time.sleep(3)  # idle searches
    for c in controls:
        c.put(("phase", "writes"))
    rng = np.random.default_rng(1 if mode == "live" else 2)
    targets = [int(x) for x in rng.choice(np.arange(1, size + 1), size=edits, replace=False)]
    request_ms, worker_ms, committed, written = [], [], {}, []
    eng.index("result")
    for n, i in enumerate(targets):
        started = time.perf_counter()
        before = dir_bytes(eng.index_dir)
        if mode == "live":
            ms, text = _edit(app, i, n)  # JOBS=worker: the commit logs the change and wakes the worker
            request_ms.append(ms)
            t_commit = time.time()
            t0 = time.perf_counter()
            pipeline.drain(app)  # what the worker does for this edit
            worker_ms.append((time.perf_counter() - t0) * 1000)
        else:
            ms, text = _edit(app, i, n)
            t0 = time.perf_counter()
            # today's design: the committing request embeds and rewrites the whole file
            with app.app_context():
                idx = eng.index("result")
                vec = eng.embed([text])
                from matchmaker.text import tokenize

                idx.upsert([i], vec, [text_hash(text)], [tokenize(text)])
                eng.save("result")
            request_ms.append(ms + (time.perf_counter() - t0) * 1000)
            t_commit = time.time()
        written.append(
            max(dir_bytes(eng.index_dir) - before, 0) if mode == "live" else eng.path("result").stat().st_size
        )
        committed[i] = t_commit
        for c in controls:
            c.put(("expect", i, text_hash(text)))
        time.sleep(max(0.0, 1 / RATE - (time.perf_counter() - started)))
    time.sleep(3)
    for c in controls:
        c.put(("stop",))
    lat, fresh, rss, pss = {"idle": [], "writes": []}, [], [], []
    pending = readers * 4  # idle latencies, write-phase latencies, seen, memory
    while pending:
        msg = queue.get(timeout=600)
        pending -= 1
        if msg[0] == "latency":
            lat[msg[2]].extend(msg[3])
        elif msg[0] == "seen":
            fresh.extend(t - committed[i] for i, t in msg[2])
        else:
            rss.append(msg[2])
            pss.append(msg[3])
    for p in procs:
        p.join(timeout=30)
    missing = edits * readers - len(fresh)
    return {
        "postings": size,
        "edit_request_ms_p95": round(pct(request_ms, 95), 2),
        "edit_bytes_written": int(np.mean(written)),
        "worker_ms_per_edit": round(float(np.mean(worker_ms)), 2) if worker_ms else None,
        "freshness_s_p50": round(pct(fresh, 50), 3),
        "freshness_s_p95": round(pct(fresh, 95), 3) if not missing else None,
        "freshness_missed": missing,
        "search_ms_p95_idle": round(pct(lat["idle"], 95), 2),
        "search_ms_p95_under_writes": round(pct(lat["writes"], 95), 2),
        "rss_mb_worker_max": round(max(rss), 1),
        "pss_mb_workers_total": round(sum(pss), 1),
        "readers": readers,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m matchmaker.bench live")
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--edits", type=int, default=EDITS, help="每种设计测量的修改次数")
    parser.add_argument("--json", action="store_true", help="最后一行输出一个 JSON 对象")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from matchmaker import create_app
    from matchmaker.matching import embeddings

    dim = embeddings.dimension(None)
    out = {}
    for mode in ("live", "baseline"):
        tmp = Path(tempfile.mkdtemp(prefix=f"mm-bench-{mode}-"))
        try:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                    "SECRET_KEY": "bench",
                    "INSTANCE_PATH": tmp / "instance",
                    "INDEX_DIR": tmp / "indexes",
                    "JOBS": "worker" if mode == "live" else "off",
                    "AUTO_PROPOSE": False,
                    "QUEUE_FILE": tmp / "huey.db",
                }
            )
            t0 = time.perf_counter()
            build(app, args.size, dim)
            print(f"[{mode}] 建立 {args.size} 条语料：{time.perf_counter() - t0:.1f} s", flush=True)
            if mode == "baseline":
                from matchmaker.extensions import db
                from matchmaker.matching.models import IndexChange

                with app.app_context():  # the baseline has no change log consumer
                    db.session.query(IndexChange).delete()
                    db.session.commit()
            res = run_design(app, mode, args.size, dim, args.readers, args.edits)
            print(f"[{mode}] {json.dumps(res, ensure_ascii=False)}", flush=True)
            out[mode] = res
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    report = {
        **out["live"],
        "baseline": out["baseline"],
        "machine": f"{os.cpu_count()} CPU",
        "date": time.strftime("%Y-%m-%d"),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return report
