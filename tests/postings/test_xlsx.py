"""Excel (.xlsx) export and import: round trip, a bad row named without a traceback,
and files that are neither Excel nor UTF-8 JSON Lines."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.postings.importer import XLSX_COLUMNS, export_xlsx, import_postings, read_xlsx, xlsx_template
from matchmaker.postings.models import Need, Result
from tests.postings.conftest import lines


def _counts(db):
    return db.session.scalar(select(func.count(Result.id))), db.session.scalar(select(func.count(Need.id)))


def test_cli_xlsx_round_trip_adds_nothing(app, db, fields, data_dir, tmp_path):
    import_postings(db.session, lines(data_dir / "postings.jsonl"))
    db.session.commit()
    before = _counts(db)
    runner = app.test_cli_runner()
    path = tmp_path / "F.xlsx"
    out = runner.invoke(args=["export", str(path)])
    assert out.exit_code == 0, out.output
    assert path.read_bytes()[:4] == b"PK\x03\x04"
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]] == list(XLSX_COLUMNS.values())
    assert ws.max_row == 1 + sum(before)
    out = runner.invoke(args=["import", str(path)])
    assert out.exit_code == 0, out.output
    assert "新增 0 条，更新 0 条，未变 4 条" in out.output
    assert _counts(db) == before


def test_cli_xlsx_with_one_bad_row_names_it(app, db, fields, data_dir, tmp_path):
    import_postings(db.session, lines(data_dir / "postings.jsonl"))
    db.session.commit()
    wb = load_workbook(io.BytesIO(export_xlsx(db.session)))
    ws = wb.active
    ws.cell(row=3, column=list(XLSX_COLUMNS).index("field") + 1, value="不存在的领域")
    ws.cell(row=4, column=1, value="NEW-1")  # would be a new posting: nothing may be written
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    out = app.test_cli_runner().invoke(args=["import", str(path)])
    assert out.exit_code != 0
    assert "第 3 行（字段 field）" in out.output and "不存在的领域" in out.output
    assert "Traceback" not in out.output and isinstance(out.exception, SystemExit)
    db.session.expire_all()
    assert _counts(db) == (2, 2)


def test_cli_binary_and_broken_files_give_a_message_not_a_traceback(app, db, fields, tmp_path):
    runner = app.test_cli_runner()
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"\xff\xfe\x00binary")
    out = runner.invoke(args=["import", str(junk)])
    assert out.exit_code == 1 and "UTF-8" in out.output and "Traceback" not in out.output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    out = runner.invoke(args=["import", str(broken)])
    assert out.exit_code == 1 and "无法读取该 Excel 文件" in out.output
    assert isinstance(out.exception, SystemExit)


def test_template_reads_back_as_one_valid_need(db, fields):
    rows = read_xlsx(xlsx_template())
    assert [n for n, _ in rows] == [2]
    assert rows[0][1]["kind"] == "need" and rows[0][1]["keywords"] == "数控机床、热误差"
    report = import_postings(db.session, [])
    assert report.created == 0
    from matchmaker.postings.importer import import_records

    assert import_records(db.session, rows).created == 1
