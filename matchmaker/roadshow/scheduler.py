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

    @property
    def placement(self) -> Placement:
        return Placement(self.candidate, self.session, self.room, self.start)


@dataclass
class Prepared:
    """The instance with its options, demand and shared-interest pairs pre-computed."""

    inst: Instance
    options: dict[str, list[Option]]
    static_reason: dict[str, str]
    demand: dict[str, float]
    interested: dict[str, set[str]]
    grid: dict[str, list[int]] = field(default_factory=dict)


def prepare(inst: Instance) -> Prepared:
    options: dict[str, list[Option]] = {}
    reason: dict[str, str] = {}
    for c in inst.candidates:
        compatible = [s for s in inst.sessions if s.accepts(c.field) and c.can_travel(s.city)]
        opts = [
            Option(c.id, s.id, r.id, t, t + c.minutes, s.date)
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
    )


# ---------------------------------------------------------------- evaluation


def evaluate(prep: Prepared, chosen: list[Option]) -> dict:
    """Objective parts of a schedule, in the instance's units."""
    inst = prep.inst
    demand = sum(prep.demand[o.candidate] for o in chosen)
    conflicts = 0
    by_session = defaultdict(list)
    for o in chosen:
        by_session[o.session].append(o)
    for talks in by_session.values():
        for a, b in combinations(talks, 2):
            if a.room != b.room and a.start < b.end and b.start < a.end:
                conflicts += len(prep.interested[a.candidate] & prep.interested[b.candidate])
    kept = {o.placement for o in chosen}
    displaced = sum(1 for p in inst.previous if p not in kept)
    return {
        "demand": demand,
        "conflicts": conflicts,
        "displaced": displaced,
        "value": demand - inst.lam * conflicts - inst.mu * displaced,
    }


