"""Dashboards at scale (issue 16, 数据看板): 100,000 postings and 1,000,000 match and event rows on
PostgreSQL, each dashboard query timed beside a naive per-row Python aggregation of the same rows.

Rows go in with COPY (no embedding pipeline: the dashboards read records, not vectors). The database
is `BENCH_DASHBOARDS_URL` (default postgresql+psycopg://postgres@127.0.0.1:5432/mm_dashboards_bench);
it is created if missing and its tables are dropped and rebuilt on every run.

    python -m matchmaker.bench dashboards        (part of `make bench`)
    BENCH_DASHBOARDS_SCALE=0.1 python -m matchmaker.bench dashboards   (a tenth of the rows)
    BENCH_DASHBOARDS_REUSE=1 python -m matchmaker.bench dashboards     (time again on the rows already there)
"""

from __future__ import annotations

import math
import os
import random
import statistics
import time
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mm_dashboards_bench"
NEEDS, RESULTS, MATCHES = 80_000, 20_000, 620_000
CITIES = [
    "郑州",
    "开封",
    "洛阳",
    "平顶山",
    "安阳",
    "新乡",
    "焦作",
    "许昌",
    "漯河",
    "南阳",
    "商丘",
    "信阳",
    None,
]
CENTRES = ["国家技术转移郑州中心"] + [
    f"国家技术转移郑州中心{c}分中心" for c in ("洛阳", "新乡", "南阳", "商丘")
]
TARGET_MS = 300


