"""Random roadshow instances (随机排程实例) for tests and the benchmark; deterministic per seed."""

from __future__ import annotations

import random
from datetime import date, timedelta

FIELDS = [
    "高端装备制造",
    "超硬材料",
    "新能源汽车",
    "电子信息",
    "生物医药",
    "现代食品",
    "新材料",
    "节能环保",
    "人工智能",
    "现代农业",
]
CITIES = ["郑州", "洛阳", "新乡", "许昌", "南阳", "开封", "焦作", "平顶山"]
HALF_DAYS = [("09:00", "12:00"), ("14:00", "17:30")]


def generate(
    candidates: int = 60,
    sessions: int = 6,
    rooms: int = 2,
    seed: int = 1,
    enterprises: int | None = None,
    lam: float = 0.3,
    min_interest: float = 0.4,
    quota: int | None = 2,
    slot_minutes: int = 10,
) -> dict:
    """An instance in the `roadshow plan` format with the given sizes."""
    rng = random.Random(seed)
    n_fields = max(2, min(len(FIELDS), sessions // 2))
    fields = FIELDS[:n_fields]
    first = date(2026, 12, 7)
    days = [(first + timedelta(days=i)).isoformat() for i in range(max(1, (sessions + 3) // 4))]
    out_sessions = []
    for i in range(sessions):
        start, end = HALF_DAYS[i % 2]
        out_sessions.append(
            {
                "id": f"S{i + 1:02d}",
                "theme": fields[i % n_fields],
                "city": "郑州" if i % 3 == 0 else rng.choice(CITIES),
                "date": days[(i // 2) % len(days)],
                "start": start,
                "end": end,
                "slot_minutes": slot_minutes,
                "rooms": [{"id": f"R{j + 1}", "capacity": rng.choice([60, 80, 120])} for j in range(rooms)],
            }
        )
    orgs = [f"高校{k + 1:02d}" for k in range(max(3, candidates // 5))]
    out_candidates, presenters = [], []
    for i in range(candidates):
        org = rng.choice(orgs)
        shared = [p for p, o in presenters if o == org]
        presenter = rng.choice(shared) if shared and rng.random() < 0.15 else f"报告人{i + 1:03d}"
        presenters.append((presenter, org))
        available = None
        if rng.random() < 0.35:
            available = [
                {"date": rng.choice(days), "start": s, "end": e}
                for s, e in rng.sample(HALF_DAYS + [("08:00", "18:00")], rng.randint(1, 2))
            ]
        cities = ["*"] if rng.random() < 0.4 else sorted({"郑州", *rng.sample(CITIES, rng.randint(1, 4))})
        out_candidates.append(
            {
                "id": f"C{i + 1:03d}",
                "field": rng.choice(fields),
                "organization": org,
                "presenter": presenter,
                "minutes": rng.choice([10, 15, 20, 20, 30]),
                "available": available,
                "cities": cities,
            }
        )
    by_field: dict[str, list[str]] = {}
    for c in out_candidates:
        by_field.setdefault(c["field"], []).append(c["id"])
    interest = []
    for e in range(enterprises or max(10, candidates // 2)):
        focus = rng.sample(fields, rng.choice([1, 1, 2]))
        pool = [cid for f in focus for cid in by_field.get(f, [])]
        for cid in rng.sample(pool, min(len(pool), rng.randint(2, 8))):
            interest.append(
                {"enterprise": f"E{e + 1:03d}", "candidate": cid, "score": round(rng.uniform(0.2, 0.95), 3)}
            )
    return {
        "sessions": out_sessions,
        "candidates": out_candidates,
        "interest": interest,
        "rules": {
            "min_interest": min_interest,
            "max_per_organization_per_session": quota,
            "lambda": lam,
            "pinned": [],
        },
    }
