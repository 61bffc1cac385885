"""Matching benchmark (`make bench`): indexing throughput, query latency, memory, and the
CSL keywords→abstract check, each beside a naive baseline measured in the same process.

Corpora: the 2,000 real CSL abstracts in ../shared/eval/csl when present (else the
project's seed_data/), recombined and varied into 10k and 100k postings. Embedding 100k
postings with e5 takes hours on 2 cores, so — as the issue allows — the 10k/100k search
corpora reuse the real embeddings of the source texts with small Gaussian perturbations;
indexing throughput is measured on its own with real embedding of a sample.

Naive baseline: rank_bm25 (BM25Okapi) over the same jieba tokens plus brute-force numpy
cosine over all vectors, fused the same way. Production: bm25s + FAISS (flat below
ANN_THRESHOLD, IVF above) through the production ranker, SQL filtering included.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import random
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from matchmaker.config import PROJECT_ROOT

SIZES = tuple(int(s) for s in os.environ.get("MATCHMAKER_BENCH_SIZES", "10000,100000").split(","))
QUERIES = 200  # latency samples per size for the production path
BASELINE_QUERIES = 10  # naive queries per size (each takes up to seconds at 100k)
THROUGHPUT_SAMPLE = 128
NOISE = 0.012  # per-dimension σ of the perturbation (cosine to the source ≈ 0.97)
CACHE = PROJECT_ROOT / "instance" / "bench-cache"


# ---- source texts ----------------------------------------------------------------------
def load_sources() -> tuple[list[dict], str]:
    shared = Path(os.environ.get("MATCHMAKER_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
    csl = shared / "eval" / "csl" / "papers.jsonl"
    if csl.exists():
        rows = [json.loads(line) for line in csl.read_text("utf-8").splitlines() if line.strip()]
        return [
            {
                "title": r["title"],
                "text": r["abstract"],
                "keywords": r["keywords"],
                "field": r.get("discipline") or "其他",
            }
            for r in rows
        ], "CSL"
    rows = []
    for path in sorted((PROJECT_ROOT / "seed_data").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                if "description" in d:
                    rows.append(
                        {
                            "title": d["title"],
                            "text": d["description"],
                            "keywords": d.get("keywords") or [],
                            "field": d.get("field") or "其他",
                        }
                    )
    return rows, "seed_data"


_SENT = re.compile(r"(?<=[。；;.!?！？])")


def recombine(sources: list[dict], n: int, seed: int = 0) -> list[tuple[int, str, str, list[str]]]:
    """n postings: (source index, title, description, keywords), each a source's title and
    abstract with one sentence borrowed from another source, so texts differ but stay real."""
    rng = random.Random(seed)
    sents = [[s for s in _SENT.split(src["text"]) if s.strip()] or [src["text"]] for src in sources]
    out = []
    for i in range(n):
        k = i % len(sources)
        other = sents[rng.randrange(len(sources))]
        body = list(sents[k])
        body.insert(rng.randrange(len(body) + 1), rng.choice(other))
        out.append((k, sources[k]["title"], "".join(body), sources[k]["keywords"]))
    return out


# ---- helpers ------------------------------------------------------------------------------
def pct(values, p):
    return float(np.percentile(np.asarray(values) * 1000, p))


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def embed_cached(texts: list[str], model: str, tag: str, query: bool = False) -> np.ndarray:
    from matchmaker.matching import embeddings

    key = hashlib.sha1(("\n".join(texts) + model + str(query)).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{tag}-{key}.npy"
    if path.exists():
        return np.load(path)
    vecs = embeddings.embed(texts, model, query=query, batch_size=32, show_progress_bar=True)
    np.save(path, vecs)
    return vecs


def perturbed(base: np.ndarray, src_idx: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vecs = base[src_idx] + rng.normal(scale=NOISE, size=(len(src_idx), base.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs.astype(np.float32)


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


# ---- the measurements ----------------------------------------------------------------------
def measure_throughput(app, posts) -> float:
    """postings/s through the engine's own upsert: tokenise + embed + add."""
    from matchmaker.matching.engine import get_engine
    from matchmaker.matching.index import PostingIndex

    eng = get_engine(app)
    idx = PostingIndex("result", eng.model, eng.dim)
    sample = posts[:THROUGHPUT_SAMPLE]
    texts = [f"{t}\n{' '.join(k)}\n{d}" for _, t, d, k in sample]
    t0 = time.perf_counter()
    eng._upsert(idx, list(range(1, len(texts) + 1)), texts)
    return len(texts) / (time.perf_counter() - t0)


