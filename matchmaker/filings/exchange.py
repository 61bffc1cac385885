"""Excel import and the 汇交 exchange files (Excel, JSON, XML) of 成果登记; see docs/filings.md."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from matchmaker.accounts.models import User
from matchmaker.errors import DomainError
from matchmaker.exports import safe_row
from matchmaker.extensions import utcnow
from matchmaker.filings.models import CATEGORIES, PATENT_STATUSES, PROGRAMMES, TRANSFER_INTENTIONS
from matchmaker.filings.services import LABELS, check_filing, create_filing, patents_text, to_dict

FORMAT = "matchmaker.result-filings"
VERSION = 1
# Import/template columns, in order (key → header). The export adds 登记号 and 状态 in front.
COLUMNS = [
    "title",
    "summary",
    "keywords",
    "programme",
    "project_no",
    "project_name",
    "organization",
    "completers",
    "category",
    "field",
    "trl",
    "patents",
    "transfer_intention",
    "acceptance_date",
]
HEADERS = {k: LABELS[k] for k in COLUMNS} | {"patents": "知识产权（专利号:状态，以；分隔）"}
EXPORT_ONLY = {"registration_no": "登记号", "status": "状态", "accepted_at": "登记时间"}
MAX_ROWS = 5000
# Keys of the exchange record (JSON items / XML elements), in order.
RECORD_KEYS = [
    "registration_no",
    "title",
    "summary",
    "keywords",
    "programme",
    "project_no",
    "project_name",
    "organization",
    "organization_credit_code",
    "completers",
    "category",
    "field",
    "trl",
    "patents",
    "transfer_intention",
    "acceptance_date",
    "submitted_at",
    "accepted_at",
    "result",
]


def _cell(key: str, f) -> object:
    if key in ("keywords", "completers"):
        return "、".join(getattr(f, key) or [])
    if key == "patents":
        return patents_text(f.patents)
    if key == "organization":
        return f.organization.name
    if key == "field":
        return f.field.name if f.field else ""
    if key == "status":
        return f.status_label
    if key == "accepted_at":
        from matchmaker.localtime import local_str

        return local_str(f.accepted_at)
    value = getattr(f, key)
    return "" if value is None else value


def _sheet_bytes(headers: list[str], rows: list[list], notes: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "成果登记"
    ws.append(safe_row(headers))
    for row in rows:
        ws.append(safe_row(row))
    for i, h in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(h) * 2 + 4))
    if notes:
        help_ws = wb.create_sheet("填写说明")
        for line in notes:
            help_ws.append([line])
        help_ws.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_bytes() -> bytes:
    """The import template (导入模板): the columns, one example row, and the allowed values."""
    example = [
        "高效低耗小麦秸秆还田机具",
        "针对黄淮海小麦—玉米轮作区秸秆还田难题，研制了低功耗粉碎还田机具，经田间试验作业效率提升 30%。",
        "秸秆还田、农机",
        PROGRAMMES[1],
        "241111110100",
        "秸秆高效还田关键技术与装备",
        "",
        "张三、李四",
        CATEGORIES[0],
        "现代农业",
        6,
        "ZL202310000001.2:已授权；CN202410000002.3:申请中",
        TRANSFER_INTENTIONS[1],
        "2026-06-30",
    ]
    notes = [
        "每行一项成果；第 1 行为表头，请勿修改。必填：" + "、".join(LABELS[k] for k in _required()),
        "承担单位：科研人员导入时留空即为本单位；管理员代为导入时必填。",
        "科技计划类别可选：" + "、".join(PROGRAMMES),
        "成果类别可选：" + "、".join(CATEGORIES),
        "技术就绪度：1–9 的整数（GB/T 22900）。",
        "知识产权：专利号:状态，多项以；分隔；状态可选：" + "、".join(PATENT_STATUSES),
        "转化意向可选：" + "、".join(TRANSFER_INTENTIONS),
        "项目验收日期：YYYY-MM-DD。完成人、关键词以、分隔。",
        "导入是整体的：任何一行有误则全部不导入，并按行号列出错误。",
    ]
    return _sheet_bytes([HEADERS[k] for k in COLUMNS], [example], notes)


def _required() -> list[str]:
    from matchmaker.filings.services import REQUIRED

    return REQUIRED


def workbook_bytes(filings) -> bytes:
    keys = list(EXPORT_ONLY) + COLUMNS
    headers = [EXPORT_ONLY.get(k) or HEADERS[k] for k in keys]
    return _sheet_bytes(headers, [[_cell(k, f) for k in keys] for f in filings])


def _record(f) -> dict:
    d = to_dict(f)
    return {k: d[k] for k in RECORD_KEYS}


def _envelope(filings, start: date | None, end: date | None, source: str) -> dict:
    items = [_record(f) for f in filings]
    return {
        "format": FORMAT,
        "version": VERSION,
        "source": source,
        "generated_at": utcnow().isoformat(timespec="seconds") + "Z",
        "period": {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None},
        "count": len(items),
        "items": items,
    }


def json_bytes(filings, start=None, end=None, source: str = "河南省") -> bytes:
    return json.dumps(_envelope(filings, start, end, source), ensure_ascii=False, indent=1).encode("utf-8")


LIST_ITEMS = {"keywords": "keyword", "completers": "completer"}


def xml_bytes(filings, start=None, end=None, source: str = "河南省") -> bytes:
    env = _envelope(filings, start, end, source)
    root = ET.Element(
        "ResultFilings",
        {
            "format": FORMAT,
            "version": str(VERSION),
            "source": source,
            "generated_at": env["generated_at"],
            "start": env["period"]["start"] or "",
            "end": env["period"]["end"] or "",
            "count": str(env["count"]),
        },
    )
    for item in env["items"]:
        el = ET.SubElement(root, "Filing")
        for key in RECORD_KEYS:
            value = item[key]
            child = ET.SubElement(el, key)
            if key in LIST_ITEMS:
                for v in value:
                    ET.SubElement(child, LIST_ITEMS[key]).text = v
            elif key == "patents":
                for p in value:
                    ET.SubElement(child, "patent", {"number": p["number"], "status": p["status"]})
            elif value is not None:
                child.text = str(value)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


# ---------------------------------------------------------------- import


def read_workbook(content: bytes) -> list[tuple[int, dict]]:
    """Rows of the first sheet as (line number, {key: value}); headers by label or key."""
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise DomainError(["文件不是有效的 Excel（.xlsx）工作簿"]) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise DomainError(["工作簿为空"])
    by_label = {v: k for k, v in HEADERS.items()} | {v: k for k, v in EXPORT_ONLY.items()}
    by_label |= {k: k for k in COLUMNS}
    keys = [by_label.get(str(h).strip()) if h is not None else None for h in header]
    if "title" not in keys:
        raise DomainError(["第 1 行：表头应与导入模板一致（缺少“成果名称”列）"])
    out = []
    for line, row in enumerate(rows, start=2):
        data = {}
        for key, value in zip(keys, row, strict=False):
            if key is None or key not in COLUMNS:
                continue
            if isinstance(value, datetime):
                value = value.date()
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, int) and key != "trl":
                value = str(value)
            if isinstance(value, str):
                value = value.strip()
                if value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
                    value = value[1:]  # our own exports neutralise formula-like text
            data[key] = value
        if all(v in (None, "") for v in data.values()):
            continue
        out.append((line, data))
        if len(out) > MAX_ROWS:
            raise DomainError([f"一次最多导入 {MAX_ROWS} 行"])
    if not out:
        raise DomainError(["工作簿中没有数据行"])
    return out


def import_filings(session: Session, user: User, rows: list[tuple[int, dict]]) -> list:
    """Create (and submit) one filing per row, all or nothing: every row is checked first
    (errors name line and field), and only a clean file is written."""
    errors: list[str] = []
    for line, data in rows:
        try:
            check_filing(session, user, data, submit=True)
        except DomainError as exc:
            label = LABELS.get(exc.field or "", exc.field or "")
            errors.append(
                f"第 {line} 行（{label}）：{exc.message}" if label else f"第 {line} 行：{exc.message}"
            )
    if errors:
        raise DomainError("；".join(errors[:5]), "file", errors=errors)
    return [create_filing(session, user, data, submit=True) for _, data in rows]
