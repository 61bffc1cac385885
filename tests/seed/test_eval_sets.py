"""Checks on the held-out ranking test set (测试集) in seed_data/eval/test/.

The set's own stdlib checker (validate.py) is run here, so a broken edit fails CI. The set is
for evaluation only, never for tuning. Nothing here needs /work/shared; the one comparison with
the shared dev set skips when that directory is absent.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from matchmaker.constants import DEFAULT_FIELDS, MATURITIES, REGIONS, TRANSFER_MODES

TEST_SET = Path(__file__).resolve().parents[2] / "seed_data" / "eval" / "test"
DEV_SET = Path("/work/shared/eval/dev")
FILES = ("needs.jsonl", "results.jsonl", "qrels.tsv")


def _checker():
    spec = importlib.util.spec_from_file_location("eval_test_validate", TEST_SET / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(directory: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (directory / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def copy_of_set(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(TEST_SET / name, tmp_path / name)
    return tmp_path


def test_test_set_passes_its_checker():
    errors, summary = _checker().validate(TEST_SET)
    assert errors == []
    assert summary[0].startswith("needs=64 results=256 ")


def test_counts_per_field_and_grade_limits():
    needs, results = _rows(TEST_SET, "needs.jsonl"), _rows(TEST_SET, "results.jsonl")
    assert [r["id"] for r in needs] == [f"TN{i:03d}" for i in range(1, 65)]
    assert [r["id"] for r in results] == [f"TR{i:03d}" for i in range(1, 257)]
    for k, field in enumerate(DEFAULT_FIELDS):
        assert {r["field"] for r in needs[4 * k : 4 * k + 4]} == {field}
        assert {r["field"] for r in results[16 * k : 16 * k + 16]} == {field}
    grades: dict[str, list[int]] = {r["id"]: [] for r in needs}
    for line in (TEST_SET / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        need_id, _result_id, grade = line.split("\t")
        grades[need_id].append(int(grade))
    for need_id, gs in grades.items():
        assert 1 <= gs.count(2) <= 2, need_id
        assert gs.count(1) <= 2, need_id


def test_values_are_accepted_by_the_application():
    """Import must take the set as it is: the same taxonomy, regions and enumerations."""
    for r in _rows(TEST_SET, "needs.jsonl") + _rows(TEST_SET, "results.jsonl"):
        assert r["field"] in DEFAULT_FIELDS, r["id"]
        assert r["region"] in REGIONS, r["id"]
        if r["kind"] == "result":
            assert r["maturity"] in MATURITIES, r["id"]
            assert set(r["transfer_modes"]) <= set(TRANSFER_MODES), r["id"]


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (lambda d: _drop_first_qrel(d), "TN001 has 0 grade-2 results"),
        (lambda d: _edit_first(d, "results.jsonl", description="太短"), "TR001 description length"),
        (lambda d: _edit_first(d, "needs.jsonl", region="北京"), "TN001 region"),
        (lambda d: _edit_first(d, "results.jsonl", transfer_modes=["买断"]), "TR001 transfer_modes"),
        (lambda d: _append_qrel(d, "TN001\tTR003\t1"), "distractor TR003 is judged"),
    ],
)
def test_checker_catches_broken_copies(copy_of_set: Path, corrupt, expected):
    corrupt(copy_of_set)
    errors, _ = _checker().validate(copy_of_set)
    assert any(expected in e for e in errors), errors


def test_no_text_copied_from_the_dev_set():
    if not DEV_SET.is_dir():
        pytest.skip("shared dev set not available")
    dev = _rows(DEV_SET, "needs.jsonl") + _rows(DEV_SET, "results.jsonl")
    ours = _rows(TEST_SET, "needs.jsonl") + _rows(TEST_SET, "results.jsonl")
    dev_titles = {r["title"] for r in dev}
    dev_texts = {r["description"][:20] for r in dev}
    assert not [r["id"] for r in ours if r["title"] in dev_titles or r["description"][:20] in dev_texts]


def _drop_first_qrel(directory: Path) -> None:
    lines = (directory / "qrels.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    (directory / "qrels.tsv").write_text("".join(lines[1:]), encoding="utf-8")


def _append_qrel(directory: Path, line: str) -> None:
    with open(directory / "qrels.tsv", "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _edit_first(directory: Path, name: str, **changes) -> None:
    rows = _rows(directory, name)
    rows[0].update(changes)
    (directory / name).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
