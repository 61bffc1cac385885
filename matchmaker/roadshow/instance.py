"""Roadshow planning instance (路演排程实例): parsing and validation of the JSON contract.

The format is documented in docs/roadshow.md. `parse_instance(data)` turns the raw JSON
object into typed dataclasses or raises `DomainError` naming the field at fault, in Chinese.
Plain Python; used by the CLI, the web feature and the benchmark alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date as Date

from matchmaker.errors import DomainError

DEFAULT_MU = 10.0  # weight of one displaced published talk when re-planning
DEFAULT_TIME_LIMIT = 10.0  # seconds
ANY = "*"  # wildcard in `cities` and session `fields`


@dataclass(frozen=True)
class Room:
    id: str
    capacity: int


@dataclass
class SessionSpec:
    """专场: theme, city, one date, hours [start, end) in minutes from midnight, slot grid."""

    id: str
    theme: str
    city: str
    date: str
    start: int
    end: int
    slot_minutes: int
    rooms: list[Room]
    fields: list[str]  # fields accepted; defaults to [theme]

    def starts(self, minutes: int) -> list[int]:
        """Grid starts at which a talk of `minutes` fits inside the session hours."""
        return list(range(self.start, self.end - minutes + 1, self.slot_minutes))

    def accepts(self, field_name: str) -> bool:
        return ANY in self.fields or field_name in self.fields


@dataclass(frozen=True)
class Window:
    date: str | None  # None: every date
    start: int
    end: int


@dataclass
class CandidateSpec:
    """路演候选项目: a result with its presenter, talk length, availability and cities."""

    id: str
    field: str
    organization: str
    presenter: str
    minutes: int
    available: list[Window] | None  # None: always available
    cities: list[str] | None  # None: any city

    def can_travel(self, city: str) -> bool:
        return self.cities is None or ANY in self.cities or city in self.cities

    def is_available(self, day: str, start: int, end: int) -> bool:
        if self.available is None:
            return True
        return any(
            (w.date is None or w.date == day) and w.start <= start and end <= w.end for w in self.available
        )


@dataclass(frozen=True)
class Placement:
    """One talk's place: used for pins, the previous schedule and assignments."""

    candidate: str
    session: str
    room: str
    start: int


@dataclass
class Instance:
    sessions: list[SessionSpec]
    candidates: list[CandidateSpec]
    interest: dict[str, dict[str, float]]  # candidate -> enterprise -> score (max of duplicates)
    min_interest: float
    max_per_org: int | None
    lam: float
    mu: float
    pinned: list[Placement]
    previous: list[Placement]
    idle_weight: float | None = None  # ν per idle slot; None: 1 + the highest demand
    session_by_id: dict[str, SessionSpec] = field(default_factory=dict)
    candidate_by_id: dict[str, CandidateSpec] = field(default_factory=dict)

    def interested(self, candidate: str) -> dict[str, float]:
        """Enterprises whose interest in the candidate reaches the threshold."""
        return {e: s for e, s in self.interest.get(candidate, {}).items() if s >= self.min_interest}

    def demand(self, candidate: str) -> float:
        """需求值: the summed scores of the enterprises at or above min_interest."""
        return sum(self.interested(candidate).values())

    def nu(self) -> float:
        """ν, the price of one idle slot: by default above any one talk's demand, so that no
        talk is ever worth an idle slot in front of it."""
        if self.idle_weight is not None:
            return self.idle_weight
        return 1.0 + max((self.demand(c.id) for c in self.candidates), default=0.0)


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:00)?$")


def parse_time(value, path: str) -> int:
    if not isinstance(value, str) or not _TIME.match(value.strip()):
        raise DomainError("时间格式应为 HH:MM（如 09:30）", path)
    hours, minutes = value.strip().split(":")[:2]
    return int(hours) * 60 + int(minutes)


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _date(value, path: str) -> str:
    try:
        return Date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise DomainError("日期格式应为 YYYY-MM-DD", path) from None


def _str(obj: dict, key: str, path: str) -> str:
    value = obj.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise DomainError("必填，应为非空字符串", f"{path}.{key}")
    return value.strip()


def _number(value, path: str, minimum: float | None = 0.0, integer: bool = False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DomainError("应为数字", path)
    if integer and int(value) != value:
        raise DomainError("应为整数", path)
    if minimum is not None and value < minimum:
        raise DomainError(f"不能小于 {minimum:g}", path)
    return int(value) if integer else float(value)


def _list(obj: dict, key: str, path: str, required: bool = True) -> list | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, list):
        raise DomainError("必填，应为数组" if required else "应为数组", f"{path}.{key}" if path else key)
    return value


