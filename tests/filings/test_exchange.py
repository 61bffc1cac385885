"""Excel import (template, line-numbered errors, atomic) and the 汇交 export round trip."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from matchmaker.filings import exchange, services
from matchmaker.filings.models import ResultFiling
from matchmaker.localtime import local_today


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([exchange.HEADERS[k] for k in exchange.COLUMNS])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(complete, **kw) -> list:
    data = complete(**kw)
    data["patents"] = services.patents_text(data["patents"])
    return [
        data.get(k, "") if not isinstance(data.get(k), list) else "、".join(data[k]) for k in exchange.COLUMNS
    ]


def _count(db) -> int:
    return db.session.scalar(select(func.count(ResultFiling.id)))


def test_import_is_atomic_with_line_numbered_errors(db, researcher, as_client, complete):
    db.session.commit()
    content = _xlsx(
        [
            _row(complete),
            _row(complete, project_no="", title="第二项成果名称"),
            _row(complete, category="软件", title="第三项成果名称"),
        ]
    )
    c = as_client(researcher)
    resp = c.post(
        "/filings/import",
        data={"file": (io.BytesIO(content), "filings.xlsx")},
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert "第 3 行（项目编号）" in page and "第 4 行（成果类别）" in page
    assert _count(db) == 0
    content = _xlsx([_row(complete), _row(complete, title="第二项成果名称", project_no="241111110200")])
    resp = c.post(
        "/filings/import",
        data={"file": (io.BytesIO(content), "filings.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    rows = db.session.scalars(select(ResultFiling).order_by(ResultFiling.id)).all()
    assert [r.status for r in rows] == ["submitted", "submitted"]
    assert rows[0].patents == [{"number": "ZL202310000001.2", "status": "已授权"}]
    assert rows[0].completers == ["张三", "李四"] and rows[0].trl == 6


def test_template_downloads_and_imports(db, researcher, as_client):
    from tests import factories as f

    f.field("现代农业")
    db.session.commit()
    resp = as_client(researcher).get("/filings/import/template.xlsx")
    assert resp.status_code == 200
    rows = exchange.read_workbook(resp.data)
    assert rows[0][0] == 2 and rows[0][1]["title"] == "高效低耗小麦秸秆还田机具"
    created = exchange.import_filings(db.session, researcher, rows)
    assert created[0].organization == researcher.organization and created[0].status == "submitted"


def test_export_round_trip_excel_json_xml(db, researcher, admin, as_client, complete, tmp_path):
    a = services.create_filing(db.session, researcher, complete(), submit=True)
    b = services.create_filing(
        db.session, researcher, complete(title="第二项成果名称", patents=[]), submit=True
    )
    services.create_filing(db.session, researcher, complete(title="未审核的成果名称"), submit=True)
    for filing in (a, b):
        services.decide(db.session, filing, admin, "accept")
    db.session.commit()
    adm = as_client(admin)
    today = local_today()
    period = f"start={today - timedelta(days=1)}&end={today}"

    doc = json.loads(adm.get(f"/filings/export.json?{period}").data)
    assert doc["format"] == "matchmaker.result-filings" and doc["count"] == 2
    assert [i["registration_no"] for i in doc["items"]] == [a.registration_no, b.registration_no]
    assert doc["items"][0]["patents"] == [{"number": "ZL202310000001.2", "status": "已授权"}]
    assert doc["items"][0]["organization"] == "郑州测试大学" and doc["items"][0]["result"]
    assert json.loads(adm.get("/filings/export.json?start=2000-01-01&end=2000-12-31").data)["count"] == 0
    assert adm.get("/filings/export.json?start=yesterday").status_code == 400

    root = ET.fromstring(adm.get(f"/filings/export.xml?{period}").data)
    assert root.tag == "ResultFilings" and root.get("count") == "2"
    first = root.find("Filing")
    assert first.findtext("registration_no") == a.registration_no
    assert [c.text for c in first.find("completers")] == ["张三", "李四"]
    assert first.find("patents/patent").get("status") == "已授权"

    xlsx = adm.get(f"/filings/export.xlsx?{period}").data
    ws = load_workbook(io.BytesIO(xlsx)).active
    assert ws.cell(1, 1).value == "登记号" and ws.cell(2, 1).value == a.registration_no
    # the exported workbook imports back (登记号、状态 columns are ignored) with the same content
    rows = exchange.read_workbook(xlsx)
    again = exchange.import_filings(db.session, admin, rows)
    for old, new in zip((a, b), again, strict=True):
        for key in exchange.COLUMNS:
            if key in ("organization", "field"):
                assert getattr(new, key).name == getattr(old, key).name
            else:
                assert getattr(new, key) == getattr(old, key), key


def test_cli_import_and_export(app, db, researcher, admin, complete, tmp_path):
    db.session.commit()
    path = tmp_path / "in.xlsx"
    path.write_bytes(_xlsx([_row(complete, organization="郑州测试大学")]))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["filings", "import", str(path), "--as", admin.email])
    assert out.exit_code == 0, out.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx([_row(complete, acceptance_date="明年", organization="郑州测试大学")]))
    out = runner.invoke(args=["filings", "import", str(bad), "--as", admin.email])
    assert out.exit_code != 0 and "第 2 行（项目验收日期）" in out.output
    out = runner.invoke(args=["filings", "export", str(tmp_path / "out.json")])
    assert out.exit_code == 0 and json.loads((tmp_path / "out.json").read_text())["count"] == 0
