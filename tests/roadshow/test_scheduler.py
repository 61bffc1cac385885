"""Scheduler, checker and `roadshow plan` contract (路演排程)."""

from __future__ import annotations

import copy
import json

import pytest

from matchmaker.errors import DomainError
from matchmaker.roadshow import checker
from matchmaker.roadshow.generate import generate
from matchmaker.roadshow.instance import parse_instance
from matchmaker.roadshow.scheduler import plan


def small() -> dict:
    """Two sessions (one 2-room chain session in 郑州, one 1-room city session in 洛阳)."""
    return {
        "sessions": [
            {
                "id": "S1",
                "theme": "超硬材料",
                "city": "郑州",
                "date": "2026-12-07",
                "start": "09:00",
                "end": "10:00",
                "slot_minutes": 10,
                "rooms": [{"id": "A", "capacity": 50}, {"id": "B", "capacity": 30}],
            },
            {
                "id": "S2",
                "theme": "高端装备制造",
                "city": "洛阳",
                "date": "2026-12-07",
                "start": "09:00",
                "end": "09:40",
                "slot_minutes": 20,
                "rooms": [{"id": "A", "capacity": 40}],
            },
        ],
        "candidates": [
            {"id": "c1", "field": "超硬材料", "organization": "郑大", "presenter": "王", "minutes": 20},
            {
                "id": "c2",
                "field": "超硬材料",
                "organization": "郑大",
                "presenter": "李",
                "minutes": 20,
                "available": [{"date": "2026-12-07", "start": "09:00", "end": "09:30"}],
            },
            {"id": "c3", "field": "超硬材料", "organization": "郑大", "presenter": "赵", "minutes": 30},
            {
                "id": "c4",
                "field": "高端装备制造",
                "organization": "河科大",
                "presenter": "王",
                "minutes": 20,
                "cities": ["洛阳"],
            },
            {"id": "c5", "field": "生物医药", "organization": "河大", "presenter": "孙", "minutes": 20},
            {
                "id": "c6",
                "field": "高端装备制造",
                "organization": "河科大",
                "presenter": "周",
                "minutes": 20,
                "cities": ["郑州"],
            },
            {
                "id": "c7",
                "field": "超硬材料",
                "organization": "工学院",
                "presenter": "吴",
                "minutes": 20,
                "available": [{"date": "2026-12-08", "start": "09:00", "end": "12:00"}],
            },
        ],
        "interest": [
            {"enterprise": "E1", "candidate": "c1", "score": 0.9},
            {"enterprise": "E1", "candidate": "c2", "score": 0.8},
            {"enterprise": "E2", "candidate": "c2", "score": 0.5},
            {"enterprise": "E2", "candidate": "c3", "score": 0.7},
            {"enterprise": "E3", "candidate": "c3", "score": 0.2},
            {"enterprise": "E3", "candidate": "c4", "score": 0.6},
            {"enterprise": "E1", "candidate": "c5", "score": 0.9},
            {"enterprise": "E4", "candidate": "c7", "score": 0.9},
        ],
        "rules": {"min_interest": 0.3, "max_per_organization_per_session": 2, "lambda": 0.5, "pinned": []},
    }


def assert_valid(instance: dict, answer: dict) -> dict:
    """The independent checker finds nothing and agrees with the reported objective."""
    violations = checker.check(instance, answer["assignments"])
    hard = [v.to_dict() for v in violations if v.constraint != "idle"]
    assert hard == [], hard
    # Idle slots only where a pin forces them, each explained in the plan.
    idle = [v.detail for v in violations if v.constraint == "idle"]
    explained = answer["explanation"].get("idle", [])
    assert len(idle) == len(explained), (idle, explained)
    assert all(g["reason"] for g in explained)
    if not (instance.get("rules") or {}).get("pinned") and not instance.get("previous"):
        assert idle == []
    recomputed = checker.objective(instance, answer["assignments"])
    assert recomputed["value"] == pytest.approx(answer["objective"], abs=1e-6)
    assert answer["objective"] >= answer["greedy_objective"] - 1e-9
    if answer["bound"] is not None:
        assert answer["bound"] >= answer["objective"] - 1e-6
    return recomputed


