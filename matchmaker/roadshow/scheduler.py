"""Roadshow scheduler (路演排程): OR-Tools CP-SAT with a greedy baseline. Plain Python, no Flask.

`plan(data, time_limit)` takes the JSON instance of docs/roadshow.md and returns the JSON
answer of the `roadshow plan` contract. The model chooses which candidates present and
places each on a (session, room, start) *option*: only options that already satisfy the
static constraints (theme, city, availability, session hours, slot grid) get a variable.
Dynamic constraints are slot-occupancy at-most-one constraints (rooms, presenters), sums
(quota) and fixed literals (pins). The parallel-conflict penalty is linearised with one
boolean per pair of candidates that share interested enterprises and may meet in a session.

Objective (maximised, exact definition in docs/roadshow.md):
    Σ demand(c) over scheduled c − λ·Σ shared(c1, c2) over pairs overlapping in parallel rooms
    − μ·(number of previously published talks not kept at the same session, room and start)
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from ortools.sat.python import cp_model

from matchmaker.roadshow import checker
from matchmaker.roadshow.instance import DEFAULT_TIME_LIMIT, Instance, Placement, format_time, parse_instance

FORMULATIONS = ("compact", "previous")
SCALE = 1000  # CP-SAT needs integer coefficients: scores are scaled and rounded

REASONS = {
    "no_compatible_session": "没有主题和城市都相符的专场",
    "availability": "报告人在相符专场的时间内均不可用（或报告时长超过专场时长）",
    "quota": "所在单位在相符专场的名额已满",
    "outranked": "存在可行时段，但被需求更高的项目占用或安排它会降低目标值",
    "infeasible": "固定项目相互冲突，无法排程",
}


@dataclass(frozen=True)
class Option:
    """A statically feasible place for one candidate: (session, room, start)."""

    candidate: str
    session: str
    room: str | None
    start: int
    end: int
    date: str
    stop: int = 0  # first grid point at or after `end`: where the room's next talk may start

    @property
    def placement(self) -> Placement:
        return Placement(self.candidate, self.session, self.room, self.start)


@dataclass
class Prepared:
    """The instance with its options, demand and shared-interest pairs pre-computed.

    `compact` selects the formulation: True (default) keeps rooms free of idle slots and
    forbids co-interest clashes between any two parallel talks on a date; False is the
    previous model (idle slots allowed, clashes priced by λ within a session only), kept
    for the benchmark.
    """

    inst: Instance
    options: dict[str, list[Option]]
    static_reason: dict[str, str]
    demand: dict[str, float]
    interested: dict[str, set[str]]
    grid: dict[str, list[int]] = field(default_factory=dict)
    compact: bool = True


def _stop(start: int, minutes: int, slot: int) -> int:
    return start + -(-minutes // slot) * slot


def make_option(inst: Instance, cid: str, sid: str, room: str | None, start: int) -> Option:
    c, s = inst.candidate_by_id[cid], inst.session_by_id[sid]
    return Option(cid, sid, room, start, start + c.minutes, s.date, _stop(start, c.minutes, s.slot_minutes))


def prepare(inst: Instance, compact: bool = True) -> Prepared:
    options: dict[str, list[Option]] = {}
    reason: dict[str, str] = {}
    for c in inst.candidates:
        compatible = [s for s in inst.sessions if s.accepts(c.field) and c.can_travel(s.city)]
        opts = [
            Option(c.id, s.id, r.id, t, t + c.minutes, s.date, _stop(t, c.minutes, s.slot_minutes))
            for s in compatible
            for t in s.starts(c.minutes)
            if c.is_available(s.date, t, t + c.minutes)
            for r in s.rooms
        ]
        options[c.id] = opts
        if not compatible:
            reason[c.id] = "no_compatible_session"
        elif not opts:
            reason[c.id] = "availability"
    grid = {s.id: list(range(s.start, s.end, s.slot_minutes)) for s in inst.sessions}
    return Prepared(
        inst,
        options,
        reason,
        {c.id: inst.demand(c.id) for c in inst.candidates},
        {c.id: set(inst.interested(c.id)) for c in inst.candidates},
        grid,
        compact,
    )


# ---------------------------------------------------------------- evaluation


def _parallel(prep: Prepared, a: Option, b: Option) -> bool:
    """Two talks an audience cannot both attend: overlapping, in different rooms, on one date
    (the previous model only looked within a session)."""
    if (a.session, a.room) == (b.session, b.room) or not (a.start < b.end and b.start < a.end):
        return False
    return a.date == b.date if prep.compact else a.session == b.session


def idle_gaps(prep: Prepared, chosen: list[Option]) -> list[dict]:
    """Runs of idle grid slots inside a room: from the session start to its last talk."""
    by_room = defaultdict(list)
    for o in chosen:
        by_room[(o.session, o.room)].append(o)
    out = []
    for (sid, room), talks in by_room.items():
        s = prep.inst.session_by_id[sid]
        covered = {u for o in talks for u in prep.grid[sid] if o.start <= u < o.end}
        run = None
        for u in range(s.start, max(o.start for o in talks), s.slot_minutes):
            if u in covered:
                run = None
            elif run is None:
                run = {"session": sid, "room": room, "start": u, "end": u + s.slot_minutes, "slots": 1}
                out.append(run)
            else:
                run["end"], run["slots"] = u + s.slot_minutes, run["slots"] + 1
    return out


def evaluate(prep: Prepared, chosen: list[Option]) -> dict:
    """Objective parts of a schedule, in the instance's units."""
    inst = prep.inst
    demand = sum(prep.demand[o.candidate] for o in chosen)
    conflicts = clashes = 0
    for a, b in combinations(chosen, 2):
        if _parallel(prep, a, b):
            shared = len(prep.interested[a.candidate] & prep.interested[b.candidate])
            conflicts += shared
            clashes += shared > 0
    kept = {o.placement for o in chosen}
    displaced = sum(1 for p in inst.previous if p not in kept)
    idle = sum(g["slots"] for g in idle_gaps(prep, chosen))
    nu = inst.nu() if prep.compact else 0.0
    return {
        "demand": demand,
        "conflicts": conflicts,
        "clashes": clashes,
        "displaced": displaced,
        "idle_slots": idle,
        "value": demand - inst.lam * conflicts - inst.mu * displaced - nu * idle,
    }