def _obj(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise DomainError("应为对象", path)
    return value


def _unique_id(raw: dict, path: str, seen: set[str], label: str) -> str:
    value = _str(raw, "id", path)
    if value in seen:
        raise DomainError(f"{label}编号 {value} 重复", f"{path}.id")
    seen.add(value)
    return value


def _placements(items: list, path: str, inst: Instance) -> list[Placement]:
    out = []
    for i, raw in enumerate(items):
        p = f"{path}[{i}]"
        raw = _obj(raw, p)
        cand, sess, room = _str(raw, "candidate", p), _str(raw, "session", p), _str(raw, "room", p)
        if cand not in inst.candidate_by_id:
            raise DomainError(f"候选项目 {cand} 不存在", f"{p}.candidate")
        session = inst.session_by_id.get(sess)
        if session is None:
            raise DomainError(f"专场 {sess} 不存在", f"{p}.session")
        if room not in {r.id for r in session.rooms}:
            raise DomainError(f"专场 {sess} 没有会场 {room}", f"{p}.room")
        out.append(Placement(cand, sess, room, parse_time(raw.get("start"), f"{p}.start")))
    return out


def parse_instance(data) -> Instance:
    """Validate the raw JSON object; raise DomainError naming the field at fault."""
    data = _obj(data, "instance")
    sessions: list[SessionSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(data, "sessions", "")):
        p = f"sessions[{i}]"
        raw = _obj(raw, p)
        sid = _unique_id(raw, p, seen, "专场")
        start, end = parse_time(raw.get("start"), f"{p}.start"), parse_time(raw.get("end"), f"{p}.end")
        if end <= start:
            raise DomainError("结束时间必须晚于开始时间", f"{p}.end")
        slot = _number(raw.get("slot_minutes"), f"{p}.slot_minutes", 1, integer=True)
        rooms, room_ids = [], set()
        for j, rr in enumerate(_list(raw, "rooms", p)):
            rp = f"{p}.rooms[{j}]"
            rr = _obj(rr, rp)
            rid = _unique_id(rr, rp, room_ids, "会场")
            rooms.append(Room(rid, _number(rr.get("capacity", 0), f"{rp}.capacity", 0, integer=True)))
        if not rooms:
            raise DomainError("每个专场至少要有一个会场", f"{p}.rooms")
        fields = _list(raw, "fields", p, required=False)
        if isinstance(raw.get("theme"), list):  # a theme given as several fields
            fields = fields or raw["theme"]
            raw = raw | {"theme": "、".join(map(str, raw["theme"]))}
        theme = _str(raw, "theme", p)
        if fields is not None and not all(isinstance(f, str) and f for f in fields):
            raise DomainError("应为字符串数组", f"{p}.fields")
        sessions.append(
            SessionSpec(
                sid,
                theme,
                _str(raw, "city", p),
                _date(raw.get("date"), f"{p}.date"),
                start,
                end,
                slot,
                rooms,
                fields or [theme],
            )
        )

    candidates: list[CandidateSpec] = []
    seen = set()
    for i, raw in enumerate(_list(data, "candidates", "")):
        p = f"candidates[{i}]"
        raw = _obj(raw, p)
        cid = _unique_id(raw, p, seen, "候选项目")
        minutes = _number(raw.get("minutes"), f"{p}.minutes", 1, integer=True)
        windows = None
        raw_windows = _list(raw, "available", p, required=False)
        if raw_windows is not None:
            windows = []
            for j, w in enumerate(raw_windows):
                wp = f"{p}.available[{j}]"
                w = _obj(w, wp)
                ws, we = parse_time(w.get("start"), f"{wp}.start"), parse_time(w.get("end"), f"{wp}.end")
                if we <= ws:
                    raise DomainError("结束时间必须晚于开始时间", f"{wp}.end")
                day = _date(w["date"], f"{wp}.date") if w.get("date") is not None else None
                windows.append(Window(day, ws, we))
        cities = _list(raw, "cities", p, required=False)
        if cities is not None and not all(isinstance(c, str) and c for c in cities):
            raise DomainError("应为字符串数组", f"{p}.cities")
        candidates.append(
            CandidateSpec(
                cid,
                _str(raw, "field", p),
                _str(raw, "organization", p),
                _str(raw, "presenter", p),
                minutes,
                windows,
                cities,
            )
        )

    rules = _obj(data.get("rules", {}), "rules")
    quota = rules.get("max_per_organization_per_session")
    inst = Instance(
        sessions=sessions,
        candidates=candidates,
        interest={},
        min_interest=_number(rules.get("min_interest", 0.0), "rules.min_interest", None),
        max_per_org=None
        if quota is None
        else _number(quota, "rules.max_per_organization_per_session", 1, integer=True),
        lam=_number(rules.get("lambda", 0.0), "rules.lambda", 0),
        mu=_number(data.get("mu", rules.get("mu", DEFAULT_MU)), "mu" if "mu" in data else "rules.mu", 0),
        pinned=[],
        previous=[],
        idle_weight=None
        if rules.get("idle_weight") is None
        else _number(rules["idle_weight"], "rules.idle_weight", 0),
        session_by_id={s.id: s for s in sessions},
        candidate_by_id={c.id: c for c in candidates},
    )
    for i, raw in enumerate(_list(data, "interest", "", required=False) or []):
        p = f"interest[{i}]"
        raw = _obj(raw, p)
        ent, cand = _str(raw, "enterprise", p), _str(raw, "candidate", p)
        if cand not in inst.candidate_by_id:
            raise DomainError(f"候选项目 {cand} 不存在", f"{p}.candidate")
        score = _number(raw.get("score"), f"{p}.score", 0)
        row = inst.interest.setdefault(cand, {})
        row[ent] = max(score, row.get(ent, 0.0))
    pinned = _placements(_list(rules, "pinned", "rules", required=False) or [], "rules.pinned", inst)
    inst.pinned = list(dict.fromkeys(pinned))  # an identical pin given twice is one pin
    previous = data.get("previous", rules.get("previous"))
    if previous is not None:
        if isinstance(previous, dict):  # accept a previous `plan` output as is
            previous = previous.get("assignments")
        if not isinstance(previous, list):
            raise DomainError("应为数组（上次发布的日程）", "previous")
        inst.previous = _placements(previous, "previous", inst)
    return inst
