"""JSONL import/export: atomicity, line-numbered errors, idempotent re-import, --skip-invalid,
Traditional text kept as given, export round trip, and the CLI commands."""

import json

import pytest
from sqlalchemy import func, select

from matchmaker.accounts.models import Organization
from matchmaker.postings.importer import ImportFailed, export_postings, import_postings
from matchmaker.postings.models import Need, Result
from tests.postings.conftest import lines


def counts(db):
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (Result, Need, Organization))


def line(**kw):
    base = {
        "id": "T1",
        "kind": "need",
        "title": "测试需求标题",
        "description": "这是一条足够长的测试需求描述。",
        "field": "人工智能",
    }
    base.update(kw)
    return json.dumps({k: v for k, v in base.items() if v is not ...}, ensure_ascii=False) + "\n"


def test_import_creates_postings_and_organisations(db, fields, data_dir):
    report = import_postings(db.session, lines(data_dir / "postings.jsonl"))
    db.session.commit()
    assert (report.created, report.updated, report.errors) == (4, 0, [])
    result = db.session.scalar(select(Result).where(Result.external_id == "SR001"))
    assert result.contact_phone == "0371-67780000" and result.patent_numbers == ["ZL202110000001.1"]
    assert result.organization.type == "高校"
    institute = db.session.scalar(select(Result).where(Result.external_id == "SR002")).organization
    assert institute.type == "科研院所"  # name contains 研究所
    need = db.session.scalar(select(Need).where(Need.external_id == "SN001"))
    assert need.organization.type == "企业" and need.deadline.isoformat() == "2027-06-30"


def test_traditional_chinese_is_stored_as_given(db, fields, data_dir):
    import_postings(db.session, lines(data_dir / "postings.jsonl"))
    result = db.session.scalar(select(Result).where(Result.external_id == "SR002"))
    assert result.title == "小麥抗赤黴病分子標記輔助育種技術"
    assert result.keywords == ["赤黴病", "分子標記"]


def test_reimport_is_idempotent(db, fields, data_dir):
    import_postings(db.session, lines(data_dir / "postings.jsonl"))
    db.session.commit()
    before = counts(db)
    stamp = db.session.scalar(select(Result.updated_at).where(Result.external_id == "SR001"))
    report = import_postings(db.session, lines(data_dir / "postings.jsonl"))
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert counts(db) == before
    assert db.session.scalar(select(Result.updated_at).where(Result.external_id == "SR001")) == stamp


def test_reimport_updates_changed_lines(db, fields):
    import_postings(db.session, [line(budget_wan=10)])
    report = import_postings(db.session, [line(budget_wan=25, title="改过的需求标题")])
    assert (report.created, report.updated) == (0, 1)
    need = db.session.scalar(select(Need).where(Need.external_id == "T1"))
    assert need.budget_wan == 25 and need.title == "改过的需求标题"


def test_one_malformed_line_changes_nothing_and_names_that_line(db, fields, data_dir):
    import_postings(db.session, [line(id="KEEP", budget_wan=1)])
    db.session.commit()
    before = counts(db)
    good = lines(data_dir / "postings.jsonl")
    bad = (
        good[:2]
        + ['{"id": "SN009", "kind": "need", "title": "坏行\n']
        + good[2:]
        + [line(id="KEEP", budget_wan=99)]
    )
    with pytest.raises(ImportFailed) as info:
        import_postings(db.session, bad)
    db.session.commit()  # even a careless caller's commit writes nothing
    assert [e.line_no for e in info.value.report.errors] == [3]
    assert "不是合法的 JSON" in info.value.report.errors[0].message
    assert counts(db) == before
    assert db.session.scalar(select(Need.budget_wan).where(Need.external_id == "KEEP")) == 1


