"""挂牌/竞价台账 Excel export: one sheet of auctions, one of every accepted bid."""

from __future__ import annotations

import io

from openpyxl import Workbook

from matchmaker.trading.services import PHASES, bidder_aliases, phase

AUCTION_HEADERS = [
    "编号",
    "交易方式",
    "状态",
    "成果编号",
    "成果标题",
    "成果方",
    "起拍价/挂牌价（万元）",
    "加价幅度（万元）",
    "保证金",
    "开始（UTC）",
    "结束（UTC）",
    "延时分钟",
    "延时次数",
    "出价次数",
    "当前价（万元）",
    "成交方",
    "成交价（万元）",
    "溢价率",
    "路演专场",
    "撤牌原因",
]
BID_HEADERS = ["竞价编号", "序号", "竞买人", "企业", "出价（万元）", "时间（UTC）", "触发延时"]


def workbook(auctions) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "挂牌与竞价"
    ws.append(AUCTION_HEADERS)
    bids = wb.create_sheet("出价记录")
    bids.append(BID_HEADERS)
    for a in auctions:
        win = a.winner_bid
        state = phase(a)
        premium = (
            f"{(float(a.price_wan) / float(a.reserve_wan) - 1) * 100:.1f}%"
            if a.price_wan and a.reserve_wan
            else ""
        )
        ws.append(
            [
                a.id,
                a.mode_label,
                PHASES.get(state, a.status_label),
                a.result.external_id,
                a.result.title,
                a.result.organization.name,
                a.reserve_wan,
                a.increment_wan,
                "是" if a.deposit_required else "否",
                a.starts_at,
                a.ends_at,
                a.extend_minutes,
                a.extensions,
                a.bid_count,
                a.current_wan,
                win.organization.name if win else "",
                a.price_wan,
                premium,
                a.session_id or "",
                a.withdrawn_reason or "",
            ]
        )
        aliases = bidder_aliases(a)
        for b in a.bids:
            bids.append(
                [
                    a.id,
                    b.seq,
                    aliases[b.organization_id],
                    b.organization.name,
                    b.amount_wan,
                    b.at,
                    "是" if b.extended else "",
                ]
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