def test_small_instance_optimal_with_reasons():
    inst = small()
    answer = plan(inst, time_limit=5)
    assert answer["status"] == "OPTIMAL" and answer["gap"] == 0
    assert_valid(inst, answer)
    reasons = {u["candidate"]: u["reason"] for u in answer["unscheduled"]}
    assert reasons["c5"] == "no_compatible_session"  # no 生物医药 session
    assert reasons["c6"] == "no_compatible_session"  # 高端装备 only in 洛阳, presenter only 郑州
    assert reasons["c7"] == "availability"  # available on another day only
    placed = {a["candidate"]: a for a in answer["assignments"]}
    assert {"c1", "c2", "c4"} <= set(placed)
    # c1 and c2 share E1: λ > 0 keeps them out of parallel rooms.
    a, b = placed["c1"], placed["c2"]
    assert a["start"] >= b["end"] or b["start"] >= a["end"]
    # c2 lies within its 09:00–09:30 window; presenter 王 (c1, c4) never double-booked.
    assert placed["c2"]["end"] <= "09:30"


def test_quota_reason():
    inst = small()
    inst["rules"]["max_per_organization_per_session"] = 1
    answer = plan(inst, time_limit=5)
    assert_valid(inst, answer)
    reasons = {u["candidate"]: u["reason"] for u in answer["unscheduled"]}
    zhengda = {"c1", "c2", "c3"}  # all 郑大, all fit only S1
    placed = {a["candidate"] for a in answer["assignments"]}
    assert len(zhengda & placed) == 1
    assert {k for k, v in reasons.items() if v == "quota"} == zhengda - placed


def test_idle_slots_are_used_without_lowering_the_objective():
    inst = small()
    inst["interest"] = []  # no demand yet: every talk is worth 0
    answer = plan(inst, time_limit=5)
    assert_valid(inst, answer)
    assert answer["objective"] == 0
    placed = {a["candidate"] for a in answer["assignments"]}
    assert "c4" in placed and len(placed & {"c1", "c2", "c3"}) == 2  # quota 2 for 郑大 in S1


def test_identical_pins_are_one_pin():
    inst = small()
    pin = {"candidate": "c1", "session": "S1", "room": "A", "start": "09:00"}
    inst["rules"]["pinned"] = [pin, dict(pin)]
    answer = plan(inst, time_limit=5)
    assert answer["status"] == "OPTIMAL"
    assert_valid(inst, answer)


@pytest.mark.parametrize("n,s,seed", [(30, 4, 1), (60, 6, 2), (80, 8, 3)])
def test_generated_instances_pass_the_checker(n, s, seed):
    inst = generate(n, s, seed=seed)
    answer = plan(inst, time_limit=8)
    assert answer["status"] in ("OPTIMAL", "FEASIBLE")
    assert_valid(inst, answer)
    scheduled = {a["candidate"] for a in answer["assignments"]}
    assert scheduled | {u["candidate"] for u in answer["unscheduled"]} == {
        c["id"] for c in inst["candidates"]
    }
    assert {u["reason"] for u in answer["unscheduled"]} <= {
        "no_compatible_session",
        "availability",
        "quota",
        "outranked",
    }


def test_cpsat_beats_greedy_when_parallel_conflicts_matter():
    inst = generate(40, 4, seed=11, lam=1.0)
    answer = plan(inst, time_limit=8)
    assert_valid(inst, answer)
    assert answer["objective"] > answer["greedy_objective"]


def test_pins_respected():
    inst = small()
    inst["rules"]["pinned"] = [{"candidate": "c3", "session": "S1", "room": "B", "start": "09:30"}]
    answer = plan(inst, time_limit=5)
    assert_valid(inst, answer)
    assert {
        "candidate": "c3",
        "session": "S1",
        "room": "B",
        "date": "2026-12-07",
        "start": "09:30",
        "end": "10:00",
    } in answer["assignments"]
    # Room B cannot be filled exactly before the 09:30 pin (talks are 20 and 30 minutes).
    gaps = answer["explanation"]["idle"]
    assert [(g["room"], g["slots"]) for g in gaps] == [("B", 1)] and "固定项目 c3" in gaps[0]["reason"]