class _State:
    """Occupancy bookkeeping shared by the greedy heuristics and the explanation."""

    def __init__(self, prep: Prepared):
        self.prep = prep
        self.inst = prep.inst
        self.rooms = defaultdict(list)  # (session, room) -> [(start, end)]
        self.stops = defaultdict(set)  # (session, room) -> grid points where a talk ends
        self.presenters = defaultdict(list)  # (presenter, date) -> [(start, end)]
        self.orgs = defaultdict(int)  # (session, organisation) -> talks
        self.by_date = defaultdict(list)  # date -> talks with interested enterprises
        self.chosen: list[Option] = []

    def blockers(self, o: Option) -> set[str]:
        c = self.inst.candidate_by_id[o.candidate]
        out = set()
        if any(o.start < e and s < o.end for s, e in self.rooms[(o.session, o.room)]):
            out.add("room")
        if any(o.start < e and s < o.end for s, e in self.presenters[(c.presenter, o.date)]):
            out.add("presenter")
        quota = self.inst.max_per_org
        if quota is not None and self.orgs[(o.session, c.organization)] >= quota:
            out.add("quota")
        if self.prep.compact:
            session_start = self.inst.session_by_id[o.session].start
            if o.start != session_start and o.start not in self.stops[(o.session, o.room)]:
                out.add("idle")  # would leave idle slots in front of it
            mine = self.prep.interested[o.candidate]
            if mine and any(
                _parallel(self.prep, o, t) and mine & self.prep.interested[t.candidate]
                for t in self.by_date[o.date]
            ):
                out.add("interest")
        return out

    def place(self, o: Option) -> None:
        c = self.inst.candidate_by_id[o.candidate]
        self.rooms[(o.session, o.room)].append((o.start, o.end))
        self.stops[(o.session, o.room)].add(o.stop)
        self.presenters[(c.presenter, o.date)].append((o.start, o.end))
        self.orgs[(o.session, c.organization)] += 1
        if self.prep.interested[o.candidate]:
            self.by_date[o.date].append(o)
        self.chosen.append(o)