def _ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _copy(raw, table: str, columns: list[str], rows) -> int:
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def build(db, scale: float = 1.0, seed: int = 16) -> dict:
    """Fill the tables with COPY: fields, centres and brokers, organisations, needs, results,
    matches, their stage history and contracts, then rebuild the dashboard facts from them (COPY
    bypasses the ORM hook that keeps them in step). Returns the row counts."""
    from matchmaker.dashboards.facts import rebuild

    rng = random.Random(seed)
    now = datetime(2026, 12, 1)
    n_needs, n_results, n_matches = int(NEEDS * scale), int(RESULTS * scale), int(MATCHES * scale)
    raw = db.engine.raw_connection()
    counts = {}
    try:
        counts["fields"] = _copy(
            raw,
            "fields",
            ["id", "name", "related", "sort_order", "active"],
            ((i, f"领域{i:02d}", "[]", i, True) for i in range(1, 21)),
        )
        orgs = [
            (
                i,
                CENTRES[i - 1] if i <= len(CENTRES) else f"机构{i:05d}",
                "技术转移机构" if i <= len(CENTRES) else "企业",
                rng.choice(CITIES[:-1]),
                True,
                now,
            )
            for i in range(1, 2001)
        ]
        counts["organizations"] = _copy(
            raw, "organizations", ["id", "name", "type", "region", "verified", "created_at"], orgs
        )
        brokers = list(range(1, 51))
        users = [
            (
                u,
                f"broker{u}@bench.cn",
                f"经纪人{u}",
                "broker",
                "x",
                1 + (u - 1) % len(CENTRES),
                True,
                0,
                "[]",
                "[]",
                "instant",
                now,
                0,
            )
            for u in brokers
        ]
        counts["users"] = _copy(
            raw,
            "users",
            [
                "id",
                "email",
                "name",
                "role",
                "password_hash",
                "organization_id",
                "active",
                "failed_logins",
                "broker_fields",
                "broker_regions",
                "digest",
                "created_at",
                "session_version",
            ],
            users,
        )
        need_created = {}

        def needs():
            for i in range(1, n_needs + 1):
                created = now - timedelta(days=rng.uniform(0, 730))
                need_created[i] = created
                status = rng.choices(["open", "matched", "closed"], [0.7, 0.2, 0.1])[0]
                yield (
                    i,
                    f"BN{i:06d}",
                    f"需求{i}",
                    "需求描述",
                    rng.randint(1, 20),
                    "[]",
                    rng.choice(CITIES),
                    status,
                    rng.randint(len(CENTRES) + 1, 2000),
                    created,
                    created,
                )

        counts["needs"] = _copy(
            raw,
            "needs",
            [
                "id",
                "external_id",
                "title",
                "description",
                "field_id",
                "keywords",
                "region",
                "status",
                "organization_id",
                "created_at",
                "updated_at",
            ],
            needs(),
        )
        counts["results"] = _copy(
            raw,
            "results",
            [
                "id",
                "external_id",
                "title",
                "description",
                "field_id",
                "keywords",
                "patent_numbers",
                "transfer_modes",
                "region",
                "status",
                "organization_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    i,
                    f"BR{i:06d}",
                    f"成果{i}",
                    "成果描述",
                    rng.randint(1, 20),
                    "[]",
                    "[]",
                    "[]",
                    rng.choice(CITIES),
                    "published",
                    rng.randint(len(CENTRES) + 1, 2000),
                    now,
                    now,
                )
                for i in range(1, n_results + 1)
            ),
        )
        changes, contracts = [], []
        sc_id = 0

        def matches():
            nonlocal sc_id
            for m in range(1, n_matches + 1):
                need = rng.randint(1, n_needs)
                created = need_created[need] + timedelta(days=rng.expovariate(1 / 20))
                decision = decided_by = decided_at = released = None
                stage = "proposed"
                if rng.random() < 0.4:
                    decided_by, decided_at = (
                        rng.choice(brokers),
                        created + timedelta(days=rng.expovariate(1 / 5)),
                    )
                    decision = "accept" if rng.random() < 0.6 else "reject"
                    sc_id += 1
                    to = "confirmation" if decision == "accept" else "closed"
                    changes.append((sc_id, m, "proposed", to, decided_by, decided_at))
                    stage = to
                    if decision == "accept" and rng.random() < 0.6:
                        released = decided_at + timedelta(days=rng.expovariate(1 / 30))
                        sc_id += 1
                        changes.append((sc_id, m, "confirmation", "negotiation", decided_by, released))
                        stage = "negotiation"
                        if rng.random() < 0.3:
                            signed = released + timedelta(days=rng.expovariate(1 / 60))
                            sc_id += 1
                            changes.append((sc_id, m, "negotiation", "signed", decided_by, signed))
                            stage, reg_no = "signed", None
                            if rng.random() < 0.5:
                                sc_id += 1
                                changes.append(
                                    (
                                        sc_id,
                                        m,
                                        "signed",
                                        "registered",
                                        decided_by,
                                        signed + timedelta(days=20),
                                    )
                                )
                                stage, reg_no = "registered", f"豫登{m}"
                            contracts.append(
                                (
                                    m,
                                    m,
                                    "transfer",
                                    round(rng.uniform(5, 500), 2),
                                    "甲",
                                    "乙",
                                    signed.date(),
                                    reg_no,
                                    now,
                                )
                            )
                yield (
                    m,
                    need,
                    rng.randint(1, n_results),
                    0.5,
                    "{}",
                    "{}",
                    "ranker",
                    stage,
                    created,
                    created,
                    decision,
                    decided_by,
                    decided_at,
                    released,
                )

        counts["matches"] = _copy(
            raw,
            "matches",
            [
                "id",
                "need_id",
                "result_id",
                "score",
                "components",
                "explanation",
                "source",
                "stage",
                "created_at",
                "updated_at",
                "decision",
                "decided_by_id",
                "decided_at",
                "released_at",
            ],
            matches(),
        )
        counts["stage_changes"] = _copy(
            raw, "stage_changes", ["id", "match_id", "from_stage", "to_stage", "user_id", "at"], changes
        )
        counts["contracts"] = _copy(
            raw,
            "contracts",
            [
                "id",
                "match_id",
                "contract_type",
                "amount_wan",
                "buyer",
                "seller",
                "signed_on",
                "registration_no",
                "created_at",
            ],
            contracts,
        )
        raw.commit()
        with raw.cursor() as cur:
            for table in (
                "fields",
                "organizations",
                "users",
                "needs",
                "results",
                "matches",
                "stage_changes",
                "contracts",
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        raw.commit()
    finally:
        raw.close()
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        counts["need_facts"] = rebuild(conn)
    counts["facts_seconds"] = time.perf_counter() - t0
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return counts


def _has_rows(db) -> bool:
    from sqlalchemy import inspect

    return inspect(db.engine).has_table("dashboard_need_facts") and bool(
        db.session.scalar(text("SELECT count(*) FROM dashboard_need_facts"))
    )


def _counts(db) -> dict:
    tables = ("needs", "results", "matches", "stage_changes", "contracts")
    out = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    out["need_facts"] = db.session.scalar(text("SELECT count(*) FROM dashboard_need_facts"))
    out["facts_seconds"] = 0.0
    db.session.rollback()
    return out


# ---------------------------------------------------------------- naive per-row aggregation


def _rows(session, *cols, where=None):
    q = select(*cols)
    if where is not None:
        q = q.where(where)
    return session.execute(q).all()


def _nearest_rank(values: list[float], p: float):
    if not values:
        return None
    values = sorted(values)
    return round(values[max(math.ceil(p * len(values)) - 1, 0)], 2)


def naive_funnel(session) -> dict:
    from matchmaker.postings.models import Need
    from matchmaker.review.models import Match, StageChange

    needs = [r[0] for r in _rows(session, Need.id)]
    proposed, released, contact = set(), set(), set()
    match_need = {}
    for mid, nid, decision, rel in _rows(session, Match.id, Match.need_id, Match.decision, Match.released_at):
        match_need[mid] = nid
        proposed.add(nid)
        if decision == "accept":
            released.add(nid)
        if rel is not None:
            contact.add(nid)
    history = defaultdict(set)
    for mid, to_stage in _rows(session, StageChange.match_id, StageChange.to_stage):
        if to_stage in ("negotiation", "signed", "registered"):
            history[to_stage].add(match_need[mid])
    return {
        "posting": len(needs),
        "proposed": len(proposed),
        "released": len(released),
        "contact": len(contact),
        **{k: len(history[k]) for k in ("negotiation", "signed", "registered")},
    }


def naive_unmet(session, days: int, now: datetime) -> int:
    from matchmaker.postings.models import Need
    from matchmaker.review.models import Match

    accepted = {nid for nid, d in _rows(session, Match.need_id, Match.decision) if d == "accept"}
    cells = defaultdict(int)
    for nid, fid, region, status, created in _rows(
        session, Need.id, Need.field_id, Need.region, Need.status, Need.created_at
    ):
        if status == "open" and created <= now - timedelta(days=days) and nid not in accepted:
            cells[(fid, region)] += 1
    return sum(cells.values())


def naive_duration(session, kind: str) -> tuple:
    from matchmaker.postings.models import Need
    from matchmaker.review.models import Contract, Match

    created = dict(_rows(session, Need.id, Need.created_at))
    first = {}
    if kind == "first_match":
        pairs = _rows(session, Match.need_id, Match.created_at)
    elif kind == "contact":
        pairs = [(n, r) for n, r in _rows(session, Match.need_id, Match.released_at) if r is not None]
    else:
        signed = dict(_rows(session, Contract.match_id, Contract.signed_on))
        pairs = [
            (n, datetime.combine(signed[m], datetime.min.time()))
            for m, n in _rows(session, Match.id, Match.need_id)
            if m in signed
        ]
    for nid, at in pairs:
        if nid not in first or at < first[nid]:
            first[nid] = at
    values = [(at - created[nid]).total_seconds() / 86400 for nid, at in first.items()]
    return len(values), _nearest_rank(values, 0.5), _nearest_rank(values, 0.9)


def naive_efficiency(session, now: datetime) -> tuple:
    from matchmaker.postings.models import Need
    from matchmaker.review.models import Match

    first = {}
    for nid, rel in _rows(session, Match.need_id, Match.released_at):
        if rel is not None and (nid not in first or rel < first[nid]):
            first[nid] = rel
    total = hits = 0
    for nid, created in _rows(session, Need.id, Need.created_at):
        if created <= now - timedelta(days=90):
            total += 1
            if nid in first and (first[nid] - created).total_seconds() / 86400 <= 90:
                hits += 1
    return total, hits


def naive_brokers(session) -> dict:
    from matchmaker.review.models import Contract, Match

    contracts = {m: reg for m, reg in _rows(session, Contract.match_id, Contract.registration_no)}
    out = defaultdict(lambda: [0, 0, 0, 0, 0])
    for mid, by, decision, rel in _rows(
        session, Match.id, Match.decided_by_id, Match.decision, Match.released_at
    ):
        if by is None:
            continue
        row = out[by]
        row[0] += 1
        row[1] += decision == "accept"
        row[2] += rel is not None
        row[3] += mid in contracts
        row[4] += mid in contracts and contracts[mid] is not None
    return dict(out)


# ---------------------------------------------------------------- timing


def _time(fn, repeat: int = 3):
    """Best of `repeat` wall-clock runs (after one warm-up), in ms, and the last answer."""
    answer = fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = fn()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best, answer


def main() -> None:
    from matchmaker import create_app
    from matchmaker.dashboards import services as s
    from matchmaker.extensions import db

    url = os.environ.get("BENCH_DASHBOARDS_URL", DEFAULT_URL)
    scale = float(os.environ.get("BENCH_DASHBOARDS_SCALE", "1"))
    try:
        _ensure_database(url)
    except Exception as exc:  # no PostgreSQL here: say so rather than fail the whole `make bench`
        print(f"dashboards: PostgreSQL unavailable ({exc.__class__.__name__}); skipped", flush=True)
        return
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTO_PROPOSE": False, "SECRET_KEY": "bench"})
    with app.app_context():
        t0 = time.perf_counter()
        if os.environ.get("BENCH_DASHBOARDS_REUSE") and _has_rows(db):
            counts = _counts(db)  # the rows of an earlier run (the build costs minutes of a shared CPU)
        else:
            db.drop_all()
            db.create_all()
            counts = build(db, scale)
        events = counts["matches"] + counts["stage_changes"] + counts["contracts"]
        postings = counts["needs"] + counts["results"]
        how = (
            f"with COPY in {time.perf_counter() - t0:.1f} s; {counts['need_facts']:,} need facts rebuilt "
            f"in {counts['facts_seconds']:.1f} s"
            if counts["facts_seconds"]
            else f"(rows of an earlier run; {counts['need_facts']:,} need facts)"
        )
        print(
            f"{postings:,} postings ({counts['needs']:,} needs) and {events:,} match/event rows "
            f"({counts['matches']:,} matches, {counts['stage_changes']:,} stage changes, "
            f"{counts['contracts']:,} contracts) {how}",
            flush=True,
        )
        session, flt, now = db.session, s.Filters(), datetime(2026, 12, 1)
        admin = type("Viewer", (), {"is_authenticated": True, "role": "admin", "organization_id": None})()
        cases = [
            (
                "funnel",
                lambda: {r["step"]: r["count"] for r in s.funnel(session, flt)},
                lambda: naive_funnel(session),
            ),
            (
                "unmet heat map (N=30)",
                lambda: s.unmet(session, flt, now)["total"],
                lambda: naive_unmet(session, 30, now),
            ),
            *[
                (
                    f"duration: {kind}",
                    (
                        lambda k=kind: (lambda d: (d["n"], d["median_days"], d["p90_days"]))(
                            s.duration(session, flt, k)
                        )
                    ),
                    (lambda k=kind: naive_duration(session, k)),
                )
                for kind in s.DURATIONS
            ],
            (
                "efficiency (90 days)",
                lambda: (lambda e: (e["needs"], e["reached"]))(s.efficiency(session, flt, now)),
                lambda: naive_efficiency(session, now),
            ),
            (
                "brokers",
                lambda: {
                    b["broker_id"]: [b["decided"], b["accepted"], b["contact"], b["signed"], b["registered"]]
                    for b in s.brokers(session, flt)
                },
                lambda: naive_brokers(session),
            ),
            ("centres", lambda: len(s.centres(session, flt)), None),
            ("activity", lambda: sum(a["total"] for a in s.activity(session, flt)), None),
            (
                "funnel, field + city filter",
                lambda: s.funnel(session, s.Filters(field_id=3, city="洛阳"))[0]["count"],
                None,
            ),
            ("whole summary (all figures)", lambda: len(s.summary(session, flt, admin, now)), None),
        ]
        print(f"\n{'query':34} {'SQL ms':>9} {'naive ms':>10} {'≤300':>5}  same answer")
        worst = []
        for name, sql, naive in cases:
            sql_ms, sql_answer = _time(sql)
            if naive is not None:
                naive_ms, naive_answer = _time(naive, repeat=1)
                same = "yes" if _same(sql_answer, naive_answer) else f"NO: {sql_answer} vs {naive_answer}"
                naive_txt = f"{naive_ms:10.0f}"
            else:
                naive_txt, same = f"{'—':>10}", ""
            ok = "ok" if sql_ms <= TARGET_MS or name.startswith("whole") else "SLOW"
            if not name.startswith("whole"):
                worst.append(sql_ms)
            print(f"{name:34} {sql_ms:9.1f} {naive_txt} {ok:>5}  {same}", flush=True)
            session.rollback()
        print(
            f"\nslowest single dashboard query {max(worst):.1f} ms; median {statistics.median(worst):.1f} ms"
        )


def _same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return all(
            x == y or (isinstance(x, float) and y is not None and abs(x - y) < 0.01)
            for x, y in zip(a, b, strict=True)
        )
    return a == b
