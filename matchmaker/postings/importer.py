"""JSON Lines import and export of postings (成果/需求 导入导出).

The format is docs/posting-format.md. Import runs in two passes: every line is validated
first (reading the database, writing nothing), then the valid lines are written. So a file
with any bad line writes nothing unless skip_invalid is set. Import only flushes; the
caller commits (the CLI does, the matching evaluation imports into a scratch database).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.postings.models import Need, Result
from matchmaker.postings.services import (
    PostingError,
    clean_need,
    clean_result,
    get_or_create_organization,
    to_dict,
)

COMMON_KEYS = {"id", "kind", "title", "description", "field", "keywords", "organization", "region"}
# Extension keys (documented in docs/posting-format.md): contact, patent_numbers, team, status.
KNOWN_KEYS = {
    "result": COMMON_KEYS
    | {
        "maturity",
        "trl",
        "trl_evidence",
        "transfer_modes",
        "price_wan",
        "patent_numbers",
        "team",
        "contact",
        "status",
    },
    "need": COMMON_KEYS | {"budget_wan", "deadline", "contact", "status"},
}
MODELS = {"result": Result, "need": Need}
CLEANERS = {"result": clean_result, "need": clean_need}
# Postings without an organisation still need one to belong to.
UNNAMED_ORG = {"result": "未注明的高校院所", "need": "未注明的企业"}


@dataclass
class LineError:
    line_no: int
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"（字段 {self.field}）" if self.field else ""
        return f"第 {self.line_no} 行{where}：{self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[LineError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条，"
            f"跳过 {self.skipped} 条"
        )


class ImportFailed(Exception):
    """Raised when a file has bad lines and skip_invalid is off; nothing was written."""

    def __init__(self, report: ImportReport):
        super().__init__(f"导入失败：{len(report.errors)} 行有错误，未导入任何数据")
        self.report = report


@dataclass
class _Row:
    line_no: int
    kind: str
    external_id: str
    attrs: dict
    organization: str | None
    existing: Any


def _check_line(session: Session, line_no: int, raw: str, seen: dict, report: ImportReport) -> _Row:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PostingError(f"不是合法的 JSON（第 {exc.colno} 列附近：{exc.msg}）") from None
    if not isinstance(data, dict):
        raise PostingError("每行须为一个 JSON 对象")
    kind = data.get("kind")
    if kind not in MODELS:
        raise PostingError('kind 须为 "result"（科技成果）或 "need"（技术需求）', "kind")
    ext_id = data.get("id")
    if isinstance(ext_id, int) and not isinstance(ext_id, bool):
        ext_id = str(ext_id)
    if not isinstance(ext_id, str) or not ext_id.strip():
        raise PostingError("缺少编号 id", "id")
    ext_id = ext_id.strip()
    if len(ext_id) > 64:
        raise PostingError("编号 id 不能超过 64 个字符", "id")
    if (kind, ext_id) in seen:
        raise PostingError(f"编号 {ext_id} 与第 {seen[(kind, ext_id)]} 行重复", "id")
    org_name = data.get("organization")
    if org_name is not None and (not isinstance(org_name, str) or len(org_name.strip()) > 200):
        raise PostingError("机构名称须为不超过 200 字的文字", "organization")
    unknown = sorted(set(data) - KNOWN_KEYS[kind])
    if unknown:
        report.warnings.append(f"第 {line_no} 行：忽略未知字段 {', '.join(unknown)}")
    values = {k: v for k, v in data.items() if k in KNOWN_KEYS[kind] - {"id", "kind", "organization"}}
    attrs = CLEANERS[kind](session, values)
    seen[(kind, ext_id)] = line_no
    model = MODELS[kind]
    existing = session.scalar(select(model).where(model.external_id == ext_id))
    return _Row(line_no, kind, ext_id, attrs, (org_name or "").strip() or None, existing)


def import_postings(
    session: Session,
    lines: Iterable[str],
    *,
    skip_invalid: bool = False,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> ImportReport:
    """Upsert results and needs by external id from JSON Lines.

    With any invalid line and skip_invalid off, raises ImportFailed(report) having written
    nothing. `progress` may wrap the line iterator (e.g. tqdm) for big files.
    """
    report = ImportReport()
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    with session.no_autoflush:
        for line_no, raw in enumerate(progress(lines) if progress else lines, 1):
            if not raw.strip():
                continue
            try:
                rows.append(_check_line(session, line_no, raw.lstrip("\ufeff"), seen, report))
            except PostingError as exc:
                report.errors.append(LineError(line_no, exc.message, exc.field))
    if report.errors and not skip_invalid:
        raise ImportFailed(report)
    report.skipped = len(report.errors)
    for row in rows:
        _write(session, row, report)
    session.flush()
    return report


def _write(session: Session, row: _Row, report: ImportReport) -> None:
    attrs = dict(row.attrs)
    obj = row.existing
    org = None
    if row.organization or obj is None:
        name = row.organization or UNNAMED_ORG[row.kind]
        org = get_or_create_organization(session, name, kind=row.kind, region=attrs.get("region"))
    if obj is None:
        obj = MODELS[row.kind](external_id=row.external_id, organization=org)
        if "region" not in attrs or attrs["region"] is None:
            attrs["region"] = org.region
        for key, value in attrs.items():
            setattr(obj, key, value)
        session.add(obj)
        report.created += 1
        return
    changed = {k: v for k, v in attrs.items() if getattr(obj, k) != v}
    if org is not None and obj.organization_id != org.id:
        changed["organization"] = org
    for key, value in changed.items():
        setattr(obj, key, value)
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def export_postings(session: Session, kind: str | None = None) -> Iterator[dict]:
    """Every result and need (or one kind) in the exchange format, contact details included."""
    kinds = [kind] if kind else ["result", "need"]
    for k in kinds:
        if k not in MODELS:
            raise ValueError(f"未知类型 {k}")
        model = MODELS[k]
        for obj in session.scalars(select(model).order_by(model.id)):
            data = to_dict(obj, with_contact=True)
            yield _drop_empty(data)


def _drop_empty(data: dict) -> dict:
    """Leave out empty optional extension keys so exports stay close to the base format."""
    contact = data.get("contact")
    if contact is not None:
        contact = {k: v for k, v in contact.items() if v}
        if contact:
            data["contact"] = contact
        else:
            data.pop("contact")
    for key in ("patent_numbers", "team"):
        if key in data and not data[key]:
            data.pop(key)
    return data