def _pin_options(prep: Prepared) -> dict[str, Option]:
    return {
        p.candidate: make_option(prep.inst, p.candidate, p.session, p.room, p.start) for p in prep.inst.pinned
    }


def greedy(prep: Prepared, prefer: list[Placement] | None = None) -> list[Option]:
    """基线: pins first, then the highest demand first into the first feasible slot.

    With `prefer` (the previous schedule), those placements are tried first for their
    candidates: the warm start used when re-planning.
    """
    state = _State(prep)
    pins = _pin_options(prep)
    for o in pins.values():
        state.place(o)
    order = sorted(
        (c for c in prep.inst.candidates if c.id not in pins), key=lambda c: (-prep.demand[c.id], c.id)
    )
    preferred = {p.candidate: p for p in prefer or []}
    pending = []
    for c in order:
        opts = prep.options[c.id]
        if c.id in preferred:
            opts = sorted(opts, key=lambda o: o.placement != preferred[c.id])
        for o in opts:
            blocks = state.blockers(o)
            if not blocks or (blocks == {"idle"} and preferred.get(c.id) == o.placement):
                state.place(o)  # a published talk may stay behind a hole; CP-SAT weighs ν against μ
                break
        else:
            pending.append(c)
    if prep.compact:  # a room's frontier moves as talks are placed: retry the others
        _fill(prep, state, pending)
    return state.chosen


def _gain(prep: Prepared, state: _State, o: Option, previous: dict[str, Placement]) -> float:
    inst = prep.inst
    shared = sum(
        len(prep.interested[o.candidate] & prep.interested[t.candidate])
        for t in state.chosen
        if _parallel(prep, o, t)
    )
    return (
        prep.demand[o.candidate]
        - inst.lam * shared
        + (inst.mu if previous.get(o.candidate) == o.placement else 0)
    )


def _fill(prep: Prepared, state: _State, candidates) -> None:
    """Place each candidate in its best free option while that does not lower the objective;
    repeated while something was placed (in the compact model a placement opens the next slot)."""
    previous = {p.candidate: p for p in prep.inst.previous}
    todo = list(candidates)
    while todo:
        left = []
        for c in todo:
            best, best_gain = None, -1e-9
            for o in prep.options[c.id]:
                if not state.blockers(o):
                    gain = _gain(prep, state, o, previous)
                    if gain > best_gain:
                        best, best_gain = o, gain
            if best is None:
                left.append(c)
            else:
                state.place(best)
        if len(left) == len(todo) or not prep.compact:
            return
        todo = left


def fill_idle(prep: Prepared, chosen: list[Option]) -> list[Option]:
    """Add left-out candidates to free slots where that does not lower the objective.

    CP-SAT is indifferent to talks of zero marginal value (e.g. no enterprise above the
    threshold yet); a broker still wants an idle slot used, so they are placed afterwards.
    """
    state = _State(prep)
    for o in chosen:
        state.place(o)
    placed = {o.candidate for o in chosen}
    _fill(
        prep,
        state,
        sorted(
            (c for c in prep.inst.candidates if c.id not in placed), key=lambda c: (-prep.demand[c.id], c.id)
        ),
    )
    return state.chosen


BLOCK_TEXT = {
    "room": "可行时段均已被需求更高的项目占用",
    "presenter": "报告人的其他项目占用了可行时段",
    "interest": "与同日并行时段的项目有共同的意向企业",
    "idle": "剩余时段会在会场中留下空档",
}


