"""Validate the held-out TEST set (stdlib only). Run: python3 validate.py

Adapted from the dev set's checker: same format rules, the test set's counts
(64 needs, 256 results, 4 + 16 per field), and checks that the difficulty lists
given in README.md (hard distractors, Traditional items, abbreviations) hold.
`validate(directory)` returns (errors, summary lines) so tests can reuse it.
"""

import datetime
import json
import os
import re
import sys
from collections import Counter, defaultdict

FIELDS = "种业创新 食品加工 人工智能 先进功能材料 高端装备制造 新能源 绿色低碳 生命健康 无人机 具身智能 智能终端 先进计算 智能传感 超硬材料 现代农业 生物医药".split()
REGIONS = set(
    "郑州 洛阳 新乡 焦作 开封 许昌 南阳 周口 商丘 安阳 平顶山 信阳 驻马店 漯河 三门峡 鹤壁 濮阳 济源".split()
)
MATURITY = {"实验室阶段", "小试", "中试", "产业化"}
MODES = {"转让", "许可", "作价入股", "合作开发", "技术服务"}
N_NEEDS, N_RESULTS, NEEDS_PER_FIELD, RESULTS_PER_FIELD = 64, 256, 4, 16
# Characters that only occur in Traditional Chinese text.
TRAD = set(
    "們個這對說為與從來時會後發過還進種產開關電機現實體點應經題國學業區長間無層動測質讓線車設計價變處燒軸麵條貨續錶網麥藥圖譜顆據壓養護麼鑽診斷"
    "裡飯嗆緊臺殼紋撐幾塊難連視頻標擊錯裝內幫穫曬黴麴檢賣聲廠氣濕燈復輸倉庫風亂賠償銷雜週廣員輕鋯拋劃陰場蓋調藍預攝離跡縮減級屬羅費趕並創櫃節約"
)
# Difficulty lists documented in README.md; validate() checks them against the data.
DISTRACTORS = [f"TR{16 * k + i:03d}" for k in range(16) if k != 14 for i in (3, 6, 9, 12)] + [
    "TR227",
    "TR229",
    "TR232",
    "TR235",
    "TR240",
    # Judged non-relevant on review although they share terms with a need.
    "TR043",
    "TR155",
    "TR231",
]
TRAD_NEEDS = ["TN004", "TN015", "TN030", "TN041", "TN047", "TN055", "TN060", "TN063"]
TRAD_RESULTS = ["TR089", "TR105", "TR119", "TR141", "TR183"]
ABBR = [
    "AGV",
    "SLAM",
    "PLC",
    "BMS",
    "LiDAR",
    "CRISPR",
    "PEM",
    "SiC",
    "MES",
    "LLM",
    "TWS",
    "PUE",
    "MVR",
    "MEMS",
    "TDLAS",
    "FPGA",
    "GPU",
    "RISC-V",
    "CAR-T",
    "ANC",
    "CBAM",
    "VOCs",
    "SCADA",
    "PPK",
    "RTCP",
    "TOFD",
    "KASP",
    "QTL",
]


