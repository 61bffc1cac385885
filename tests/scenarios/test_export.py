"""导出应用场景: the open scenarios as CSV and Excel, anyone may download, no contact details."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from matchmaker.scenarios import services
from tests import factories as f


def test_scenarios_export_csv_and_xlsx(app, db, client):
    f.field("智能制造")
    org = f.organization("企业", "导出测试重工集团")
    data = {
        "title": "矿山装备远程运维试点",
        "description": "在洛阳矿山装备生产线开放振动与温度数据，试点故障预测与远程运维方案。",
        "field": "智能制造",
        "budget_wan": "80",
        "offers": ["试验场地", "数据开放"],
        "contact_phone": "0379-7654321",
    }
    services.create_scenario(db.session, data, organization=org)
    closed = services.create_scenario(db.session, data | {"title": "已截止的场景试点"}, organization=org)
    closed.status = "closed"
    db.session.commit()
    csv = client.get("/scenarios/export.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    text = csv.get_data().decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("编号,场景名称") and len(lines) == 2  # open ones only
    assert "矿山装备远程运维试点" in lines[1] and "试验场地、数据开放" in lines[1] and ",80," in lines[1]
    assert "0379-7654321" not in text
    xlsx = client.get("/scenarios/export.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "场景名称") and rows[1][1] == "矿山装备远程运维试点"
    assert client.get("/scenarios/export.pdf").status_code == 404