def explain_unscheduled(prep: Prepared, chosen: list[Option]) -> list[dict]:
    """A reason for every candidate left out of `chosen`."""
    state = _State(prep)
    for o in chosen:
        state.place(o)
    placed = {o.candidate for o in chosen}
    out = []
    for c in prep.inst.candidates:
        if c.id in placed:
            continue
        reason = prep.static_reason.get(c.id)
        detail = ""
        if reason is None:
            blocks = [state.blockers(o) for o in prep.options[c.id]]
            if any(not b for b in blocks):
                reason = "outranked"
                detail = (
                    "需求值为 0，不安排也不影响目标值"
                    if prep.demand[c.id] == 0
                    else "有空闲时段，但与并行会场的项目争夺同一批企业，安排它会降低目标值"
                )
            elif all("quota" in b for b in blocks):
                reason = "quota"
            else:
                reason = "outranked"
                seen = set().union(*blocks) - {"quota"}
                detail = "；".join(BLOCK_TEXT[k] for k in BLOCK_TEXT if k in seen)
        out.append({"candidate": c.id, "reason": reason, "detail": detail or REASONS[reason]})
    return out


def explain_idle(prep: Prepared, chosen: list[Option]) -> list[dict]:
    """Why each idle run is left: a pin (or a kept published talk) later in the room fixes
    the talks around it, and nothing fits the time before it exactly."""
    pins = {p.candidate for p in prep.inst.pinned}
    kept = {o.candidate for o in chosen} & {p.candidate for p in prep.inst.previous}
    kept = {o.candidate for o in chosen if o.placement in set(prep.inst.previous) and o.candidate in kept}
    out = []
    for g in idle_gaps(prep, chosen):
        later = sorted(
            (o for o in chosen if (o.session, o.room) == (g["session"], g["room"]) and o.start >= g["end"]),
            key=lambda o: o.start,
        )
        pin = next((o for o in later if o.candidate in pins), None)
        old = next((o for o in later if o.candidate in kept), None)
        if pin:
            why = f"固定项目 {pin.candidate} 于 {format_time(pin.start)} 开始，其前面的时段无法由其他项目恰好排满"
        elif old:
            why = f"保留已发布项目 {old.candidate} 的时间（移动已发布的项目代价更高）"
        else:
            why = "没有能恰好填补该空档的项目"
        out.append(g | {"start": format_time(g["start"]), "end": format_time(g["end"]), "reason": why})
    return out


# ---------------------------------------------------------------- CP-SAT model


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[dict], None], offset: int, unit: int):
        super().__init__()
        self.report, self.offset, self.unit, self.t0 = report, offset, unit, time.perf_counter()

    def on_solution_callback(self) -> None:
        self.report(
            {
                "objective": round((self.objective_value + self.offset) / self.unit, 6),
                "bound": round((self.best_objective_bound + self.offset) / self.unit, 6),
                "seconds": round(time.perf_counter() - self.t0, 2),
            }
        )


@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[Option, cp_model.IntVar]  # room None: room chosen after solving (pooled session)
    z: dict[tuple[str, str, str], cp_model.IntVar]
    offset: int
    pairs: int
    pooled: set[str]
    unit: int = SCALE  # model units per objective unit


def _model_option(o: Option, pooled: set[str]) -> Option:
    return Option(o.candidate, o.session, None, o.start, o.end, o.date, o.stop) if o.session in pooled else o


