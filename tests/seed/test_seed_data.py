"""Checks on the hand-written seed data (种子数据) in seed_data/.

These tests read the JSON Lines files directly and need no database, so a broken seed file
is caught before `make run` tries to load it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from matchmaker.constants import DEFAULT_FIELDS, MATURITIES, ORG_TYPES, REGIONS, TRANSFER_MODES

SEED = Path(__file__).resolve().parents[2] / "seed_data"

# Characters that exist only in Traditional Chinese; the seed deliberately mixes in a few
# Traditional postings, as real submissions do, and import must store them as given.
TRADITIONAL_ONLY = set(
    "與為這個們來說時會學國對業發產經術體關現過種實區開動處應問題機車頭資點電網號層線據雙歡適庫統數處測離語辨識晶碼線設備計劃劃醫藥療遞顆質儲腫"
)

PHONE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")


def _load(name: str) -> list[dict]:
    rows = []
    with open(SEED / name, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            assert line.strip(), f"{name} 第{number}行为空行"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                pytest.fail(f"{name} 第{number}行不是合法 JSON: {exc}")
            assert isinstance(row, dict), f"{name} 第{number}行不是 JSON 对象"
            rows.append(row)
    return rows


@pytest.fixture(scope="module")
def postings() -> list[dict]:
    return _load("postings.jsonl")


@pytest.fixture(scope="module")
def results(postings) -> list[dict]:
    return [p for p in postings if p["kind"] == "result"]


@pytest.fixture(scope="module")
def needs(postings) -> list[dict]:
    return [p for p in postings if p["kind"] == "need"]


@pytest.fixture(scope="module")
def experts() -> list[dict]:
    return _load("experts.jsonl")


@pytest.fixture(scope="module")
def topics() -> list[dict]:
    return _load("topics.jsonl")


def _text(p: dict) -> str:
    return p["title"] + p["description"]


def test_files_are_utf8_with_non_ascii_kept_as_is():
    for name in ("postings.jsonl", "experts.jsonl", "topics.jsonl"):
        raw = (SEED / name).read_text(encoding="utf-8")
        assert "\\u" not in raw, f"{name} 中文被转义了，应使用 ensure_ascii=False"


def test_posting_ids_unique_and_well_formed(postings):
    ids = [p["id"] for p in postings]
    assert [i for i, c in Counter(ids).items() if c > 1] == []
    for p in postings:
        assert p["kind"] in ("result", "need")
        prefix = "SR" if p["kind"] == "result" else "SN"
        assert re.fullmatch(prefix + r"\d{3}", p["id"]), p["id"]


def test_counts_and_per_field_minimums(results, needs):
    assert len(results) >= 100
    assert len(needs) >= 60
    assert len(results) + len(needs) >= 150
    by_field_r = Counter(p["field"] for p in results)
    by_field_n = Counter(p["field"] for p in needs)
    for field in DEFAULT_FIELDS:
        assert by_field_r[field] >= 6, f"{field} 成果只有 {by_field_r[field]} 条"
        assert by_field_n[field] >= 3, f"{field} 需求只有 {by_field_n[field]} 条"


def test_common_values_are_valid(postings):
    for p in postings:
        assert p["field"] in DEFAULT_FIELDS, (p["id"], p["field"])
        assert p["region"] in REGIONS, (p["id"], p["region"])
        assert p["title"].strip() and p["organization"].strip(), p["id"]
        assert all(isinstance(k, str) and k.strip() for k in p["keywords"]), p["id"]
        contact = p["contact"]
        assert contact["name"].strip(), p["id"]
        assert PHONE.match(contact["phone"]), (p["id"], contact["phone"])
        assert EMAIL.match(contact["email"]), (p["id"], contact["email"])


def test_results_follow_the_exchange_format(results):
    for p in results:
        assert 80 <= len(p["description"]) <= 250, (p["id"], len(p["description"]))
        assert 3 <= len(p["keywords"]) <= 6, p["id"]
        assert p["maturity"] in MATURITIES, (p["id"], p["maturity"])
        modes = p["transfer_modes"]
        assert modes and set(modes) <= set(TRANSFER_MODES), (p["id"], modes)
        assert len(set(modes)) == len(modes), p["id"]
        assert p["price_wan"] is None or (isinstance(p["price_wan"], (int, float)) and p["price_wan"] > 0)
        assert p["team"].strip(), p["id"]
        for number in p.get("patent_numbers", []):
            assert re.fullmatch(r"ZL\d{12}\.[\dX]", number), (p["id"], number)
    assert sum(1 for p in results if p.get("patent_numbers")) >= 10


def test_needs_follow_the_exchange_format(needs):
    for p in needs:
        assert 60 <= len(p["description"]) <= 200, (p["id"], len(p["description"]))
        assert len(p["keywords"]) <= 5, p["id"]
        assert p["budget_wan"] is None or (isinstance(p["budget_wan"], (int, float)) and p["budget_wan"] > 0)
        if p["deadline"] is not None:
            deadline = date.fromisoformat(p["deadline"])
            assert deadline.year == 2027, (p["id"], p["deadline"])


def test_demo_organisations_have_postings(results, needs):
    yuhang = [p for p in needs if p["organization"] == "郑州宇航精密机械有限公司"]
    assert len(yuhang) >= 3 and {p["region"] for p in yuhang} == {"郑州"}
    assert {p["field"] for p in yuhang} <= {"高端装备制造", "智能传感", "人工智能"}
    fengyuan = [p for p in needs if p["organization"] == "河南丰源食品有限公司"]
    assert len(fengyuan) >= 3 and {p["region"] for p in fengyuan} == {"漯河"}
    assert {p["field"] for p in fengyuan} <= {"食品加工", "现代农业"}
    orgs = Counter(p["organization"] for p in results)
    assert orgs["郑州大学"] >= 3 and orgs["河南农业大学"] >= 3


def test_classic_vocabulary_gap_pairs_are_present(results, needs):
    """Pairs whose need and result use different words for the same thing (matching must bridge them)."""
    by_title = {p["title"]: p for p in results + needs}
    assert "同一台机床上午和下午加工的零件尺寸不一样" in by_title
    assert "数控机床主轴热误差建模与实时补偿" in by_title
    for need_term, result_term in (("PLC", "可编程控制器"), ("AGV", "自动导引车"), ("LiDAR", "激光雷达")):
        assert any(need_term in _text(p) and result_term not in _text(p) for p in needs), need_term
        assert any(result_term in _text(p) and need_term not in _text(p) for p in results), result_term


def test_traditional_chinese_items_exist(postings):
    traditional = [p["id"] for p in postings if len(set(_text(p)) & TRADITIONAL_ONLY) >= 5]
    assert len(traditional) >= 3, traditional


def test_experts(experts, results):
    assert len(experts) == 20
    ids = [e["id"] for e in experts]
    assert len(set(ids)) == 20 and all(re.fullmatch(r"SE\d{2}", i) for i in ids)
    result_org = {p["id"]: p["organization"] for p in results}
    for e in experts:
        assert e["title"] in ("教授", "研究员", "副教授", "高级工程师"), e["id"]
        assert e["org_type"] in ORG_TYPES and e["org_type"] in ("高校", "科研院所"), e["id"]
        assert e["region"] in REGIONS and e["field"] in DEFAULT_FIELDS, e["id"]
        assert 3 <= len(e["research_areas"]) <= 5, e["id"]
        assert 80 <= len(e["bio"]) <= 200, (e["id"], len(e["bio"]))
        assert PHONE.match(e["contact"]["phone"]) and EMAIL.match(e["contact"]["email"]), e["id"]
        assert e["results"], e["id"]
        for rid in e["results"]:
            assert rid in result_org, (e["id"], rid)
            assert result_org[rid] == e["organization"], (e["id"], rid)
    orgs = Counter(e["organization"] for e in experts)
    assert len(orgs) >= 8
    assert orgs["郑州大学"] >= 2 and orgs["河南农业大学"] >= 2
    assert len({e["field"] for e in experts}) >= 8


def test_topics(topics):
    assert len(topics) == 8
    ids = [t["id"] for t in topics]
    assert len(set(ids)) == 8 and all(re.fullmatch(r"ST\d{2}", i) for i in ids)
    for t in topics:
        assert t["industry_chain"].endswith("产业链"), t["id"]
        assert t["title"].strip() and t["lead_department"].strip(), t["id"]
        assert t["field"] in DEFAULT_FIELDS, t["id"]
        assert 80 <= len(t["description"]) <= 200, (t["id"], len(t["description"]))
    assert len({t["industry_chain"] for t in topics}) == 8


def test_intended_matches_reference_real_postings(results, needs):
    """intended_matches.tsv lists, in the qrels layout, which results were written to solve which need."""
    result_ids = {p["id"] for p in results}
    need_ids = {p["id"] for p in needs}
    pairs = {}
    with open(SEED / "intended_matches.tsv", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            need_id, result_id, grade = line.rstrip("\n").split("\t")
            assert need_id in need_ids, (number, need_id)
            assert result_id in result_ids, (number, result_id)
            assert grade in ("1", "2"), (number, grade)
            assert (need_id, result_id) not in pairs, (number, need_id, result_id)
            pairs[(need_id, result_id)] = int(grade)
    assert {n for n, _ in pairs} == need_ids, "每条需求都应至少有一个预期匹配的成果"
    by_title = {p["title"]: p["id"] for p in results + needs}
    thermal = (
        by_title["同一台机床上午和下午加工的零件尺寸不一样"],
        by_title["数控机床主轴热误差建模与实时补偿"],
    )
    assert pairs[thermal] == 2
    for need_term, result_term in (("PLC", "可编程控制器"), ("AGV", "自动导引车"), ("LiDAR", "激光雷达")):
        assert any(
            g == 2
            and need_term in _text(next(p for p in needs if p["id"] == n))
            and result_term in _text(next(p for p in results if p["id"] == r))
            for (n, r), g in pairs.items()
        ), need_term


def test_a_person_has_one_phone_and_email(postings, experts, results):
    """The same contact person (organisation + name) is reachable the same way on every posting."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for p in postings:
        key = (p["organization"], p["contact"]["name"])
        value = (p["contact"]["phone"], p["contact"]["email"])
        assert seen.setdefault(key, value) == value, (p["id"], key)
    by_id = {p["id"]: p for p in results}
    for e in experts:
        for rid in e["results"]:
            contact = by_id[rid]["contact"]
            if contact["name"] == e["name"]:
                assert (contact["phone"], contact["email"]) == (
                    e["contact"]["phone"],
                    e["contact"]["email"],
                ), e["id"]
