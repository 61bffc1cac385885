"""Store benchmark (`python -m matchmaker.bench store`): the embedded FAISS + BM25 store
beside Milvus (milvus-lite) through the same `Store` interface.

1. Parity on the labelled dev set (../shared/eval/dev; skipped when absent), packaged
   default model: dense-only, BM25-only and dense+BM25 fusion (the ranker's `fuse`,
   without the structured signals, which read the database and not the store) nDCG@10 /
   MRR@10 through each store; Milvus BM25 both ways (jieba analyzer, project tokens).
2. CSL keywords → own abstract among 2,000 real abstracts, BM25 only, through each store.
3. Scale (synthetic 384-d vectors, CSL-derived tokens): build time, dense and BM25 p50/p95
   with filters, recall@10 of dense search against exact search, commit-to-searchable
   time, disk and RSS, for the flush policy of `MilvusStore` (flush every `FLUSH_ROWS`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from matchmaker.config import PROJECT_ROOT

SIZES = tuple(int(s) for s in os.environ.get("MATCHMAKER_BENCH_STORE_SIZES", "20000").split(","))
QUERIES = 100
DIM = 384
STORES = ("embedded", "milvus-jieba", "milvus-tokens")


def shared_dir() -> Path:
    return Path(os.environ.get("MATCHMAKER_SHARED_DIR", PROJECT_ROOT.parent / "shared"))


def open_named(name: str, tmp: Path, tag: str):
    from matchmaker.store import open_store

    if name == "embedded":
        return open_store(f"embedded://{tmp / tag / 'indexes'}")
    return open_store(f"milvus-lite://{tmp / tag / 'milvus.db'}?bm25={name.split('-')[1]}")


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def pct(values, p) -> float:
    return float(np.percentile(np.asarray(values) * 1000, p))


def ndcg_mrr(ranked: list[str], judged: dict[str, int], k: int = 10) -> tuple[float, float]:
    dcg = sum((2 ** judged.get(r, 0) - 1) / math.log2(i + 2) for i, r in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    mrr = next((1 / (i + 1) for i, r in enumerate(ranked[:k]) if judged.get(r, 0) >= 1), 0.0)
    return (dcg / idcg if idcg else 0.0), mrr


def load(store, kind, ids, vecs, toks, meta, batch=1000):
    for s in range(0, len(ids), batch):
        store.upsert(kind, ids[s : s + batch], vecs[s : s + batch], toks[s : s + batch], meta[s : s + batch])
    if hasattr(store, "maintain"):
        store.maintain(kind)


# ---- 1. dev-set parity ---------------------------------------------------------------------
def dev_parity(tmp: Path) -> dict | None:
    from matchmaker.bench.matching import embed_cached
    from matchmaker.matching import embeddings, ranker
    from matchmaker.store import DocMeta, Filters
    from matchmaker.text import tokenize

    dev = shared_dir() / "eval" / "dev"
    if not (dev / "qrels.tsv").exists():
        print("dev set absent: parity skipped")
        return None

    def rows(name):
        return [json.loads(x) for x in (dev / name).read_text("utf-8").splitlines() if x.strip()]

    def text(r):  # as Result.text / Need.text
        return "\n".join([r["title"], " ".join(r.get("keywords") or []), r["description"]])

    needs, results = rows("needs.jsonl"), rows("results.jsonl")
    qrels: dict[str, dict[str, int]] = {}
    for line in (dev / "qrels.tsv").read_text("utf-8").splitlines():
        if line.strip():
            n, r, g = line.split("\t")
            qrels.setdefault(n, {})[r] = int(g)
    model = embeddings.default_model_path()
    r_vecs = embed_cached([text(r) for r in results], model, "dev-results")
    n_vecs = embed_cached([text(n) for n in needs], model, "dev-needs", query=True)
    r_toks = [tokenize(text(r)) for r in results]
    ids = list(range(1, len(results) + 1))
    ext = {i: r["id"] for i, r in zip(ids, results)}
    meta = [DocMeta("published", 1, "") for _ in ids]
    out = {}
    for name in STORES:
        st = open_named(name, tmp, f"dev-{name}")
        load(st, "result", ids, r_vecs, r_toks, meta)
        pub = Filters.make(status=["published"])
        scores = {m: [] for m in ("dense", "bm25", "fused")}
        for need, qv in zip(needs, n_vecs):
            judged = qrels.get(need["id"], {})
            if not any(g >= 1 for g in judged.values()):
                continue
            q_toks = tokenize(text(need))
            dense = st.search_dense("result", qv, 100, pub)
            sparse = st.search_sparse("result", q_toks, 100, pub)
            scores["dense"].append(ndcg_mrr([ext[int(i)] for i in dense.ids[:10]], judged))
            scores["bm25"].append(ndcg_mrr([ext[int(i)] for i in sparse.ids[:10]], judged))
            # the ranker's fusion over the union of both candidate lists
            cand = sorted(set(dense.ids.tolist()) | set(sparse.ids.tolist()))
            exact = st.search_dense("result", qv, len(cand), Filters.make(ids=cand))
            d = dict(zip(exact.ids.tolist(), exact.scores.tolist()))
            b = dict(zip(sparse.ids.tolist(), sparse.scores.tolist()))
            dv = np.array([d.get(i, 0.0) for i in cand])
            bv = np.array([b.get(i, 0.0) for i in cand])
            fused, _ = ranker.fuse(
                dv, bv, np.zeros(len(cand)), "hybrid", ranker.WEIGHTS, len(q_toks), sparse.scores
            )
            order = np.argsort(-fused, kind="stable")[:10]
            scores["fused"].append(ndcg_mrr([ext[cand[i]] for i in order], judged))
        out[name] = {
            m: {
                "ndcg@10": round(float(np.mean([a for a, _ in v])), 4),
                "mrr@10": round(float(np.mean([b for _, b in v])), 4),
            }
            for m, v in scores.items()
        }
        st.close()
        print(name, out[name], flush=True)
    return out


# ---- 2. CSL free text, BM25 ----------------------------------------------------------------
def csl_bm25(tmp: Path) -> dict | None:
    from matchmaker.store import DocMeta
    from matchmaker.text import tokenize

    path = shared_dir() / "eval" / "csl" / "papers.jsonl"
    if not path.exists():
        print("CSL absent: skipped")
        return None
    papers = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
    ids = list(range(1, len(papers) + 1))
    toks = [tokenize(p["title"] + "\n" + p["abstract"]) for p in papers]
    vecs = np.zeros((len(papers), 8), np.float32)
    vecs[:, 0] = 1.0
    meta = [DocMeta("published") for _ in ids]
    out = {}
    for name in STORES:
        st = open_named(name, tmp, f"csl-{name}")
        load(st, "result", ids, vecs, toks, meta)
        ranks = []
        for i, p in zip(ids, papers):
            hits = st.search_sparse("result", tokenize(" ".join(p["keywords"])), 10)
            pos = np.nonzero(hits.ids == i)[0]
            ranks.append(int(pos[0]) + 1 if len(pos) else 11)
        r = np.asarray(ranks)
        out[name] = {
            "rank1": round(float(np.mean(r == 1)), 4),
            "mrr@10": round(float(np.mean(np.where(r <= 10, 1 / r, 0))), 4),
        }
        st.close()
        print("CSL keywords→abstract, BM25 only:", name, out[name], flush=True)
    return out


# ---- 3. scale -------------------------------------------------------------------------------
def corpus(n: int):
    from matchmaker.bench.matching import load_sources, recombine
    from matchmaker.store import DocMeta
    from matchmaker.text import tokenize

    sources, _ = load_sources()
    src_toks = [tokenize(s["title"] + "\n" + s["text"]) for s in sources]
    posts = recombine(sources, n)
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(len(sources), DIM)).astype(np.float32)
    idx = np.array([k for k, *_ in posts])
    vecs = centers[idx] + rng.normal(scale=0.6, size=(n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    # tokens of the source plus a borrowed slice of another, so postings differ
    toks = [src_toks[k] + src_toks[(k * 7 + i) % len(sources)][:10] for i, k in enumerate(idx)]
    statuses = np.where(rng.random(n) < 0.9, "published", "draft")
    orgs = rng.integers(1, 200, n)
    meta = [DocMeta(str(s), int(o), "") for s, o in zip(statuses, orgs)]
    queries = [src_toks[k][:6] for k in rng.integers(0, len(sources), QUERIES)]
    qvecs = vecs[rng.integers(0, n, QUERIES)] + rng.normal(scale=0.3, size=(QUERIES, DIM)).astype(np.float32)
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    return list(range(1, n + 1)), vecs, toks, meta, queries, qvecs.astype(np.float32), statuses, orgs


def scale(tmp: Path, n: int) -> dict:
    from matchmaker.store import DocMeta, Filters

    ids, vecs, toks, meta, queries, qvecs, statuses, orgs = corpus(n)
    out = {}
    for name in STORES:
        if name == "milvus-tokens" and n > 20000:
            continue  # same engine as milvus-jieba for dense; BM25 compared at 20k
        rss0 = rss_mb()
        st = open_named(name, tmp, f"scale-{name}-{n}")
        t = time.perf_counter()
        load(st, "result", ids, vecs, toks, meta)
        build = time.perf_counter() - t
        dense_t, sparse_t, recall = [], [], []
        for qv, qt in zip(qvecs, queries):
            f = Filters.make(status=["published"], exclude_org=int(orgs[0]))
            t = time.perf_counter()
            hits = st.search_dense("result", qv, 10, f)
            dense_t.append(time.perf_counter() - t)
            ok = (statuses == "published") & (orgs != orgs[0])
            sc = np.where(ok, vecs @ qv, -np.inf)
            truth = set((np.argpartition(-sc, 10)[:10] + 1).tolist())
            recall.append(len(truth & set(hits.ids.tolist())) / 10)
            t = time.perf_counter()
            st.search_sparse("result", qt, 100, f)
            sparse_t.append(time.perf_counter() - t)
        # commit → searchable: one new posting, found by its own vector and a unique term
        v = qvecs[0]
        t = time.perf_counter()
        st.upsert("result", [n + 1], v[None, :], [["独一无二的词"]], [DocMeta("published", 999, "")])
        while st.search_dense("result", v, 1).ids[:1].tolist() != [n + 1]:
            time.sleep(0.001)
        fresh = time.perf_counter() - t
        path = tmp / f"scale-{name}-{n}"
        out[name] = {
            "build_s": round(build, 1),
            "dense_p50_ms": round(pct(dense_t, 50), 1),
            "dense_p95_ms": round(pct(dense_t, 95), 1),
            "bm25_p50_ms": round(pct(sparse_t, 50), 1),
            "bm25_p95_ms": round(pct(sparse_t, 95), 1),
            "recall@10": round(float(np.mean(recall)), 3),
            "commit_to_searchable_ms": round(fresh * 1000, 1),
            "disk_mb": round(disk_mb(path), 1),
            "rss_delta_mb": round(rss_mb() - rss0, 0),
        }
        st.close()
        print(n, name, out[name], flush=True)
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="mm-bench-store-"))
    try:
        report = {"dev": dev_parity(tmp), "csl_bm25": csl_bm25(tmp)}
        for n in SIZES:
            report[f"scale_{n}"] = scale(tmp, n)
        print(json.dumps(report, ensure_ascii=False, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