def build_model(prep: Prepared) -> _Model:
    """The CP-SAT model. Sessions without pins or previous talks are *pooled*: their rooms are
    interchangeable, so the model only bounds the number of parallel talks by the number of
    rooms and rooms are assigned afterwards by interval colouring (exact for intervals; it
    removes room symmetry and halves the variables)."""
    inst = prep.inst
    m = cp_model.CpModel()
    fixed_rooms = {p.session for p in inst.pinned} | {p.session for p in inst.previous}
    pooled = {s.id for s in inst.sessions if s.id not in fixed_rooms}
    x: dict[Option, cp_model.IntVar] = {}
    per_candidate = defaultdict(list)
    for opts in prep.options.values():
        for o in opts:
            mo = _model_option(o, pooled)
            if mo not in x:
                x[mo] = m.new_bool_var(f"x_{o.candidate}_{o.session}_{mo.room}_{o.start}")
                per_candidate[o.candidate].append(mo)
    for opts in per_candidate.values():  # each candidate presents at most once
        if len(opts) > 1:
            m.add_at_most_one(x[o] for o in opts)

    # Rooms: at each grid point at most one talk per room (or len(rooms) talks in a pooled
    # session) covers it; exact because starts are on the grid.
    cover = defaultdict(list)  # (session, room, point) -> options covering the point
    by_cs = defaultdict(list)  # (candidate, session) -> options
    for o in x:
        by_cs[(o.candidate, o.session)].append(o)
        for u in prep.grid[o.session]:
            if o.start <= u < o.end:
                cover[(o.session, o.room, u)].append(o)
    for (sid, room, _), opts in cover.items():
        limit = len(inst.session_by_id[sid].rooms) if room is None else 1
        if len(opts) > limit:
            if limit == 1:
                m.add_at_most_one(x[o] for o in opts)
            else:
                m.add(sum(x[o] for o in opts) <= limit)

    # Presenters: two intervals overlap iff one contains the other's start.
    by_presenter = defaultdict(list)
    for o in x:
        c = inst.candidate_by_id[o.candidate]
        by_presenter[(c.presenter, o.date)].append(o)
    for opts in by_presenter.values():
        if len({o.candidate for o in opts}) < 2:
            continue
        for p in sorted({o.start for o in opts}):
            here = [o for o in opts if o.start <= p < o.end]
            if len({o.candidate for o in here}) > 1:
                m.add_at_most_one(x[o] for o in here)

    # Quota per organisation and session.
    if inst.max_per_org is not None:
        per = defaultdict(list)
        for o in x:
            per[(o.session, inst.candidate_by_id[o.candidate].organization)].append(o)
        for opts in per.values():
            if len({o.candidate for o in opts}) > inst.max_per_org:
                m.add(sum(x[o] for o in opts) <= inst.max_per_org)

    # Pins (validated beforehand by the checker, so their options exist; never pooled).
    for o in _pin_options(prep).values():
        m.add(x[o] == 1)

    # The compact model breaks ties towards more talks (+1 each) under a unit large enough
    # that all of them together never outweigh a thousandth of the objective.
    unit = SCALE * (len(inst.candidates) + 1) if prep.compact else SCALE
    terms = [(round(prep.demand[o.candidate] * SCALE) * unit // SCALE + prep.compact) * x[o] for o in x]

    # Parallel conflicts: z[c1, c2, s] >= cov(c1, s, u) + cov(c2, s, u) - 1 at every grid point u;
    # two talks in one room never share a point, so a shared point means parallel rooms.
    z = {}
    if prep.compact:
        cliques = _add_compact(prep, m, x, per_candidate, pooled, terms, unit)
    if inst.lam > 0 and not prep.compact:
        session_cands = defaultdict(list)
        for cid, sid in by_cs:
            if prep.interested[cid]:
                session_cands[sid].append(cid)
        for sid, cands in session_cands.items():
            cov = defaultdict(list)  # (candidate, point) -> options
            for cid in cands:
                for o in by_cs[(cid, sid)]:
                    for u in prep.grid[sid]:
                        if o.start <= u < o.end:
                            cov[(cid, u)].append(o)
            for c1, c2 in combinations(sorted(cands), 2):
                w = round(inst.lam * len(prep.interested[c1] & prep.interested[c2]) * SCALE)
                if w <= 0:
                    continue
                var = None
                for u in prep.grid[sid]:
                    a, b = cov.get((c1, u)), cov.get((c2, u))
                    if a and b:
                        if var is None:
                            var = z[(c1, c2, sid)] = m.new_bool_var(f"z_{c1}_{c2}_{sid}")
                            terms.append(-w * var)
                        m.add(var >= sum(x[o] for o in a) + sum(x[o] for o in b) - 1)

    # Displacement: μ per previous talk not kept exactly; constant part goes to the offset.
    mu = round(inst.mu * SCALE) * unit // SCALE
    offset = -mu * len(inst.previous)
    for p in inst.previous:
        c = inst.candidate_by_id[p.candidate]
        s = inst.session_by_id[p.session]
        o = make_option(inst, c.id, s.id, p.room, p.start)
        if o in x:
            terms.append(mu * x[o])
    m.maximize(sum(terms))
    return _Model(m, x, z, offset, cliques if prep.compact else len(z), pooled, unit)


def _add_compact(
    prep: Prepared,
    m: cp_model.CpModel,
    x: dict,
    per_candidate: dict,
    pooled: set[str],
    terms: list,
    unit: int,
) -> int:
    """The compact model's two rules; returns the number of co-interest cliques.

    Co-interest: for every enterprise, date and start point, at most one talk of the
    candidates it wants covers the point (two intervals overlap iff one contains the
    other's start), across all sessions of the date. Talks next to a pin avoid the pin.

    Idle slots: in a pooled session, at every grid point no more talks start than end
    (then the greedy room colouring of `assign_rooms` leaves every room busy from the
    session start to its last talk). Sessions with fixed rooms price idle slots at ν:
    `later(r, u)` says a talk starts in room r after u; `idle(r, u) ≥ later(r, u) − cover(r, u)`.
    """
    inst = prep.inst
    pins = _pin_options(prep)
    by_enterprise = defaultdict(list)
    for cid, enterprises in prep.interested.items():
        for e in enterprises:
            by_enterprise[e].append(cid)
    cliques = 0
    for cids in by_enterprise.values():
        if len(cids) < 2:
            continue
        by_date = defaultdict(list)
        for cid in cids:
            for o in [pins[cid]] if cid in pins else per_candidate.get(cid, []):
                by_date[o.date].append(o)
        for opts in by_date.values():
            if len({o.candidate for o in opts}) < 2:
                continue
            opts.sort(key=lambda o: o.start)
            for p in sorted({o.start for o in opts}):
                here = [o for o in opts if o.start <= p < o.end]
                if len({o.candidate for o in here}) < 2:
                    continue
                free = [o for o in here if o.candidate not in pins]
                if len(free) < len(here):  # a pin covers p: the others stay clear of it
                    for o in free:
                        m.add(x[o] == 0)
                else:
                    m.add_at_most_one(x[o] for o in free)
                    cliques += 1

    weight = round(inst.nu() * SCALE) * unit // SCALE
    for s in inst.sessions:
        grid, slot = prep.grid[s.id], s.slot_minutes
        mine = [o for o in x if o.session == s.id]
        if s.id in pooled:
            starts, stops = defaultdict(list), defaultdict(list)
            for o in mine:
                starts[o.start].append(x[o])
                stops[o.stop].append(x[o])
            for u in grid[1:]:
                if starts[u]:
                    m.add(sum(starts[u]) <= sum(stops[u]))
            continue
        for r in s.rooms:
            in_room = [o for o in mine if o.room == r.id]
            if not in_room:
                continue
            later = None
            for u in reversed(grid[:-1]):  # later(r, u) for u from the last but one point down
                nxt = [x[o] for o in in_room if o.start == u + slot]
                var = m.new_bool_var(f"later_{s.id}_{r.id}_{u}")
                for v in nxt:
                    m.add(var >= v)
                if later is not None:
                    m.add(var >= later)
                later = var
                idle = m.new_bool_var(f"idle_{s.id}_{r.id}_{u}")
                m.add(idle >= var - sum(x[o] for o in in_room if o.start <= u < o.end))
                terms.append(-weight * idle)
    return cliques


def _hint(mdl: _Model, chosen: list[Option]) -> None:
    on = {_model_option(o, mdl.pooled) for o in chosen}
    for o, var in mdl.x.items():
        mdl.model.add_hint(var, o in on)
    by_cs = {(o.candidate, o.session): o for o in chosen}
    for (c1, c2, sid), var in mdl.z.items():
        a, b = by_cs.get((c1, sid)), by_cs.get((c2, sid))
        mdl.model.add_hint(var, bool(a and b and a.room != b.room and a.start < b.end and b.start < a.end))


def assign_rooms(prep: Prepared, selected: list[Option]) -> list[Option]:
    """Give pooled talks a room: interval colouring by start time. The compact model takes the
    room freed last (one freed exactly at the start exists, so no room idles); the previous
    model took the first free room."""
    out = [o for o in selected if o.room is not None]
    pooled = defaultdict(list)
    for o in selected:
        if o.room is None:
            pooled[o.session].append(o)
    for sid, talks in pooled.items():
        session = prep.inst.session_by_id[sid]
        free_at = {r.id: session.start for r in session.rooms}
        for o in sorted(talks, key=lambda t: (t.start, t.end, t.candidate)):
            free = [r for r, t in free_at.items() if t <= o.start]  # ≤ len(rooms) overlap
            room = max(free, key=lambda r: free_at[r]) if prep.compact else free[0]
            free_at[room] = o.stop if prep.compact else o.end
            out.append(Option(o.candidate, o.session, room, o.start, o.end, o.date, o.stop))
    return out


# ---------------------------------------------------------------- entry points


def _pin_violations(data: dict, prep: Prepared) -> list[dict]:
    """Pins alone must satisfy every hard constraint; everything else is optional."""
    pins = [
        {
            "candidate": o.candidate,
            "session": o.session,
            "room": o.room,
            "start": format_time(o.start),
            "end": format_time(o.end),
        }
        for o in _pin_options(prep).values()
    ]
    names = [p.candidate for p in prep.inst.pinned]
    found = [v.to_dict() for v in checker.check(data, pins, soft=False)]
    for cid in {n for n in names if names.count(n) > 1}:
        found.append(checker.Violation("duplicate", f"项目 {cid} 被固定了多次", [cid]).to_dict())
    return found


class _Ids:
    """Echo ids with the JSON type the instance used (e.g. integers stay integers)."""

    def __init__(self, data: dict):
        self.cand = {str(c.get("id")).strip(): c.get("id") for c in data.get("candidates", [])}
        self.sess = {str(s.get("id")).strip(): s.get("id") for s in data.get("sessions", [])}
        self.room = {
            (str(s.get("id")).strip(), str(r.get("id")).strip()): r.get("id")
            for s in data.get("sessions", [])
            for r in s.get("rooms", [])
        }

    def assignment(self, o: Option) -> dict:
        return {
            "candidate": self.cand.get(o.candidate, o.candidate),
            "session": self.sess.get(o.session, o.session),
            "room": self.room.get((o.session, o.room), o.room),
            "date": o.date,
            "start": format_time(o.start),
            "end": format_time(o.end),
        }

    def unscheduled(self, rows: list[dict]) -> list[dict]:
        return [r | {"candidate": self.cand.get(r["candidate"], r["candidate"])} for r in rows]


def _sort_key(prep: Prepared):
    order = {s.id: i for i, s in enumerate(prep.inst.sessions)}
    return lambda o: (order[o.session], o.room, o.start)


def plan(
    data: dict,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int | None = None,
    progress: Callable[[dict], None] | None = None,
    inst: Instance | None = None,
    formulation: str = "compact",
) -> dict:
    """Solve a JSON instance; return the `roadshow plan` answer (see docs/roadshow.md).

    Raises DomainError on bad input. `progress` gets {objective, bound, seconds} on every
    improving solution (used by the web background job). `formulation="previous"` runs the
    model before idle slots and cross-session clashes were handled (for the benchmark).
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}")
    t0 = time.perf_counter()
    inst = inst or parse_instance(data)
    ids = _Ids(data)
    prep = prepare(inst, compact=formulation == "compact")
    base = {
        "objective": None,
        "greedy_objective": None,
        "bound": None,
        "gap": None,
        "assignments": [],
        "explanation": {},
    }

    bad_pins = _pin_violations(data, prep)
    if bad_pins:
        return base | {
            "status": "INFEASIBLE",
            "solve_seconds": round(time.perf_counter() - t0, 3),
            "unscheduled": ids.unscheduled(
                [
                    {"candidate": c.id, "reason": "infeasible", "detail": REASONS["infeasible"]}
                    for c in inst.candidates
                ]
            ),
            "explanation": {
                "note": "固定项目（rules.pinned）本身违反硬约束，问题无可行解",
                "violations": bad_pins,
                "constraints": sorted({v["constraint"] for v in bad_pins}),
            },
        }

    baseline = greedy(prep)
    greedy_eval = evaluate(prep, baseline)
    start_sol, start_eval = baseline, greedy_eval
    if inst.previous:
        warm = greedy(prep, prefer=inst.previous)
        warm_eval = evaluate(prep, warm)
        if warm_eval["value"] > start_eval["value"]:
            start_sol, start_eval = warm, warm_eval

    mdl = build_model(prep)
    _hint(mdl, start_sol)
    solver = cp_model.CpSolver()
    # Leave ~3% of the limit for reading the solution and explaining the left-out candidates.
    solver.parameters.max_time_in_seconds = max(0.1, 0.97 * float(time_limit) - (time.perf_counter() - t0))
    solver.parameters.num_workers = workers or max(2, min(8, os.cpu_count() or 2))  # 2 on the target machine
    solver.parameters.random_seed = 7
    callback = _Progress(progress, mdl.offset, mdl.unit) if progress else None
    status = solver.solve(mdl.model, callback) if callback else solver.solve(mdl.model)
    status_name = solver.status_name(status)

    note = ""
    chosen, bound, gap = start_sol, None, None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solved = assign_rooms(prep, [o for o, var in mdl.x.items() if solver.boolean_value(var)])
        solved_eval = evaluate(prep, solved)
        int_obj = solver.objective_value + mdl.offset
        int_bound = solver.best_objective_bound + mdl.offset
        bound = int_bound / mdl.unit
        gap = max(0.0, (int_bound - int_obj) / max(1.0, abs(int_bound)))
        if solved_eval["value"] + 1e-9 >= start_eval["value"]:
            chosen = fill_idle(prep, solved)
        else:  # only possible through score rounding; never return worse than the heuristic
            note = "CP-SAT 解（取整后）不优于启发式解，返回启发式解"
            status_name = "FEASIBLE"
    elif status == cp_model.INFEASIBLE:  # pins were checked, so this means a modelling gap
        note = "CP-SAT 判定无可行解（固定项目检查未发现冲突）"
    else:
        note = "时限内 CP-SAT 未找到解，返回贪心解"
        status_name = "FEASIBLE"
    final = evaluate(prep, chosen)
    if status == cp_model.INFEASIBLE:
        chosen, final = [], None
    chosen.sort(key=_sort_key(prep))
    explanation = {
        "breakdown": final,
        "greedy_breakdown": greedy_eval,
        "model": {
            "formulation": formulation,
            "options": len(mdl.x),
            "conflict_pairs" if formulation == "previous" else "interest_cliques": mdl.pairs,
            "solver_status": solver.status_name(status),
        },
    }
    if final is not None and prep.compact:
        explanation["idle"] = explain_idle(prep, chosen)
    if note:
        explanation["note"] = note
    return base | {
        "status": status_name,
        "objective": None if final is None else round(final["value"], 6),
        "greedy_objective": round(greedy_eval["value"], 6),
        "bound": None if bound is None else round(max(bound, final["value"] if final else bound), 6),
        "gap": None if gap is None else round(gap, 6),
        "solve_seconds": round(time.perf_counter() - t0, 3),
        "assignments": [ids.assignment(o) for o in chosen],
        "unscheduled": ids.unscheduled(explain_unscheduled(prep, chosen)) if final else [],
        "explanation": explanation,
    }