def build_corpus(app, posts, vectors, size):
    """Insert `size` results in the database and build their index file directly."""
    from sqlalchemy import insert

    from matchmaker.accounts.models import Organization
    from matchmaker.extensions import db
    from matchmaker.matching.engine import get_engine
    from matchmaker.matching.index import PostingIndex, text_hash
    from matchmaker.postings.models import Field, Result
    from matchmaker.text import tokenize

    fields = {}
    org = Organization(name="基准测试大学", type="高校", region="郑州")
    buyer = Organization(name="基准测试企业", type="企业", region="郑州")
    db.session.add_all([org, buyer])
    db.session.flush()
    rows = []
    for i, (k, title, desc, kw) in enumerate(posts[:size], 1):
        fname = app.config["_BENCH_FIELDS"][k]
        if fname not in fields:
            f = Field(name=fname[:50])
            db.session.add(f)
            db.session.flush()
            fields[fname] = f.id
        rows.append(
            {
                "id": i,
                "external_id": f"B{i:06d}",
                "title": title[:200],
                "description": desc,
                "field_id": fields[fname],
                "keywords": kw,
                "maturity": "中试",
                "region": "郑州",
                "status": "published",
                "organization_id": org.id,
                "transfer_modes": ["许可"],
            }
        )
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Result), rows[start : start + 5000])
    db.session.commit()

    eng = get_engine(app)
    texts = ["\n".join([r["title"], " ".join(r["keywords"]), r["description"]]) for r in rows]
    t0 = time.perf_counter()
    tokens = [tokenize(t) for t in texts]
    tok_time = time.perf_counter() - t0
    idx = PostingIndex("result", eng.model, eng.dim, eng.ann_threshold)
    ids = np.arange(1, size + 1, dtype=np.int64)
    t0 = time.perf_counter()
    idx.faiss_index = PostingIndex.build_faiss(ids, vectors, eng.dim, eng.ann_threshold)
    build_time = time.perf_counter() - t0
    idx.hashes = {int(i): text_hash(t) for i, t in zip(ids, texts)}
    idx.tokens = {int(i): t for i, t in zip(ids, tokens)}
    idx.save(eng.index_dir)
    eng._indexes.clear()
    return buyer, tokens, tok_time, build_time


