"""Dashboard pages, drill-down pages, Excel exports and the JSON API: same numbers, same filters,
and only admins and brokers may look (a broker sees its own centre's performance)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from matchmaker.accounts.models import AuditLog
from matchmaker.extensions import db
from tests.dashboards.conftest import MATERIAL


def _sheet(wb, title):
    return [list(r) for r in wb[title].iter_rows(values_only=True)]


def test_page_shows_figures_and_links_to_records(world, as_user):
    c = as_user(world.admin)
    html = c.get("/dashboards/").get_data(as_text=True)
    assert 'data-testid="efficiency">20.0%' in html
    assert re.search(r'data-testid="funnel-contact" href="[^"]*step=contact[^"]*">2<', html)
    assert (
        "dashboards-chart" in html
        and "js/dashboards.js" in html
        and "vendor/chartjs/chart.umd.min.js" in html
    )
    assert "<script>" not in html  # no inline scripts (CSP)
    page = c.get("/dashboards/records/funnel?step=contact")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="drill-total">2<' in text
    for key in ("n1", "n2"):
        assert f"/needs/{world.needs[key].id}" in text


def test_filters_apply_to_page_drill_down_and_export(world, as_user):
    c = as_user(world.admin)
    field = world.fields[MATERIAL]
    html = c.get(f"/dashboards/?field={field}").get_data(as_text=True)
    assert re.search(rf'data-testid="funnel-posting" href="[^"]*field={field}[^"]*">3<', html)
    text = c.get(f"/dashboards/records/funnel?step=posting&field={field}").get_data(as_text=True)
    assert 'data-testid="drill-total">3<' in text
    wb = load_workbook(io.BytesIO(c.get(f"/dashboards/records/funnel.xlsx?step=posting&field={field}").data))
    rows = _sheet(wb, wb.sheetnames[0])
    assert len(rows) == 1 + 3
    assert {r[0] for r in rows[1:]} == {world.needs[k].external_id for k in ("n3", "n4", "n7")}
    assert c.get("/dashboards/?from=2026-99-01").status_code == 400


def test_excel_export_holds_the_same_numbers(world, as_user):
    c = as_user(world.admin)
    resp = c.get("/dashboards/export.xlsx?days=30")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert _sheet(wb, "对接效率")[1] == [5, 1, 0.2]
    funnel = {r[0]: r[1] for r in _sheet(wb, "漏斗")[1:]}
    assert funnel == {
        "发布需求": 7,
        "推荐撮合": 5,
        "审核通过": 3,
        "交换联系方式": 2,
        "对接洽谈": 2,
        "签约": 1,
        "合同登记": 1,
    }
    heat = {(r[0], r[1]): r[2] for r in _sheet(wb, "未满足需求")[1:]}
    assert heat == {(MATERIAL, "郑州"): 1, (MATERIAL, "洛阳"): 1}
    times = {r[0]: r[1:4] for r in _sheet(wb, "时长")[1:]}
    assert times["首次推荐撮合"] == [5, 2.0, 5.0]
    centres = {r[0]: r for r in _sheet(wb, "中心绩效")[1:]}
    assert centres["国家技术转移郑州中心"][2:] == [3, 2, 1, 1, 1, 100.0]
    # The export is audited (who took which figures out).
    assert db.session.query(AuditLog).filter_by(action="dashboard_export").count() == 1


def test_json_api(world, as_user):
    c = as_user(world.admin)
    data = c.get("/api/v1/dashboards?days=30").get_json()
    assert data["efficiency"] == {"days": 90, "needs": 5, "reached": 1, "rate": 0.2}
    assert [s["count"] for s in data["funnel"]] == [7, 5, 3, 2, 2, 1, 1]
    assert data["unmet"]["total"] == 2
    rec = c.get("/api/v1/dashboards/funnel?step=signed").get_json()
    assert rec["total"] == 1 and rec["links"] == [f"/needs/{world.needs['n1'].id}"]
    bad = c.get("/api/v1/dashboards?days=abc")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "days"


def test_who_may_see(world, as_user):
    anon, ent = as_user(None), as_user(world.enterprise)
    assert anon.get("/dashboards/").status_code == 302
    assert anon.get("/api/v1/dashboards").status_code == 401
    for url in (
        "/dashboards/",
        "/dashboards/export.xlsx",
        "/dashboards/records/funnel",
        "/api/v1/dashboards",
    ):
        assert ent.get(url).status_code == 403, url
    broker = as_user(world.brokers["bl"])
    html = broker.get("/dashboards/").get_data(as_text=True)
    table = html.split('data-testid="centres-table"')[1].split("</table>")[0]
    assert "国家技术转移郑州中心洛阳分中心" in table and "国家技术转移郑州中心</a>" not in table
    data = broker.get("/api/v1/dashboards").get_json()
    assert [c["centre"] for c in data["centres"]] == ["国家技术转移郑州中心洛阳分中心"]
    assert [b["broker_id"] for b in data["brokers"]] == [world.brokers["bl"].id]
    other = world.brokers["bz"].id
    assert broker.get(f"/dashboards/records/brokers?broker={other}").status_code == 403
    assert broker.get(f"/api/v1/dashboards/brokers?broker={other}").status_code == 403
    assert broker.get(f"/dashboards/records/centres?centre={world.centres['z'].id}").status_code == 403
