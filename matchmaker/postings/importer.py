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

from matchmaker.errors import DomainError
from matchmaker.postings.models import Need, Result
from matchmaker.postings.services import clean_need, clean_result, get_or_create_organization, to_dict

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


def _parse_line(raw: str) -> dict:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DomainError(f"不是合法的 JSON（第 {exc.colno} 列附近：{exc.msg}）") from None
    if not isinstance(data, dict):
        raise DomainError("每行须为一个 JSON 对象")
    return data


def _check_record(session: Session, line_no: int, data: dict, seen: dict, report: ImportReport) -> _Row:
    kind = data.get("kind")
    if kind not in MODELS:
        raise DomainError('kind 须为 "result"（科技成果）或 "need"（技术需求）', "kind")
    ext_id = data.get("id")
    if isinstance(ext_id, int) and not isinstance(ext_id, bool):
        ext_id = str(ext_id)
    if not isinstance(ext_id, str) or not ext_id.strip():
        raise DomainError("缺少编号 id", "id")
    ext_id = ext_id.strip()
    if len(ext_id) > 64:
        raise DomainError("编号 id 不能超过 64 个字符", "id")
    if (kind, ext_id) in seen:
        raise DomainError(f"编号 {ext_id} 与第 {seen[(kind, ext_id)]} 行重复", "id")
    org_name = data.get("organization")
    if org_name is not None and (not isinstance(org_name, str) or len(org_name.strip()) > 200):
        raise DomainError("机构名称须为不超过 200 字的文字", "organization")
    unknown = sorted(set(data) - KNOWN_KEYS[kind])
    if unknown:
        report.warnings.append(f"第 {line_no} 行：忽略未知字段 {', '.join(unknown)}")
    values = {k: v for k, v in data.items() if k in KNOWN_KEYS[kind] - {"id", "kind", "organization"}}
    model = MODELS[kind]
    existing = session.scalar(select(model).where(model.external_id == ext_id))
    attrs = CLEANERS[kind](session, values, current=existing)
    seen[(kind, ext_id)] = line_no
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

    def records():
        for line_no, raw in enumerate(lines, 1):
            if raw.strip():
                yield line_no, raw.lstrip("\ufeff")

    return import_records(session, records(), skip_invalid=skip_invalid, progress=progress)


def check_records(
    session: Session,
    records: Iterable[tuple[int, dict | str]],
    *,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> tuple[ImportReport, list[_Row]]:
    """The validation pass alone (reads, never writes): the report's errors name each line,
    and `created`/`updated` count what a write would do (the import preview)."""
    report = ImportReport()
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    with session.no_autoflush:
        for line_no, record in progress(records) if progress else records:
            try:
                data = _parse_line(record) if isinstance(record, str) else record
                rows.append(_check_record(session, line_no, data, seen, report))
            except DomainError as exc:
                report.errors.append(LineError(line_no, exc.message, exc.field))
    return report, rows


def import_records(
    session: Session,
    records: Iterable[tuple[int, dict | str]],
    *,
    skip_invalid: bool = False,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> ImportReport:
    """Upsert from (line or row number, record) pairs; a record is an exchange-format dict
    or a JSON line. Same all-or-nothing rule and messages for JSONL and Excel."""
    report, rows = check_records(session, records, progress=progress)
    if report.errors and not skip_invalid:
        raise ImportFailed(report)
    report.skipped = len(report.errors)
    write_rows(session, rows, report)
    return report


def write_rows(session: Session, rows: list[_Row], report: ImportReport) -> None:
    """The write pass for rows check_records accepted; counts go into the report."""
    for row in rows:
        _write(session, row, report)
    session.flush()


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


# ---------------------------------------------------------------- Excel (.xlsx)

# Column key → header; the same sheet serves export, import and the downloadable template.
XLSX_COLUMNS = {
    "id": "编号",
    "kind": "类型",
    "title": "标题",
    "description": "描述",
    "field": "领域",
    "keywords": "关键词",
    "organization": "机构",
    "region": "地区",
    "maturity": "成熟度",
    "transfer_modes": "合作方式",
    "price_wan": "转让价格（万元）",
    "patent_numbers": "专利号",
    "team": "团队",
    "budget_wan": "预算（万元）",
    "deadline": "截止日期",
    "status": "状态",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "contact_email": "联系邮箱",
}
KIND_NAMES = {"科技成果": "result", "成果": "result", "技术需求": "need", "需求": "need"}
KIND_HEADERS = {"result": "科技成果", "need": "技术需求"}
LIST_KEYS = ("keywords", "transfer_modes", "patent_numbers")
XLSX_MAGIC = b"PK\x03\x04"


def _header_key(header) -> str | None:
    """A column's key from its Chinese header or its raw key (either is accepted)."""
    text = str(header or "").strip()
    for key, label in XLSX_COLUMNS.items():
        if text in (key, label):
            return key
    return None


def export_xlsx(session: Session, kind: str | None = None) -> bytes:
    """The export as one Excel sheet with Chinese headers; lists are joined with 、."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "成果与需求"
    ws.append(list(XLSX_COLUMNS.values()))
    for data in export_postings(session, kind):
        contact = data.pop("contact", None) or {}
        row = []
        for key in XLSX_COLUMNS:
            if key.startswith("contact_"):
                value = contact.get(key.removeprefix("contact_"))
            elif key == "kind":
                value = KIND_HEADERS[data["kind"]]
            else:
                value = data.get(key)
            if key in LIST_KEYS:
                value = "、".join(value or []) or None
            row.append(value)
        ws.append(row)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_template() -> bytes:
    """An empty sheet with the headers, for people to fill in (导入模板)."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "成果与需求"
    ws.append(list(XLSX_COLUMNS.values()))
    ws.append(
        [
            "N-示例001",
            "技术需求",
            "示例：数控机床加工尺寸随温度漂移",
            "示例：同一台机床上午和下午加工的零件尺寸不一致，希望找到补偿办法。",
            "高端装备制造",
            "数控机床、热误差",
            "示例机械有限公司",
            "郑州",
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    """(row number, exchange-format record) for every non-empty row of the first sheet."""
    import io
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise DomainError("无法读取该 Excel 文件：请上传 .xlsx 格式（可先下载导入模板）") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    keys = [_header_key(h) for h in header]
    if "kind" not in keys or "id" not in keys:
        raise DomainError("Excel 第 1 行须为表头，至少包含“编号”和“类型”两列（可先下载导入模板）")
    out = []
    for row_no, row in enumerate(rows, 2):
        cells = {
            k: v for k, v in zip(keys, row, strict=False) if k and v is not None and str(v).strip() != ""
        }
        if not cells:
            continue
        record: dict[str, Any] = {}
        contact = {}
        for key, value in cells.items():
            if isinstance(value, str):
                value = value.strip()
            if key.startswith("contact_"):
                contact[key.removeprefix("contact_")] = value
            elif key == "kind":
                record["kind"] = KIND_NAMES.get(value, value)
            else:
                record[key] = value
        if contact:
            record["contact"] = contact
        out.append((row_no, record))
    wb.close()
    return out


def read_records(data: bytes, filename: str = "") -> list[tuple[int, dict | str]]:
    """Records of an uploaded or given file: Excel by its content (zip magic), else UTF-8 JSONL."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("文件既不是 Excel (.xlsx)，也不是 UTF-8 编码的 JSON Lines") from None
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