@pytest.mark.parametrize(
    "pins,constraint",
    [
        (
            [
                {"candidate": "c1", "session": "S1", "room": "A", "start": "09:00"},
                {"candidate": "c3", "session": "S1", "room": "A", "start": "09:10"},
            ],
            "room_overlap",
        ),
        (
            [
                {"candidate": "c1", "session": "S1", "room": "A", "start": "09:00"},
                {"candidate": "c4", "session": "S2", "room": "A", "start": "09:00"},
            ],
            "presenter_overlap",
        ),
        (
            [
                {"candidate": "c1", "session": "S1", "room": "A", "start": "09:00"},
                {"candidate": "c2", "session": "S1", "room": "B", "start": "09:00"},
                {"candidate": "c3", "session": "S1", "room": "A", "start": "09:30"},
            ],
            "quota",
        ),
        ([{"candidate": "c5", "session": "S1", "room": "A", "start": "09:00"}], "theme"),
        ([{"candidate": "c6", "session": "S2", "room": "A", "start": "09:00"}], "city"),
        ([{"candidate": "c2", "session": "S1", "room": "A", "start": "09:20"}], "availability"),
        ([{"candidate": "c3", "session": "S1", "room": "A", "start": "09:40"}], "hours"),
        ([{"candidate": "c1", "session": "S1", "room": "A", "start": "09:05"}], "grid"),
    ],
)
def test_unsatisfiable_pins_are_named(pins, constraint):
    inst = small()
    inst["rules"]["pinned"] = pins
    answer = plan(inst, time_limit=5)
    assert answer["status"] == "INFEASIBLE"
    assert answer["assignments"] == []
    assert constraint in answer["explanation"]["constraints"]


def _corrupt(answer: dict, candidate: str, **changes) -> list[dict]:
    out = copy.deepcopy(answer["assignments"])
    for a in out:
        if a["candidate"] == candidate:
            a.update(changes)
    return out


def test_checker_catches_each_corruption():
    inst = small()
    inst["rules"]["pinned"] = [{"candidate": "c4", "session": "S2", "room": "A", "start": "09:00"}]
    answer = plan(inst, time_limit=5)
    assert_valid(inst, answer)
    base = answer["assignments"]
    c1 = next(a for a in base if a["candidate"] == "c1")
    other_room = "B" if c1["room"] == "A" else "A"

    def names(assignments):
        return {v.constraint for v in checker.check(inst, assignments)}

    add = lambda **a: base + [a]  # noqa: E731
    assert "theme" in names(add(candidate="c5", session="S1", room=other_room, start="09:40", end="10:00"))
    assert "city" in names(add(candidate="c6", session="S2", room="A", start="09:20", end="09:40"))
    assert "availability" in names(
        add(candidate="c7", session="S1", room=other_room, start="09:40", end="10:00")
    )
    assert "duplicate" in names(
        add(candidate="c1", session="S1", room=other_room, start="09:40", end="10:00")
    )
    assert "unknown" in names(add(candidate="c1", session="S9", room="A", start="09:00", end="09:20"))
    assert "hours" in names(_corrupt(answer, "c1", start="09:50", end="10:10"))
    assert "grid" in names(_corrupt(answer, "c1", start="09:05", end="09:25"))
    assert "end" in names(_corrupt(answer, "c1", end="09:59"))
    # Move c4 (pinned, presenter 王 like c1) onto c1's time: pin moved and presenter overlap.
    moved = _corrupt(answer, "c4", start="09:20", end="09:40")
    assert "pinned" in names(moved)
    c4_clash = _corrupt(answer, "c1", start="09:00", end="09:20")
    assert "presenter_overlap" in names(c4_clash)
    # Everything in room A at once.
    stacked = [dict(a, room="A", start="09:00", end=a["end"]) for a in base if a["session"] == "S1"]
    assert "room_overlap" in names(stacked)
    inst_q = copy.deepcopy(inst)
    inst_q["rules"]["max_per_organization_per_session"] = 1
    assert "quota" in {v.constraint for v in checker.check(inst_q, base)}


