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


def xlsx_bytes(sheets) -> bytes:
    """An Excel workbook of one or more sheets `(title, headers, rows)`, every cell neutralised,
    header row frozen. Sheet titles are cut to Excel's 31 characters."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.append(safe_row(headers))
        for row in rows:
            ws.append(safe_row(row))
        for i, header in enumerate(headers, 1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(header)) * 2 + 2))
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