def validate(directory):
    errors = []
    err = errors.append

    def load(name):
        rows = []
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    err(f"{name}:{i} invalid JSON: {e}")
        return rows

    needs, results = load("needs.jsonl"), load("results.jsonl")
    for k, v in Counter(r.get("id") for r in needs + results).items():
        if v > 1:
            err(f"duplicate id {k}")
    for key in ("title", "description"):
        for k, v in Counter(r.get(key) for r in needs + results).items():
            if v > 1:
                err(f"duplicate {key}: {str(k)[:30]}")

    def common(r, kind, lo, hi, kwmax, kwmin):
        i = r.get("id", "?")
        if r.get("kind") != kind:
            err(f"{i} kind")
        if r.get("field") not in FIELDS:
            err(f"{i} field {r.get('field')}")
        if r.get("region") not in REGIONS:
            err(f"{i} region {r.get('region')}")
        if not (isinstance(r.get("title"), str) and r["title"]):
            err(f"{i} title")
        if not (isinstance(r.get("organization"), str) and r["organization"]):
            err(f"{i} organization")
        n = len(r.get("description") or "")
        if not lo <= n <= hi:
            err(f"{i} description length {n} not in {lo}-{hi}")
        kw = r.get("keywords")
        if not (isinstance(kw, list) and kwmin <= len(kw) <= kwmax and all(isinstance(x, str) for x in kw)):
            err(f"{i} keywords")

    def num_or_null(v):
        return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))

    for r in needs:
        common(r, "need", 60, 200, 5, 0)
        if not re.fullmatch(r"TN\d{3}", str(r.get("id", ""))):
            err(f"bad need id {r.get('id')}")
        if not num_or_null(r.get("budget_wan")):
            err(f"{r.get('id')} budget_wan")
        dl = r.get("deadline")
        if dl is not None:
            try:
                assert dl.startswith("2027-")
                datetime.date.fromisoformat(dl)
            except Exception:
                err(f"{r.get('id')} deadline {dl}")
    for r in results:
        common(r, "result", 80, 250, 6, 3)
        if not re.fullmatch(r"TR\d{3}", str(r.get("id", ""))):
            err(f"bad result id {r.get('id')}")
        if r.get("maturity") not in MATURITY:
            err(f"{r.get('id')} maturity")
        tm = r.get("transfer_modes")
        if not (isinstance(tm, list) and tm and set(tm) <= MODES and len(set(tm)) == len(tm)):
            err(f"{r.get('id')} transfer_modes")
        if not num_or_null(r.get("price_wan")):
            err(f"{r.get('id')} price_wan")

    # Ids are contiguous by field: TN(4k+1..4k+4), TR(16k+1..16k+16) for field index k.
    for r, per, prefix in [(r, NEEDS_PER_FIELD, "TN") for r in needs] + [
        (r, RESULTS_PER_FIELD, "TR") for r in results
    ]:
        m = re.fullmatch(prefix + r"(\d{3})", str(r.get("id", "")))
        if m and r.get("field") in FIELDS and (int(m.group(1)) - 1) // per != FIELDS.index(r["field"]):
            err(f"{r['id']} is outside the id block of field {r['field']}")

    need_ids = {r.get("id") for r in needs}
    res_ids = {r.get("id") for r in results}
    grades = defaultdict(Counter)
    judged = set()
    pairs = set()
    with open(os.path.join(directory, "qrels.tsv"), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[2] not in ("1", "2"):
                err(f"qrels:{i} malformed: {line!r}")
                continue
            q, d, g = parts
            if q not in need_ids:
                err(f"qrels:{i} unknown need {q}")
            if d not in res_ids:
                err(f"qrels:{i} unknown result {d}")
            if (q, d) in pairs:
                err(f"qrels:{i} duplicate pair {q} {d}")
            pairs.add((q, d))
            grades[q][g] += 1
            judged.add(d)
    for q in sorted(need_ids, key=str):
        g2, g1 = grades[q]["2"], grades[q]["1"]
        if not 1 <= g2 <= 2:
            err(f"{q} has {g2} grade-2 results")
        if g1 > 2:
            err(f"{q} has {g1} grade-1 results")

    if len(needs) != N_NEEDS:
        err(f"{len(needs)} needs, expected {N_NEEDS}")
    if len(results) != N_RESULTS:
        err(f"{len(results)} results, expected {N_RESULTS}")
    nf, rf = Counter(r.get("field") for r in needs), Counter(r.get("field") for r in results)
    for fld in FIELDS:
        if nf[fld] != NEEDS_PER_FIELD or rf[fld] != RESULTS_PER_FIELD:
            err(f"field {fld}: {nf[fld]} needs, {rf[fld]} results")

    by_id = {r.get("id"): r for r in needs + results}
    field_of = {r.get("id"): r.get("field") for r in results}
    dist_per_field = Counter(field_of.get(d) for d in DISTRACTORS)
    for d in DISTRACTORS:
        if d in judged:
            err(f"distractor {d} is judged in qrels")
        if d not in res_ids:
            err(f"distractor {d} unknown")
    for fld in FIELDS:
        if dist_per_field[fld] < 3:
            err(f"field {fld} has {dist_per_field[fld]} listed distractors, expected at least 3")

    def text(r):
        return r.get("title", "") + r.get("description", "")

    def is_trad(r):
        return sum(c in TRAD for c in text(r)) >= 5

    def has_abbr(r):
        return any(a in text(r) + "".join(r.get("keywords") or []) for a in ABBR)

    for i in TRAD_NEEDS + TRAD_RESULTS:
        if i not in by_id or not is_trad(by_id[i]):
            err(f"{i} is listed as Traditional Chinese but is not")
    for r in needs + results:
        if is_trad(r) and r.get("id") not in TRAD_NEEDS + TRAD_RESULTS:
            err(f"{r.get('id')} looks Traditional but is not listed in README")

    n_abbr = sum(map(has_abbr, needs + results))
    if n_abbr < 15:
        err(f"only {n_abbr} items mix in English abbreviations, expected at least 15")

    summary = [
        f"needs={len(needs)} results={len(results)} qrels={len(pairs)} "
        f"grade2={sum(c['2'] for c in grades.values())} grade1={sum(c['1'] for c in grades.values())}",
        f"traditional: needs={sum(map(is_trad, needs))} results={sum(map(is_trad, results))}; "
        f"items with listed abbreviations={n_abbr}; listed distractors={len(DISTRACTORS)}",
    ] + [f"  {fld}: needs={nf[fld]} results={rf[fld]}" for fld in FIELDS]
    return errors, summary


if __name__ == "__main__":
    errors, summary = validate(os.path.dirname(os.path.abspath(__file__)))
    print("\n".join(summary))
    if errors:
        print(f"{len(errors)} ERRORS:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("OK")