def test_replanning_moves_as_few_talks_as_possible():
    inst = generate(60, 6, seed=4)
    first = plan(inst, time_limit=8)
    assert_valid(inst, first)
    published = first["assignments"]
    # One scheduled presenter becomes unavailable; a new popular candidate appears.
    gone = published[0]["candidate"]
    changed = copy.deepcopy(inst)
    for c in changed["candidates"]:
        if c["id"] == gone:
            c["available"] = []
    changed["previous"] = [{k: a[k] for k in ("candidate", "session", "room", "start")} for a in published]
    changed["mu"] = 5.0

    def lost(answer):
        kept = {(a["candidate"], a["session"], a["room"], a["start"]) for a in answer["assignments"]}
        return [a for a in published if (a["candidate"], a["session"], a["room"], a["start"]) not in kept]

    # Closing the hole would move several published talks (μ each): cheaper to keep it (ν per
    # idle slot) and say why.
    again = plan(changed, time_limit=8)
    parts = assert_valid(changed, again)
    assert parts["displaced"] == 1  # only the talk that became impossible moved
    assert [a["candidate"] for a in lost(again)] == [gone]
    assert all("已发布" in g["reason"] for g in again["explanation"]["idle"])
    # Idle slots priced above moves: the room is packed again.
    changed["rules"]["idle_weight"] = 100
    again = plan(changed, time_limit=8)
    parts = assert_valid(changed, again)
    assert parts["idle_slots"] == 0 and gone in [a["candidate"] for a in lost(again)]


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda d: d.pop("sessions"), "sessions"),
        (lambda d: d["sessions"][0].update(start="9点"), "sessions[0].start"),
        (lambda d: d["sessions"][0].update(end="08:00"), "sessions[0].end"),
        (lambda d: d["sessions"][1].update(id="S1"), "sessions[1].id"),
        (lambda d: d["candidates"][0].update(minutes=0), "candidates[0].minutes"),
        (
            lambda d: d["candidates"][1]["available"][0].update(date="2026-13-01"),
            "candidates[1].available[0].date",
        ),
        (lambda d: d["interest"][0].update(candidate="nope"), "interest[0].candidate"),
        (lambda d: d["interest"][0].update(score="high"), "interest[0].score"),
        (lambda d: d["rules"].update({"lambda": -1}), "rules.lambda"),
        (
            lambda d: d["rules"].update(max_per_organization_per_session=0),
            "rules.max_per_organization_per_session",
        ),
        (
            lambda d: d["rules"].update(
                pinned=[{"candidate": "c1", "session": "S1", "room": "Z", "start": "09:00"}]
            ),
            "rules.pinned[0].room",
        ),
    ],
)
def test_bad_instances_name_the_field(mutate, field):
    inst = small()
    mutate(inst)
    with pytest.raises(DomainError) as err:
        parse_instance(inst)
    assert err.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)


def test_cli_contract(app, tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(small(), ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roadshow", "plan", "--instance", str(path), "--time-limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {
        "assignments",
        "unscheduled",
        "objective",
        "greedy_objective",
        "status",
        "bound",
        "solve_seconds",
    } <= set(answer)
    assert set(answer["assignments"][0]) >= {"candidate", "session", "room", "start", "end"}
    assert set(answer["unscheduled"][0]) >= {"candidate", "reason"}
    assert_valid(small(), answer)

    bad = small()
    bad["candidates"][2]["field"] = ""
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["roadshow", "plan", "--instance", str(path), "--json"])
    assert result.exit_code != 0
    assert json.loads(result.output)["error"]["field"] == "candidates[2].field"

    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["roadshow", "plan", "--instance", str(path), "--json"])
    assert result.exit_code != 0 and "JSON" in json.loads(result.output)["error"]["message"]


def test_example_instance_solves(app):
    from matchmaker.config import PROJECT_ROOT

    inst = json.loads((PROJECT_ROOT / "seed_data" / "roadshow_instance.json").read_text(encoding="utf-8"))
    answer = plan(inst, time_limit=5)
    assert_valid(inst, answer)
    assert answer["assignments"]


def test_integer_ids_are_echoed_with_their_type():
    inst = generate(30, 4, seed=3)
    ids = {c["id"]: n for n, c in enumerate(inst["candidates"], start=1)}
    sids = {s["id"]: n for n, s in enumerate(inst["sessions"], start=100)}
    for c in inst["candidates"]:
        c["id"] = ids[c["id"]]
    for s in inst["sessions"]:
        s["id"] = sids[s["id"]]
        for k, r in enumerate(s["rooms"], start=1):
            r["id"] = k
        s["theme"] = [s["theme"]]  # a theme may be given as a list of fields
    for row in inst["interest"]:
        row["candidate"] = ids[row["candidate"]]
    answer = plan(inst, time_limit=5)
    assert_valid(inst, answer)
    assert answer["assignments"]
    assert all(isinstance(a[k], int) for a in answer["assignments"] for k in ("candidate", "session", "room"))
    assert all(isinstance(u["candidate"], int) for u in answer["unscheduled"])


def test_seconds_in_times_are_accepted():
    inst = small()
    inst["sessions"][0]["start"] = "09:00:00"
    assert parse_instance(inst).sessions[0].start == 9 * 60
