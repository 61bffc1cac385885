"""`python -m matchmaker.bench [matching|roadshow ...]`: run the benchmarks."""

import importlib
import sys

SUITES = ["matching", "roadshow", "store"]


def main(argv: list[str]) -> int:
    for name in argv or SUITES:
        print(f"\n######## benchmark: {name}", flush=True)
        importlib.import_module(f"matchmaker.bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