def run_size(size, sources, base_vecs, query_vecs, posts):
    from sqlalchemy import select

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.matching import ranker
    from matchmaker.matching.engine import get_engine
    from matchmaker.matching.index import text_hash
    from matchmaker.postings.models import Field, Need
    from matchmaker.text import tokenize

    tmp = Path(tempfile.mkdtemp(prefix=f"mm-bench-{size}-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": tmp / "instance",
            "INDEX_DIR": tmp / "indexes",
            "AUTO_PROPOSE": False,
        }
    )
    app.config["_BENCH_FIELDS"] = [s["field"] for s in sources]
    out = {"size": size}
    with app.app_context():
        db.create_all()
        src_idx = np.array([p[0] for p in posts[:size]])
        vecs = perturbed(base_vecs, src_idx, seed=size)
        rss0 = rss_mb()
        buyer, tokens, tok_time, build_time = build_corpus(app, posts, vecs, size)
        eng = get_engine(app)
        idx = eng.index("result")
        idx.bm25_scores(["预热"])  # build the BM25 postings once
        gc.collect()
        out["index_type"] = idx.index_type
        out["tokenize_per_s"] = size / tok_time
        out["faiss_build_s"] = build_time
        out["faiss_bytes_per_posting"] = len(__import__("faiss").serialize_index(idx.faiss_index)) / size
        bm = idx._bm25
        # the in-place BM25's postings as numpy arrays (id int64 + tf float32 per entry)
        bm_bytes = 12 * sum(len(p) for p in bm.postings.values())
        out["bm25_bytes_per_posting"] = bm_bytes / size
        out["rss_mb"] = rss_mb()
        out["rss_delta_mb"] = out["rss_mb"] - rss0

        # need → results: stored needs (query-side vectors of real sources)
        rng = np.random.default_rng(7)
        qsrc = rng.choice(len(sources), size=QUERIES, replace=True)
        need_field = db.session.scalar(select(Field).limit(1))
        needs = []
        for j, k in enumerate(qsrc):
            n = Need(
                external_id=f"BN{j:05d}",
                title=sources[k]["title"][:200],
                description=sources[k]["text"],
                keywords=sources[k]["keywords"],
                field_id=need_field.id,
                organization_id=buyer.id,
                region="郑州",
            )
            needs.append(n)
        db.session.add_all(needs)
        db.session.flush()
        # stored needs: their vectors go straight into the needs index
        nidx = eng.index("need")
        nidx.stale = False
        nidx.upsert(
            [n.id for n in needs],
            query_vecs[qsrc],
            [text_hash(n.text) for n in needs],
            [tokenize(n.text) for n in needs],
        )
        db.session.commit()
        nidx = eng.index("need")

        for n in needs[:5]:  # warm-up
            ranker.rank_results_for_need(db.session, n, 10, engine=eng)
        lat = []
        for n in needs:
            t0 = time.perf_counter()
            ranker.rank_results_for_need(db.session, n, 10, engine=eng)
            lat.append(time.perf_counter() - t0)
        out["need_p50_ms"], out["need_p95_ms"] = pct(lat, 50), pct(lat, 95)

        # free-text: keyword queries, embedding included
        queries = [" ".join(sources[k]["keywords"]) for k in qsrc]
        lat = []
        for q in queries[:5]:
            ranker.search(db.session, q, "result", 10, engine=eng)
        for q in queries:
            t0 = time.perf_counter()
            ranker.search(db.session, q, "result", 10, engine=eng)
            lat.append(time.perf_counter() - t0)
        out["free_p50_ms"], out["free_p95_ms"] = pct(lat, 50), pct(lat, 95)
        # the same searches with the query embedding computed beforehand: the search core
        from matchmaker.matching import embeddings

        qvecs = [embeddings.embed([q], eng.model_path, query=True)[0] for q in queries]
        lat = []
        for q, qv in zip(queries, qvecs):
            t0 = time.perf_counter()
            ranker._rank(db.session, "result", query_text=q, query_vec=qv, top=10, engine=eng)
            lat.append(time.perf_counter() - t0)
        out["free_core_p50_ms"], out["free_core_p95_ms"] = pct(lat, 50), pct(lat, 95)

        # ANN recall@10 against exact search on the same vectors
        if idx.index_type == "ivf":
            import faiss

            exact = faiss.IndexFlatIP(eng.dim)
            exact.add(vecs)
            qv = query_vecs[qsrc[:100]]
            _, truth = exact.search(qv, 10)
            _, got = idx.faiss_index.search(qv, 10)
            out["ann_recall@10"] = float(np.mean([len(set(t + 1) & set(g)) / 10 for t, g in zip(truth, got)]))
        else:
            out["ann_recall@10"] = 1.0

        # naive baseline: rank_bm25 + numpy brute force, same fusion, same process
        from rank_bm25 import BM25Okapi

        t0 = time.perf_counter()
        naive = BM25Okapi([t or ["∅"] for t in tokens])
        out["naive_bm25_build_s"] = time.perf_counter() - t0
        matrix = vecs
        lat = []
        for n, k in list(zip(needs, qsrc))[:BASELINE_QUERIES]:
            t0 = time.perf_counter()
            qv = nidx.vector(n.id)
            dense = matrix @ qv
            q_tokens = tokenize(n.text)
            bm = naive.get_scores(q_tokens)
            scores, _ = ranker.fuse(dense, bm, np.zeros_like(dense), "hybrid", ranker.WEIGHTS, len(q_tokens))
            np.argsort(-scores)[:10]
            lat.append(time.perf_counter() - t0)
        out["naive_need_p50_ms"] = pct(lat, 50)
        lat, core = [], []
        for q in queries[:BASELINE_QUERIES]:
            t0 = time.perf_counter()
            qv = embeddings.embed([q], eng.model_path, query=True)[0]
            t1 = time.perf_counter()
            dense = matrix @ qv
            q_tokens = tokenize(q)
            bm = naive.get_scores(q_tokens)
            scores, _ = ranker.fuse(dense, bm, np.zeros_like(dense), "hybrid", ranker.WEIGHTS, len(q_tokens))
            np.argsort(-scores)[:10]
            lat.append(time.perf_counter() - t0)
            core.append(time.perf_counter() - t1)
        out["naive_free_p50_ms"] = pct(lat, 50)
        out["naive_free_core_p50_ms"] = pct(core, 50)
        out["speedup_free_core"] = out["naive_free_core_p50_ms"] / out["free_core_p50_ms"]
        out["speedup_need"] = out["naive_need_p50_ms"] / out["need_p50_ms"]
        out["speedup_free"] = out["naive_free_p50_ms"] / out["free_p50_ms"]
        db.session.remove()
        db.engine.dispose()
    return out


