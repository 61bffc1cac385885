"""CSV and Excel exports of providers and service requests (also used for scenario applications)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from matchmaker.providers.models import REQUEST_STATUSES

PROVIDER_HEADERS = [
    "编号",
    "机构名称",
    "类型",
    "服务领域",
    "服务阶段（TRL）",
    "城市",
    "年服务能力",
    "服务周期（天）",
    "收费（万元）",
    "服务能力",
    "仪器设备",
]
REQUEST_HEADERS = [
    "申请编号",
    "状态",
    "成果编号",
    "成果标题",
    "服务机构",
    "申请时 TRL",
    "提升后 TRL",
    "申请说明",
    "办理意见",
    "申请时间",
    "更新时间",
]


def _fee(p) -> str:
    if p.fee_min_wan is None and p.fee_max_wan is None:
        return "面议"
    return f"{p.fee_min_wan if p.fee_min_wan is not None else ''}–{p.fee_max_wan if p.fee_max_wan is not None else ''}"


def provider_rows(providers) -> list[list]:
    return [
        [
            p.external_id,
            p.name,
            p.type,
            "、".join(p.field_names),
            f"{p.stage_from}–{p.stage_to}",
            p.region or "",
            p.capacity_per_year or "",
            p.lead_time_days or "",
            _fee(p),
            "、".join(p.capabilities or []),
            "、".join(p.equipment or []),
        ]
        for p in providers
    ]


def request_rows(requests) -> list[list]:
    return [
        [
            r.id,
            REQUEST_STATUSES[r.status],
            r.result.external_id,
            r.result.title,
            r.provider.name,
            r.trl_before or "",
            r.trl_after or "",
            r.message,
            r.reply or "",
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.updated_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for r in requests
    ]


def to_csv(headers: list[str], data: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(data)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM so Excel opens it as UTF-8


def to_xlsx(headers: list[str], data: list[list], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in data:
        ws.append(row)
    for i, header in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(header) * 2 + 2))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def response(fmt: str, headers: list[str], data: list[list], name: str, title: str):
    """A download in the asked format (csv or xlsx)."""
    from datetime import datetime

    from flask import Response

    stamp = datetime.now().strftime("%Y%m%d")
    if fmt == "csv":
        body, mime = to_csv(headers, data), "text/csv; charset=utf-8"
    else:
        body, mime = (
            to_xlsx(headers, data, title),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f"attachment; filename={name}-{stamp}.{fmt}"}
    )
