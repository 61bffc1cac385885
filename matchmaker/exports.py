"""Spreadsheet exports (CSV / Excel) made safe to open (公式注入防护).

Every CSV and XLSX export writes its cells through `safe_row`, so a title such as
`=HYPERLINK(...)` or `+cmd|' /C calc'!A0` stays inert text in Excel and WPS.
"""

from __future__ import annotations

import csv
import io

# A cell starting with one of these is read as a formula (or DDE) by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "｜", "|")


def safe_cell(value):
    """Numbers, dates and empties as they are; text that could start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row) -> list:
    return [safe_cell(v) for v in row]


def csv_bytes(headers: list[str], rows) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens it as UTF-8), every cell neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(safe_row(headers))
    writer.writerows(safe_row(r) for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
