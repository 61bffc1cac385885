"""Transfer-chain ranking quality (docs/BENCHMARKS.md, 成果转化链条)."""

from matchmaker.providers.evaluation import evaluate, format_table


def main() -> None:
    print(format_table(evaluate()), flush=True)
