"""Pipeline exports (撮合台账导出) to CSV and Excel, filtered like the queue.

Contact columns are filled only for matches whose contacts were released (双方确认).
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from matchmaker.exports import csv_bytes, safe_row
from matchmaker.localtime import local_str
from matchmaker.review.services import SIDES, visible_contact

HEADERS = [
    "撮合编号",
    "阶段",
    "得分",
    "来源",
    "审核结论",
    "理由",
    "需求编号",
    "需求标题",
    "需求方",
    "领域",
    "地区",
    "成果编号",
    "成果标题",
    "成果方",
    "需求方联系人",
    "需求方电话",
    "需求方邮箱",
    "成果方联系人",
    "成果方电话",
    "成果方邮箱",
    "合同类型",
    "合同金额（万元）",
    "签约日期",
    "认定登记号",
    "关闭原因",
    "推荐时间",
    "审核时间",
]


def rows(user, matches) -> list[list]:
    out = []
    for m in matches:
        contacts = {s: visible_contact(user, m, s) or {} for s in SIDES}
        c = m.contract
        out.append(
            [
                m.id,
                m.stage_label,
                round(m.score or 0, 4),
                {"manual": "手工添加", "ranker": "系统推荐", "roadshow": "路演意向"}.get(m.source, m.source),
                {"accept": "通过", "reject": "不通过"}.get(m.decision or "", "待审核"),
                m.reason_label,
                m.need.external_id,
                m.need.title,
                m.need.organization.name,
                m.need.field.name if m.need.field else "",
                m.need.region or "",
                m.result.external_id,
                m.result.title,
                m.result.organization.name,
                *[contacts[s].get(k) or "" for s in ("need", "result") for k in ("name", "phone", "email")],
                c.type_label if c else "",
                c.amount_wan if c else "",
                c.signed_on.isoformat() if c else "",
                (c.registration_no or "") if c else "",
                m.closed_reason or "",
                local_str(m.created_at),
                local_str(m.decided_at),
            ]
        )
    return out


def to_csv(data: list[list]) -> bytes:
    return csv_bytes(HEADERS, data)


def to_xlsx(data: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "撮合台账"
    ws.append(HEADERS)
    for row in data:
        ws.append(safe_row(row))
    for i, header in enumerate(HEADERS, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(header) * 2 + 2))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