def csl_check(app_model, sources, abstract_vecs, keyword_vecs):
    """Keywords → own abstract among all abstracts: rank-1 rate, top-10 rate, MRR@10,
    for BM25 only, dense only and the hybrid fusion used by search()."""
    from matchmaker.matching import ranker
    from matchmaker.matching.index import PostingIndex
    from matchmaker.text import tokenize

    idx = PostingIndex("result", "bench", abstract_vecs.shape[1])
    n = len(sources)
    idx.upsert(list(range(n)), abstract_vecs, ["h"] * n, [tokenize(s["text"]) for s in sources])
    res = {m: [] for m in ranker.MODES}
    for i, s in enumerate(sources):
        q_tokens = tokenize(" ".join(s["keywords"]))
        ids, bm = idx.bm25_scores(q_tokens)
        order = np.argsort(ids)
        bm = bm[order]
        dense = abstract_vecs @ keyword_vecs[i]
        for mode in ranker.MODES:
            scores, _ = ranker.fuse(dense, bm, np.zeros(n), mode, ranker.WEIGHTS, len(q_tokens))
            rank = int((scores > scores[i]).sum()) + 1
            res[mode].append(rank)
    out = {}
    for mode, ranks in res.items():
        r = np.asarray(ranks)
        out[mode] = {
            "rank1": float(np.mean(r == 1)),
            "top10": float(np.mean(r <= 10)),
            "mrr@10": float(np.mean(np.where(r <= 10, 1 / r, 0))),
        }
    return out


def main() -> None:
    from matchmaker import create_app
    from matchmaker.matching import embeddings

    started = time.perf_counter()
    sources, origin = load_sources()
    print(f"source texts: {len(sources)} from {origin}", flush=True)
    model = embeddings.default_model_path()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": Path(tempfile.mkdtemp()) / "instance",
            "INDEX_DIR": Path(tempfile.mkdtemp()) / "indexes",
            "AUTO_PROPOSE": False,
        }
    )
    posts = recombine(sources, max(SIZES))
    with app.app_context():
        tput = measure_throughput(app, posts)
    print(
        f"indexing throughput (tokenise + embed + add, {embeddings.model_name()}): {tput:.1f} postings/s",
        flush=True,
    )
    print("embedding source abstracts (cached in instance/bench-cache)...", flush=True)
    abstracts = embed_cached([s["text"] for s in sources], model, "abstracts")
    kw = embed_cached([" ".join(s["keywords"]) for s in sources], model, "keywords", query=True)
    csl = csl_check(model, sources, abstracts, kw)
    for mode, m in csl.items():
        print(
            f"CSL keywords→abstract {mode:6s}: rank-1 {m['rank1']:.3f}  top-10 {m['top10']:.3f}  "
            f"MRR@10 {m['mrr@10']:.4f}",
            flush=True,
        )
    # Postings reuse their source abstract's vector (perturbed); stored needs use the
    # keyword query vectors: latency does not depend on which real vectors they are.
    results = []
    for size in SIZES:
        r = run_size(size, sources, abstracts, kw, posts)
        results.append(r)
        print(json.dumps(r, ensure_ascii=False), flush=True)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "model": embeddings.model_name(),
        "throughput": tput,
        "csl": csl,
        "sizes": results,
        "origin": origin,
        "runtime_s": time.perf_counter() - started,
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "last-report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print_summary(report)


def print_summary(rep: dict) -> None:
    print(f"\n== Matching benchmark ({rep['date']}; {rep['machine']})")
    print(f"model {rep['model']}; indexing {rep['throughput']:.1f} postings/s (embedding included)")
    for r in rep["sizes"]:
        print(
            f"{r['size']:>7,d} postings [{r['index_type']}]: need→results p50 {r['need_p50_ms']:.1f} ms "
            f"p95 {r['need_p95_ms']:.1f} ms; free text p50 {r['free_p50_ms']:.1f} ms p95 "
            f"{r['free_p95_ms']:.1f} ms; naive {r['naive_need_p50_ms']:.0f}/{r['naive_free_p50_ms']:.0f} ms "
            f"→ ×{r['speedup_need']:.0f}/×{r['speedup_free']:.1f}; free-text search core (query vector given) "
            f"p50 {r['free_core_p50_ms']:.1f} ms p95 {r['free_core_p95_ms']:.1f} ms vs naive "
            f"{r['naive_free_core_p50_ms']:.0f} ms → ×{r['speedup_free_core']:.0f}; FAISS {r['faiss_bytes_per_posting']:.0f} B + "
            f"BM25 {r['bm25_bytes_per_posting']:.0f} B per posting; ANN recall@10 {r['ann_recall@10']:.3f}; "
            f"RSS {r['rss_mb']:.0f} MB"
        )
    print(f"runtime {rep['runtime_s'] / 60:.1f} min")
