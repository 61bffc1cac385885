"""The completeness check names every missing field in Chinese; patents parse from text."""

from __future__ import annotations

import pytest

from matchmaker.errors import DomainError
from matchmaker.filings import services


def test_check_names_every_missing_field(db, researcher, complete):
    filing = services.create_filing(db.session, researcher, {"title": "只写了名称的成果"})
    assert services.missing_fields(filing) == [
        k for k in services.REQUIRED if k not in ("title", "organization")
    ]
    with pytest.raises(DomainError) as exc:
        services.check_complete(filing)
    assert exc.value.field == "summary"
    for label in (
        "成果简介",
        "科技计划类别",
        "项目编号",
        "完成人",
        "成果类别",
        "所属领域",
        "技术就绪度",
        "转化意向",
        "项目验收日期",
    ):
        assert label in exc.value.message
    services.update_filing(db.session, filing, researcher, complete())
    services.check_complete(filing)  # nothing missing now
    assert services.missing_fields(filing) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"trl": 12}, "trl"),
        ({"acceptance_date": "2026/06/30"}, "acceptance_date"),
        ({"acceptance_date": "2999-01-01"}, "acceptance_date"),
        ({"programme": "国家自然科学基金重点项目"}, "programme"),
        ({"field": "不存在的领域"}, "field"),
        ({"patents": "ZL202310000001.2"}, "patents"),
        ({"organization": "别的大学"}, "organization"),
    ],
)
def test_invalid_values_name_their_field(db, researcher, complete, data, field):
    with pytest.raises(DomainError) as exc:
        services.create_filing(db.session, researcher, complete(**data), submit=True)
    assert exc.value.field == field


def test_patents_from_text():
    assert services.clean_patents("ZL202310000001.2:已授权；CN202410000002.3：申请中\nZL1 已失效") == [
        {"number": "ZL202310000001.2", "status": "已授权"},
        {"number": "CN202410000002.3", "status": "申请中"},
        {"number": "ZL1", "status": "已失效"},
    ]
    with pytest.raises(DomainError):
        services.clean_patents("ZL1:已授权；ZL1:已授权")
