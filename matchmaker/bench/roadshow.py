"""Roadshow scheduling benchmark (路演排程基准): the packed model beside the previous model.

Generated instances (2 rooms per session); each is solved by the current (compact) model and by
the previous formulation (idle slots allowed, co-interest clashes priced within a session only),
then measured by the independent checker: idle slots and idle runs per room, co-interest clashes
between parallel talks on a date, the objective under the current definition, and time. The
greedy baseline of the current model is printed beside them.
"""

from __future__ import annotations

import os
import platform
import time

from matchmaker.roadshow import checker
from matchmaker.roadshow.generate import generate
from matchmaker.roadshow.scheduler import plan

CASES = [(60, 6, 1), (60, 6, 2), (200, 10, 1), (200, 10, 2), (200, 10, 3), (500, 20, 1)]
TIME_LIMIT = 10.0


def measure(inst: dict, answer: dict) -> dict:
    violations = checker.check(inst, answer["assignments"])
    parts = checker.objective(inst, answer["assignments"])
    return {
        "status": answer["status"],
        "objective": parts["value"],  # the current definition, for both models
        "demand": parts["demand"],
        "idle_slots": parts["idle_slots"],
        "idle_runs": sum(v.constraint == "idle" for v in violations),
        "clashes": sum(v.constraint == "interest_clash" for v in violations),
        "hard_violations": sum(v.constraint not in checker.SOFT for v in violations),
        "gap": answer["gap"],
        "seconds": answer["solve_seconds"],
        "scheduled": len(answer["assignments"]),
    }


def run(cases=CASES, time_limit: float = TIME_LIMIT) -> list[dict]:
    rows = []
    for n, sessions, seed in cases:
        inst = generate(n, sessions, rooms=2, seed=seed)
        new = plan(inst, time_limit=time_limit)
        old = plan(inst, time_limit=time_limit, formulation="previous")
        rows.append(
            {
                "candidates": n,
                "sessions": sessions,
                "seed": seed,
                "greedy": new["greedy_objective"],
                "new": measure(inst, new),
                "old": measure(inst, old),
            }
        )
    return rows


def main() -> None:
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; time limit {TIME_LIMIT:g} s"
    )
    header = (
        "| candidates | sessions×rooms | seed | model | status | objective | demand | idle slots (runs) "
        "| clashes | gap | seconds | scheduled | hard violations |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    ok = True
    for r in run():
        for name, m in (("new", r["new"]), ("previous", r["old"])):
            print(
                f"| {r['candidates']} | {r['sessions']}×2 | {r['seed']} | {name} | {m['status']} | "
                f"{m['objective']:.3f} | {m['demand']:.3f} | {m['idle_slots']} ({m['idle_runs']}) | "
                f"{m['clashes']} | {100 * (m['gap'] or 0):.2f}% | {m['seconds']:.1f} | {m['scheduled']} | "
                f"{m['hard_violations']} |",
                flush=True,
            )
        print(f"|  |  |  | greedy (new) |  | {r['greedy']:.3f} |  |  |  |  |  |  |  |", flush=True)
        new = r["new"]
        ok &= new["hard_violations"] == 0 and new["idle_slots"] == 0 and new["clashes"] == 0
        ok &= new["objective"] >= r["greedy"] - 1e-6
    print(
        "targets met (new model: no idle slot, no clash, no violation, ≥ greedy)" if ok else "TARGETS MISSED"
    )


if __name__ == "__main__":
    main()
