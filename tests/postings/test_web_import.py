"""Import in the web UI: upload Excel or JSONL, preview with line-numbered errors, import atomically."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker import jobs
from matchmaker.postings.importer import XLSX_COLUMNS, xlsx_template
from matchmaker.postings.models import ImportJob, Need, Result


def _join():
    jobs.wait_inline()


def _upload(client, name, data):
    return client.post("/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_bad_row_is_named_in_the_preview_and_nothing_can_be_imported(client, login, people, db):
    wb = load_workbook(io.BytesIO(xlsx_template()))
    wb.active.append(["N-2", "技术需求", "第二条需求", "描述太短", "高端装备制造"])
    out = io.BytesIO()
    wb.save(out)
    login(people["broker"])
    resp = _upload(client, "needs.xlsx", out.getvalue())
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "第 3 行（字段 description）" in page and "import-run" not in page
    job = db.session.scalar(select(ImportJob))
    assert client.post(f"/import/{job.id}/run").status_code == 302
    assert db.session.scalar(select(func.count(Need.id))) == 1  # only the fixture's need


def test_jsonl_upload_preview_then_import(client, login, people, db, data_dir):
    login(people["broker"])
    resp = _upload(client, "postings.jsonl", (data_dir / "postings.jsonl").read_bytes())
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "共 4 行：将新增 4 条" in page and "import-run" in page
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/import/{job_id}/run")
    _join()
    status = client.get(f"/import/{job_id}/status").get_json()
    assert (status["status"], status["percent"], status["checked"]) == ("done", 100, 4)
    assert "新增 4 条" in status["summary"]
    assert db.session.scalar(select(func.count(Result.id))) == 3  # 2 imported + the fixture's
    # A second run of the same job is refused.
    client.post(f"/import/{job_id}/run")
    assert "不能再次导入" in client.get(f"/import/{job_id}").get_data(as_text=True)


def test_unreadable_upload_and_permissions(client, login, people, db):
    login(people["broker"])
    resp = _upload(client, "x.xlsx", b"PK\x03\x04broken")
    assert resp.status_code == 200 and "无法读取该 Excel 文件" in resp.get_data(as_text=True)
    template = client.get("/import/template.xlsx")
    assert template.status_code == 200 and template.data[:4] == b"PK\x03\x04"
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]] == list(
        XLSX_COLUMNS.values()
    )
    login(people["enterprise"])
    assert client.get("/import").status_code == 403


@pytest.mark.browser
def test_import_in_the_browser(page, browser_login, people, db, data_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(people["broker"])
    page.goto("/import")
    page.set_input_files("#file", str(data_dir / "postings.jsonl"))
    page.click("#submit")
    page.wait_for_selector("[data-testid=import-run]")
    assert "将新增 4 条" in page.inner_text("[data-testid=import-summary]")
    page.click("[data-testid=import-run]")
    page.locator("[data-testid=import-status]", has_text="已完成").wait_for()
    assert "导入完成" in page.inner_text("[data-testid=import-summary]")
    assert page.evaluate("document.documentElement.scrollWidth") == 390
