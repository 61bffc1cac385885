"""Independent feasibility checker for roadshow schedules (排程校验).

Written apart from the CP-SAT model on purpose: it reads the raw instance JSON (already
validated) and a list of assignments, re-derives every hard constraint from scratch and
recomputes the objective. Tests run it on every solver output; the web UI runs it on a
broker's manual edits to show live conflict warnings.

Constraint names reported (`Violation.constraint`):
  unknown       the assignment names a candidate, session or room that does not exist
  duplicate     a candidate is scheduled more than once
  end           `end` is not `start + minutes`
  theme         the session theme does not fit the candidate's field
  city          the presenter may not travel to the session's city
  availability  the talk is outside the presenter's availability windows
  hours         the talk is outside the session hours
  grid          the start is not on the session's slot grid
  room_overlap  two talks overlap in one room
  presenter_overlap  one presenter has two overlapping talks
  quota         an organisation exceeds its per-session quota
  pinned        a pinned talk is missing or moved
  idle          a room stands idle for one or more grid slots before its last talk
  interest_clash  two overlapping talks on one date (any sessions, different rooms) share an
                enterprise interested at or above `min_interest`

`idle` and `interest_clash` are *soft* (severity "warning"): the optimiser avoids them and
explains the idle slots a pin forces, but a broker may publish with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from itertools import combinations

LABELS = {
    "unknown": "引用不存在",
    "duplicate": "重复安排",
    "end": "结束时间不符",
    "theme": "主题不符",
    "city": "城市不可达",
    "availability": "报告人时间不可用",
    "hours": "超出专场时间",
    "grid": "不在时间格上",
    "room_overlap": "会场时间冲突",
    "presenter_overlap": "报告人时间冲突",
    "quota": "单位名额超限",
    "pinned": "固定项目被移动",
    "idle": "会场空档",
    "interest_clash": "同一企业关注的项目时间重叠",
}
SOFT = {"idle", "interest_clash"}


@dataclass
class Violation:
    constraint: str
    detail: str
    candidates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        severity = "warning" if self.constraint in SOFT else "error"
        return asdict(self) | {"label": LABELS[self.constraint], "severity": severity}


def _minutes(hhmm: str) -> int:
    h, m = hhmm.strip().split(":")[:2]
    return int(h) * 60 + int(m)


def _talks(instance: dict, assignments: list[dict], out: list[Violation]) -> list[dict]:
    """Resolve assignments against the instance; unresolvable ones are reported and skipped."""
    sessions = {str(s["id"]): s for s in instance["sessions"]}
    candidates = {str(c["id"]): c for c in instance["candidates"]}
    talks = []
    for a in assignments:
        cid, sid, rid = str(a.get("candidate")), str(a.get("session")), str(a.get("room"))
        s, c = sessions.get(sid), candidates.get(cid)
        if s is None or c is None or rid not in {str(r["id"]) for r in s["rooms"]}:
            out.append(Violation("unknown", f"安排 {cid}@{sid}/{rid} 引用了不存在的项目、专场或会场", [cid]))
            continue
        start = _minutes(a["start"])
        talks.append(
            {
                "c": c,
                "s": s,
                "cid": cid,
                "sid": sid,
                "room": rid,
                "start": start,
                "end": start + int(c["minutes"]),
                "given_end": a.get("end"),
            }
        )
    return talks


def check(instance: dict, assignments: list[dict], soft: bool = True) -> list[Violation]:
    """Every violation of `assignments` (a `plan` output's list) on `instance`; with
    `soft=False` only the hard constraints (used to test pins on their own)."""
    out: list[Violation] = []
    talks = _talks(instance, assignments, out)
    rules = instance.get("rules") or {}

    counts = defaultdict(int)
    for t in talks:
        counts[t["cid"]] += 1
    for cid, n in counts.items():
        if n > 1:
            out.append(Violation("duplicate", f"项目 {cid} 被安排了 {n} 次", [cid]))

    for t in talks:
        c, s, cid = t["c"], t["s"], t["cid"]
        if t["given_end"] is not None and _minutes(t["given_end"]) != t["end"]:
            out.append(Violation("end", f"项目 {cid} 的结束时间应为开始时间加 {c['minutes']} 分钟", [cid]))
        fields = s.get("fields") or (s["theme"] if isinstance(s["theme"], list) else [s["theme"]])
        if c["field"] not in fields and "*" not in fields:
            out.append(
                Violation(
                    "theme",
                    f"项目 {cid} 的领域“{c['field']}”不符合专场 {t['sid']} 的主题“{s['theme']}”",
                    [cid],
                )
            )
        cities = c.get("cities")
        if cities is not None and "*" not in cities and s["city"] not in cities:
            out.append(Violation("city", f"项目 {cid} 的报告人不能前往{s['city']}", [cid]))
        windows = c.get("available")
        if windows is not None and not any(
            (w.get("date") in (None, s["date"]))
            and _minutes(w["start"]) <= t["start"]
            and t["end"] <= _minutes(w["end"])
            for w in windows
        ):
            out.append(Violation("availability", f"项目 {cid} 的报告人在 {s['date']} 该时段不可用", [cid]))
        s_start, s_end = _minutes(s["start"]), _minutes(s["end"])
        if t["start"] < s_start or t["end"] > s_end:
            out.append(
                Violation("hours", f"项目 {cid} 超出专场 {t['sid']} 的时间 {s['start']}–{s['end']}", [cid])
            )
        elif (t["start"] - s_start) % int(s["slot_minutes"]):
            out.append(
                Violation("grid", f"项目 {cid} 的开始时间不在 {s['slot_minutes']} 分钟的时间格上", [cid])
            )

    def overlap(a, b):
        return a["start"] < b["end"] and b["start"] < a["end"]

    for a, b in combinations(talks, 2):
        if a["cid"] == b["cid"]:
            continue
        if a["sid"] == b["sid"] and a["room"] == b["room"] and overlap(a, b):
            out.append(
                Violation(
                    "room_overlap",
                    f"专场 {a['sid']} 会场 {a['room']} 中项目 {a['cid']} 与 {b['cid']} 时间重叠",
                    [a["cid"], b["cid"]],
                )
            )
        if a["c"]["presenter"] == b["c"]["presenter"] and a["s"]["date"] == b["s"]["date"] and overlap(a, b):
            out.append(
                Violation(
                    "presenter_overlap",
                    f"报告人 {a['c']['presenter']} 的项目 {a['cid']} 与 {b['cid']} 时间重叠",
                    [a["cid"], b["cid"]],
                )
            )

    quota = rules.get("max_per_organization_per_session")
    if quota is not None:
        per = defaultdict(list)
        for t in talks:
            per[(t["sid"], t["c"]["organization"])].append(t["cid"])
        for (sid, org), cids in per.items():
            if len(cids) > quota:
                out.append(
                    Violation(
                        "quota", f"{org} 在专场 {sid} 安排了 {len(cids)} 个项目，超过上限 {quota}", cids
                    )
                )

    placed = {(t["cid"], t["sid"], t["room"], t["start"]) for t in talks}
    for p in rules.get("pinned") or []:
        key = (str(p["candidate"]), str(p["session"]), str(p["room"]), _minutes(p["start"]))
        if key not in placed:
            out.append(
                Violation(
                    "pinned", f"固定项目 {key[0]} 应在专场 {key[1]} 会场 {key[2]} {p['start']} 开始", [key[0]]
                )
            )
    if soft:
        out += _idle(talks) + _clashes(instance, talks)
    return out


def _idle_runs(talks: list[dict]) -> list[tuple[dict, str, int, int, int]]:
    """(session, room, first idle minute, end minute, slots) of every idle run in a room."""
    rooms = defaultdict(list)
    for t in talks:
        rooms[(t["sid"], t["room"])].append(t)
    runs = []
    for (_, room), mine in rooms.items():
        s = mine[0]["s"]
        slot, u = int(s["slot_minutes"]), _minutes(s["start"])
        last = max(t["start"] for t in mine)
        run = None
        while u < last:
            busy = any(t["start"] < u + slot and u < t["end"] for t in mine)
            if busy:
                run = None
            elif run is None:
                run = [s, room, u, u + slot, 1]
                runs.append(run)
            else:
                run[3], run[4] = u + slot, run[4] + 1
            u += slot
    return [tuple(r) for r in runs]


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _idle(talks: list[dict]) -> list[Violation]:
    out = []
    for s, room, start, end, slots in _idle_runs(talks):
        cids = [
            t["cid"] for t in talks if t["sid"] == str(s["id"]) and t["room"] == room and t["start"] >= end
        ]
        out.append(
            Violation(
                "idle",
                f"专场 {s['id']} 会场 {room} 在 {_hhmm(start)}–{_hhmm(end)} 空闲 {slots} 个时段",
                cids[:1],
            )
        )
    return out


def _parallel(a: dict, b: dict) -> bool:
    return (
        a["s"]["date"] == b["s"]["date"]
        and (a["sid"], a["room"]) != (b["sid"], b["room"])
        and a["start"] < b["end"]
        and b["start"] < a["end"]
    )


def _clashes(instance: dict, talks: list[dict]) -> list[Violation]:
    interested = _interested(instance)
    out = []
    for a, b in combinations(talks, 2):
        shared = interested[a["cid"]].keys() & interested[b["cid"]].keys()
        if a["cid"] != b["cid"] and shared and _parallel(a, b):
            out.append(
                Violation(
                    "interest_clash",
                    f"项目 {a['cid']}（专场 {a['sid']}）与 {b['cid']}（专场 {b['sid']}）同时进行，"
                    f"企业 {'、'.join(sorted(shared)[:3])} 都感兴趣",
                    [a["cid"], b["cid"]],
                )
            )
    return out


def _interested(instance: dict) -> dict[str, dict[str, float]]:
    threshold = (instance.get("rules") or {}).get("min_interest", 0.0)
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for row in instance.get("interest") or []:
        if row["score"] >= threshold:
            cid, ent = str(row["candidate"]), str(row["enterprise"])
            out[cid][ent] = max(row["score"], out[cid].get(ent, 0.0))
    return out


def objective(instance: dict, assignments: list[dict]) -> dict:
    """Recompute the objective (docs/roadshow.md):
    demand − λ·conflicts − μ·displaced − ν·idle slots, where conflicts count the enterprises
    shared by overlapping talks in different rooms on one date."""
    rules = instance.get("rules") or {}
    lam = rules.get("lambda", 0.0)
    mu = instance.get("mu", rules.get("mu", 10.0))
    interested = _interested(instance)
    demand = sum(sum(interested[str(a["candidate"])].values()) for a in assignments)
    nu = rules.get("idle_weight")
    if nu is None:
        nu = 1.0 + max((sum(v.values()) for v in interested.values()), default=0.0)
    talks = _talks(instance, assignments, [])
    conflicts = sum(
        len(interested[a["cid"]].keys() & interested[b["cid"]].keys())
        for a, b in combinations(talks, 2)
        if _parallel(a, b)
    )
    idle = sum(r[4] for r in _idle_runs(talks))
    previous = instance.get("previous", rules.get("previous"))
    if isinstance(previous, dict):
        previous = previous.get("assignments")
    placed = {
        (str(a["candidate"]), str(a["session"]), str(a["room"]), _minutes(a["start"])) for a in assignments
    }
    displaced = sum(
        1
        for p in previous or []
        if (str(p["candidate"]), str(p["session"]), str(p["room"]), _minutes(p["start"])) not in placed
    )
    return {
        "demand": demand,
        "conflicts": conflicts,
        "displaced": displaced,
        "idle_slots": idle,
        "value": demand - lam * conflicts - mu * displaced - nu * idle,
    }