def test_every_bad_line_is_listed_with_number_and_reason(db, fields):
    bad = [
        line(id="A1"),
        line(id="A2", field="不存在的领域"),
        "\n",
        line(id="A3", region="北京"),
        line(id="A4", kind="paper"),
        line(id="A5", budget_wan=-1),
        line(id="A1"),
        "[1, 2]\n",
        line(id="A6", description=...),
        line(id="A7", deadline="明年"),
        line(id="R1", kind="result", maturity="量产"),
    ]
    with pytest.raises(ImportFailed) as info:
        import_postings(db.session, bad)
    report = info.value.report
    found = {e.line_no: (e.field, e.message) for e in report.errors}
    assert sorted(found) == [2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert found[2] == ("field", "领域“不存在的领域”不在分类目录中")
    assert found[4][0] == "region" and "北京" in found[4][1]
    assert found[5][0] == "kind"
    assert found[6] == ("budget_wan", "预算不能为负数")
    assert found[7] == ("id", "编号 A1 与第 1 行重复")
    assert "JSON 对象" in found[8][1]
    assert found[9] == ("description", "描述不能为空")
    assert found[10][0] == "deadline"
    assert found[11][0] == "maturity"
    assert str(report.errors[0]).startswith("第 2 行（字段 field）：")
    assert counts(db) == (0, 0, 0)


def test_skip_invalid_imports_the_valid_lines(db, fields):
    report = import_postings(
        db.session, [line(id="G1"), line(id="B1", field="无"), line(id="G2")], skip_invalid=True
    )
    assert (report.created, report.skipped) == (2, 1)
    assert [e.line_no for e in report.errors] == [2]
    assert set(db.session.scalars(select(Need.external_id))) == {"G1", "G2"}


def test_unknown_keys_are_ignored_with_a_warning(db, fields):
    report = import_postings(db.session, [line(colour="red", extra=1)])
    assert report.created == 1
    assert report.warnings == ["第 1 行：忽略未知字段 colour, extra"]


def test_region_spellings_and_organisation_default(db, fields):
    import_postings(
        db.session,
        [line(id="J1", region="济源", organization="济源测试钢铁有限公司"), line(id="J2", region="郑州市")],
    )
    regions = dict(db.session.execute(select(Need.external_id, Need.region)).all())
    assert regions == {"J1": "济源示范区", "J2": "郑州"}
    assert (
        db.session.scalar(select(Organization).where(Organization.name == "济源测试钢铁有限公司")).region
        == "济源示范区"
    )


def test_export_round_trip(db, fields, data_dir):
    import_postings(db.session, lines(data_dir / "postings.jsonl"))
    db.session.commit()
    exported = list(export_postings(db.session))
    assert [r["id"] for r in exported] == ["SR001", "SR002", "SN001", "SN002"]
    sr001 = exported[0]
    assert sr001["contact"] == {"name": "张老师", "phone": "0371-67780000", "email": "zhang@zzu.example.cn"}
    assert sr001["status"] == "published" and sr001["price_wan"] == 50
    original = {json.loads(s)["id"]: json.loads(s) for s in lines(data_dir / "postings.jsonl")}
    for row in exported:
        for key, value in original[row["id"]].items():
            assert row[key] == value, (row["id"], key)
    # Re-importing the export changes nothing.
    text = [json.dumps(r, ensure_ascii=False) + "\n" for r in exported]
    report = import_postings(db.session, text)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert [r["kind"] for r in export_postings(db.session, "need")] == ["need", "need"]


def test_cli_import_failure_lists_lines_and_exits_non_zero(app, db, fields, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(line(id="C1") + "oops\n" + line(id="C2", field="无此领域"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "第 2 行" in result.output and "第 3 行（字段 field）" in result.output
    assert "未导入任何数据" in result.output
    assert counts(db) == (0, 0, 0)
    result = app.test_cli_runner().invoke(args=["import", "--skip-invalid", str(path)])
    assert result.exit_code == 0 and "新增 1 条" in result.output
    db.session.expire_all()
    assert counts(db)[1] == 1


def test_cli_import_stdin_and_export_stdout(app, db, fields, data_dir, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["import", "-"], input=(data_dir / "postings.jsonl").read_text(encoding="utf-8")
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["export", "--kind", "result", "-"])
    assert result.exit_code == 0
    rows = [json.loads(s) for s in result.stdout.splitlines() if s.startswith("{")]
    assert [r["id"] for r in rows] == ["SR001", "SR002"]
    out = tmp_path / "all.jsonl"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


def test_fresh_database_imports_the_dev_set_after_seeding_fields(db, app):
    """What the matching evaluation does: taxonomy first, then the shared dev set."""
    from matchmaker.postings.seed import seed_fields

    dev = app.config["SHARED_DIR"] / "eval" / "dev"
    if not (dev / "results.jsonl").exists():
        pytest.skip("shared dev set not present")
    seed_fields(db.session)
    report = import_postings(db.session, lines(dev / "results.jsonl") + lines(dev / "needs.jsonl"))
    assert report.errors == [] and report.created == 240


def test_cli_shows_progress_for_big_files(app, db, fields, tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(
        "".join(line(id=f"BIG{i:04d}", title=f"批量导入的需求{i}") for i in range(600)), encoding="utf-8"
    )
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "校验" in result.output and "600/600" in result.output
    assert "新增 600 条" in result.output
