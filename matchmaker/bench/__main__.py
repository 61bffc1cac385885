"""`python -m matchmaker.bench [matching|roadshow ...]`: run the benchmarks."""

import importlib
import os
import sys

# Benches measure the model, not the vector cache (and their subprocesses inherit this).
os.environ["MATCHMAKER_VECTOR_CACHE"] = "0"

SUITES = ["matching", "roadshow", "chain", "store", "dashboards", "exchange"]


def main(argv: list[str]) -> int:
    if argv and argv[0] == "live":  # takes its own options (--size, --json)
        importlib.import_module("matchmaker.bench.live").main(argv[1:])
        return 0
    for name in argv or SUITES:
        print(f"\n######## benchmark: {name}", flush=True)
        importlib.import_module(f"matchmaker.bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