class _State:
    """Occupancy bookkeeping shared by the greedy heuristics and the explanation."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.rooms = defaultdict(list)  # (session, room) -> [(start, end)]
        self.presenters = defaultdict(list)  # (presenter, date) -> [(start, end)]
        self.orgs = defaultdict(int)  # (session, organisation) -> talks
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
        return out

    def place(self, o: Option) -> None:
        c = self.inst.candidate_by_id[o.candidate]
        self.rooms[(o.session, o.room)].append((o.start, o.end))
        self.presenters[(c.presenter, o.date)].append((o.start, o.end))
        self.orgs[(o.session, c.organization)] += 1
        self.chosen.append(o)


def _pin_options(prep: Prepared) -> dict[str, Option]:
    out = {}
    for p in prep.inst.pinned:
        c = prep.inst.candidate_by_id[p.candidate]
        s = prep.inst.session_by_id[p.session]
        out[p.candidate] = Option(c.id, s.id, p.room, p.start, p.start + c.minutes, s.date)
    return out


def greedy(prep: Prepared, prefer: list[Placement] | None = None) -> list[Option]:
    """基线: pins first, then the highest demand first into the first feasible slot.

    With `prefer` (the previous schedule), those placements are tried first for their
    candidates: the warm start used when re-planning.
    """
    state = _State(prep.inst)
    pins = _pin_options(prep)
    for o in pins.values():
        state.place(o)
    order = sorted(
        (c for c in prep.inst.candidates if c.id not in pins), key=lambda c: (-prep.demand[c.id], c.id)
    )
    preferred = {p.candidate: p for p in prefer or []}
    for c in order:
        opts = prep.options[c.id]
        if c.id in preferred:
            opts = sorted(opts, key=lambda o: o.placement != preferred[c.id])
        for o in opts:
            if not state.blockers(o):
                state.place(o)
                break
    return state.chosen


def fill_idle(prep: Prepared, chosen: list[Option]) -> list[Option]:
    """Add left-out candidates to free slots where that does not lower the objective.

    CP-SAT is indifferent to talks of zero marginal value (e.g. no enterprise above the
    threshold yet); a broker still wants an idle slot used, so they are placed afterwards.
    """
    inst = prep.inst
    state = _State(inst)
    for o in chosen:
        state.place(o)
    placed = {o.candidate for o in chosen}
    previous = {p.candidate: p for p in inst.previous}
    for c in sorted(inst.candidates, key=lambda c: (-prep.demand[c.id], c.id)):
        if c.id in placed:
            continue
        best, best_gain = None, -1e-9
        for o in prep.options[c.id]:
            if state.blockers(o):
                continue
            shared = sum(
                len(prep.interested[c.id] & prep.interested[t.candidate])
                for t in state.chosen
                if t.session == o.session and t.room != o.room and t.start < o.end and o.start < t.end
            )
            gain = (
                prep.demand[c.id] - inst.lam * shared + (inst.mu if previous.get(c.id) == o.placement else 0)
            )
            if gain > best_gain:
                best, best_gain = o, gain
        if best is not None:
            state.place(best)
            placed.add(c.id)
    return state.chosen


def explain_unscheduled(prep: Prepared, chosen: list[Option]) -> list[dict]:
    """A reason for every candidate left out of `chosen`."""
    state = _State(prep.inst)
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
                detail = (
                    "报告人的其他项目占用了可行时段"
                    if all(b <= {"presenter", "quota"} for b in blocks)
                    else "可行时段均已被需求更高的项目占用"
                )
        out.append({"candidate": c.id, "reason": reason, "detail": detail or REASONS[reason]})
    return out


# ---------------------------------------------------------------- CP-SAT model


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[dict], None], offset: int):
        super().__init__()
        self.report, self.offset, self.t0 = report, offset, time.perf_counter()

    def on_solution_callback(self) -> None:
        self.report(
            {
                "objective": (self.objective_value + self.offset) / SCALE,
                "bound": (self.best_objective_bound + self.offset) / SCALE,
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


def _model_option(o: Option, pooled: set[str]) -> Option:
    return Option(o.candidate, o.session, None, o.start, o.end, o.date) if o.session in pooled else o


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

    terms = [round(prep.demand[o.candidate] * SCALE) * x[o] for o in x]

    # Parallel conflicts: z[c1, c2, s] >= cov(c1, s, u) + cov(c2, s, u) - 1 at every grid point u;
    # two talks in one room never share a point, so a shared point means parallel rooms.
    z = {}
    if inst.lam > 0:
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
    mu = round(inst.mu * SCALE)
    offset = -mu * len(inst.previous)
    for p in inst.previous:
        c = inst.candidate_by_id[p.candidate]
        s = inst.session_by_id[p.session]
        o = Option(c.id, s.id, p.room, p.start, p.start + c.minutes, s.date)
        if o in x:
            terms.append(mu * x[o])
    m.maximize(sum(terms))
    return _Model(m, x, z, offset, len(z), pooled)


def _hint(mdl: _Model, chosen: list[Option]) -> None:
    on = {_model_option(o, mdl.pooled) for o in chosen}
    for o, var in mdl.x.items():
        mdl.model.add_hint(var, o in on)
    by_cs = {(o.candidate, o.session): o for o in chosen}
    for (c1, c2, sid), var in mdl.z.items():
        a, b = by_cs.get((c1, sid)), by_cs.get((c2, sid))
        mdl.model.add_hint(var, bool(a and b and a.room != b.room and a.start < b.end and b.start < a.end))


def assign_rooms(prep: Prepared, selected: list[Option]) -> list[Option]:
    """Give pooled talks a room: interval colouring by start time, first free room."""
    out = [o for o in selected if o.room is not None]
    pooled = defaultdict(list)
    for o in selected:
        if o.room is None:
            pooled[o.session].append(o)
    for sid, talks in pooled.items():
        free_at = {r.id: 0 for r in prep.inst.session_by_id[sid].rooms}
        for o in sorted(talks, key=lambda t: (t.start, t.end, t.candidate)):
            room = next(r for r, t in free_at.items() if t <= o.start)  # ≤ len(rooms) overlap
            free_at[room] = o.end
            out.append(Option(o.candidate, o.session, room, o.start, o.end, o.date))
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
    found = [v.to_dict() for v in checker.check(data, pins)]
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
) -> dict:
    """Solve a JSON instance; return the `roadshow plan` answer (see docs/roadshow.md).

    Raises InstanceError on bad input. `progress` gets {objective, bound, seconds} on every
    improving solution (used by the web background job).
    """
    t0 = time.perf_counter()
    inst = inst or parse_instance(data)
    ids = _Ids(data)
    prep = prepare(inst)
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
    callback = _Progress(progress, mdl.offset) if progress else None
    status = solver.solve(mdl.model, callback) if callback else solver.solve(mdl.model)
    status_name = solver.status_name(status)

    note = ""
    chosen, bound, gap = start_sol, None, None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solved = assign_rooms(prep, [o for o, var in mdl.x.items() if solver.boolean_value(var)])
        solved_eval = evaluate(prep, solved)
        int_obj = solver.objective_value + mdl.offset
        int_bound = solver.best_objective_bound + mdl.offset
        bound = int_bound / SCALE
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
            "options": len(mdl.x),
            "conflict_pairs": mdl.pairs,
            "solver_status": solver.status_name(status),
        },
    }
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
