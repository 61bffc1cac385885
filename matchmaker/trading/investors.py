"""投资机构 (Investor) profiles, their ranking for a result, and the interest pipeline
意向 → 约谈 → 尽调 → 投资 / 放弃.

Ranking reads investors' profile texts with the hybrid ranker's pieces: the engine's embedding
model for the dense cosine, the platform tokenizer and BM25 for shared terms, `ranker.fuse` for
the blend, plus structured signals (stage fit on TRL 1–9, field, region, ticket size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import bm25s
import numpy as np
from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.accounts.services import audit
from matchmaker.constants import REGIONS
from matchmaker.errors import DomainError
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Result

FUND_TYPES = {"angel": "天使投资", "vc": "风险投资（VC）", "pe": "私募股权（PE）", "guidance": "政府引导基金"}
INTEREST_STAGES = {
    "intent": "意向",
    "meeting": "约谈",
    "diligence": "尽调",
    "invested": "投资",
    "dropped": "放弃",
}
NEXT_STAGES = {
    "intent": {"meeting", "dropped"},
    "meeting": {"diligence", "dropped"},
    "diligence": {"invested", "dropped"},
    "invested": set(),
    "dropped": set(),
}
# Results carry a maturity word until the chain issue adds `trl`; these are the usual readings.
MATURITY_TRL = {"实验室阶段": 3, "小试": 4, "中试": 6, "产业化": 8}
STAGE_FIT = 0.05  # in the investor's TRL range
STAGE_MISS = 0.02  # per level outside it
FIELD_SAME = 0.025
REGION_SAME = 0.003
TICKET_FIT = 0.003


class Investor(db.Model):
    """投资机构: fields, TRL stage range, ticket size, regions and fund type."""

    __tablename__ = "investors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    fund_type: Mapped[str] = mapped_column(String(20))
    fields: Mapped[list] = mapped_column(JSON, default=list)  # Field names
    trl_min: Mapped[int] = mapped_column(default=1)
    trl_max: Mapped[int] = mapped_column(default=9)
    ticket_min_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    ticket_max_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    regions: Mapped[list] = mapped_column(JSON, default=list)
    thesis: Mapped[str] = mapped_column(Text, default="")  # 投资方向
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def fund_type_label(self) -> str:
        return FUND_TYPES.get(self.fund_type, self.fund_type)

    @property
    def text(self) -> str:
        return "\n".join([self.name, " ".join(self.fields or []), self.thesis or ""])


class Interest(db.Model):
    """投资意向: an investor's interest in a result (optionally met at a roadshow talk)."""

    __tablename__ = "investor_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("investors.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    talk_id: Mapped[int | None] = mapped_column(ForeignKey("roadshow_talks.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(20), default="intent", index=True)
    amount_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    share_pct: Mapped[float | None] = mapped_column(Numeric(6, 3, asdecimal=False))
    # [{"stage", "at", "user_id", "note", "amount_wan"}], oldest first: every move with its date.
    history: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    investor: Mapped[Investor] = relationship()
    result: Mapped[Result] = relationship()

    @property
    def stage_label(self) -> str:
        return INTEREST_STAGES.get(self.stage, self.stage)


# ---------------------------------------------------------------- profile


def _int(data: dict, name: str, label: str, lo: int, hi: int, default: int) -> int:
    raw = data.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise DomainError(f"{label}须为 {lo} 到 {hi} 的整数", name) from None
    if isinstance(raw, bool) or not lo <= value <= hi:
        raise DomainError(f"{label}须为 {lo} 到 {hi} 的整数", name)
    return value


def _opt_money(data: dict, name: str, label: str) -> float | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise DomainError(f"{label}须为数字（万元）", name) from None
    if isinstance(raw, bool) or not 0 < value < 10_000_000:
        raise DomainError(f"{label}须大于 0（万元）", name)
    return round(value, 2)


def save_investor(session: Session, user: User, data: dict, investor: Investor | None = None) -> Investor:
    """登记/修改投资机构画像: the investor itself, or a broker/admin on its behalf."""
    if investor is not None and not (user.role in ("broker", "admin") or investor.user_id == user.id):
        raise DomainError("无权修改该投资机构", status=403)
    if investor is None and user.role not in ("investor", "broker", "admin"):
        raise DomainError("只有投资机构用户或技术经纪人可以登记投资机构", status=403)
    name = str(data.get("name") or (user.organization.name if user.role == "investor" else "")).strip()
    if not name:
        raise DomainError("请填写投资机构名称", "name")
    fund_type = data.get("fund_type")
    if fund_type not in FUND_TYPES:
        raise DomainError("基金类型须为 angel（天使）、vc、pe 或 guidance（政府引导基金）", "fund_type")
    trl_min = _int(data, "trl_min", "最低技术就绪度", 1, 9, 1)
    trl_max = _int(data, "trl_max", "最高技术就绪度", 1, 9, 9)
    if trl_min > trl_max:
        raise DomainError("最低技术就绪度不能高于最高技术就绪度", "trl_min")
    tmin = _opt_money(data, "ticket_min_wan", "单笔投资下限")
    tmax = _opt_money(data, "ticket_max_wan", "单笔投资上限")
    if tmin is not None and tmax is not None and tmin > tmax:
        raise DomainError("单笔投资下限不能高于上限", "ticket_min_wan")
    regions = data.get("regions") or []
    if not isinstance(regions, list) or any(r not in REGIONS for r in regions):
        raise DomainError("地区须为河南省地市或济源示范区、航空港区", "regions")
    fields = data.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(x, str) and x.strip() for x in fields):
        raise DomainError("领域须为领域名称的列表", "fields")
    if investor is None:
        org_id = user.organization_id if user.role == "investor" else data.get("organization_id")
        if org_id is None or session.get(Organization, org_id) is None:
            raise DomainError("请指定投资机构所属机构 organization_id", "organization_id")
        investor = Investor(organization_id=org_id, user_id=user.id if user.role == "investor" else None)
        session.add(investor)
    investor.name, investor.fund_type = name[:200], fund_type
    investor.trl_min, investor.trl_max = trl_min, trl_max
    investor.ticket_min_wan, investor.ticket_max_wan = tmin, tmax
    investor.regions, investor.fields = list(regions), [x.strip() for x in fields]
    investor.thesis = str(data.get("thesis") or "").strip()
    session.flush()
    audit(
        session,
        "investor.save",
        user,
        f"investor:{investor.id}",
        f"{investor.name}（{investor.fund_type_label}）",
    )
    return investor


# ---------------------------------------------------------------- ranking


def result_trl(result: Result) -> int | None:
    """TRL 1–9: the result's own `trl` once the chain issue adds it, else read from maturity."""
    trl = getattr(result, "trl", None)
    if trl:
        return int(trl)
    return MATURITY_TRL.get(result.maturity or "")


@dataclass
class RankedInvestor:
    investor: Investor
    score: float
    components: dict
    explanation: dict = field(default_factory=dict)


def rank_investors_for_result(
    session: Session, result: Result, top: int = 10, engine=None
) -> list[RankedInvestor]:
    """投资机构推荐: investors for one result, best first, each with an explanation."""
    from matchmaker.matching import ranker
    from matchmaker.matching.engine import get_engine
    from matchmaker.text.pipeline import shared_terms, tokenize

    investors = list(session.scalars(select(Investor).order_by(Investor.id)))
    if not investors:
        return []
    eng = engine or get_engine()
    vecs = eng.embed([result.text] + [i.text for i in investors])
    dense = np.asarray(vecs[1:] @ vecs[0], dtype=np.float64)
    q_tokens = tokenize(result.text)
    docs = [tokenize(i.text) for i in investors]
    vocab: dict[str, int] = {"": 0}
    corpus = [[vocab.setdefault(t, len(vocab)) for t in d] or [0] for d in docs]
    bm = bm25s.BM25()
    bm.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)
    terms = [t for t in q_tokens if t in vocab and t]
    bm25 = np.asarray(bm.get_scores(terms), dtype=np.float64) if terms else np.zeros(len(investors))
    trl = result_trl(result)
    structured, signal_lists = [], []
    for inv in investors:
        signals = _signals(inv, result, trl)
        signal_lists.append(signals)
        structured.append(sum(s["contribution"] for s in signals))
    scores, lexical = ranker.fuse(dense, bm25, np.asarray(structured), query_len=len(q_tokens))
    out = []
    for k, inv in enumerate(investors):
        shared = shared_terms(q_tokens, docs[k])
        parts = [f"语义相似度 {dense[k]:.2f}"]
        if shared:
            parts.insert(0, "共同关键词：" + "、".join(shared[:5]))
        parts += [s["label"] for s in signal_lists[k]]
        out.append(
            RankedInvestor(
                investor=inv,
                score=float(scores[k]),
                components={
                    "dense": float(dense[k]),
                    "bm25": float(lexical[k]),
                    "structured": float(structured[k]),
                },
                explanation={
                    "shared_terms": shared,
                    "semantic_similarity": round(float(dense[k]), 4),
                    "signals": signal_lists[k],
                    "summary": "；".join(parts),
                },
            )
        )
    out.sort(key=lambda r: (-r.score, r.investor.id))
    return out[:top]


def _signals(inv: Investor, result: Result, trl: int | None) -> list[dict]:
    signals = []
    if trl is not None:
        if inv.trl_min <= trl <= inv.trl_max:
            signals.append(
                {
                    "name": "stage",
                    "label": f"成果就绪度 TRL {trl} 在投资阶段 {inv.trl_min}–{inv.trl_max} 内",
                    "contribution": STAGE_FIT,
                }
            )
        else:
            gap = inv.trl_min - trl if trl < inv.trl_min else trl - inv.trl_max
            signals.append(
                {
                    "name": "stage",
                    "label": f"成果就绪度 TRL {trl} 不在投资阶段 {inv.trl_min}–{inv.trl_max} 内",
                    "contribution": -STAGE_MISS * gap,
                }
            )
    if result.field and result.field.name in (inv.fields or []):
        signals.append(
            {"name": "field", "label": f"关注领域：{result.field.name}", "contribution": FIELD_SAME}
        )
    region = result.region or result.organization.region
    if region and region in (inv.regions or []):
        signals.append({"name": "region", "label": f"投资地区：{region}", "contribution": REGION_SAME})
    price = result.price_wan
    if price and (inv.ticket_min_wan or 0) <= price <= (inv.ticket_max_wan or float("inf")):
        signals.append(
            {"name": "ticket", "label": f"成果报价 {price} 万元在单笔投资范围内", "contribution": TICKET_FIT}
        )
    return signals


def investor_dict(inv: Investor) -> dict:
    return {
        "id": inv.id,
        "name": inv.name,
        "organization": inv.organization.name,
        "fund_type": inv.fund_type,
        "fund_type_label": inv.fund_type_label,
        "fields": inv.fields,
        "trl_min": inv.trl_min,
        "trl_max": inv.trl_max,
        "ticket_min_wan": inv.ticket_min_wan,
        "ticket_max_wan": inv.ticket_max_wan,
        "regions": inv.regions,
        "thesis": inv.thesis,
    }


# ---------------------------------------------------------------- interest pipeline


def record_interest(
    session: Session,
    user: User,
    investor: Investor,
    result: Result,
    talk_id: int | None = None,
    note: str | None = None,
) -> Interest:
    """意向: the investor itself or a broker records an interest in a result."""
    if not (user.role in ("broker", "admin") or investor.user_id == user.id):
        raise DomainError("只有该投资机构或技术经纪人可以登记投资意向", status=403)
    existing = session.scalar(
        select(Interest).where(
            Interest.investor_id == investor.id, Interest.result_id == result.id, Interest.stage != "dropped"
        )
    )
    if existing is not None:
        raise DomainError(f"已有进行中的投资意向（{existing.stage_label}）", "result_id", status=409)
    now = utcnow()
    interest = Interest(
        investor_id=investor.id,
        result_id=result.id,
        talk_id=talk_id,
        stage="intent",
        history=[
            {"stage": "intent", "at": now.isoformat(), "user_id": user.id, "note": note, "amount_wan": None}
        ],
    )
    session.add(interest)
    session.flush()
    audit(
        session,
        "investor.interest",
        user,
        f"interest:{interest.id}",
        f"{investor.name} → {result.title}：意向",
    )
    return interest


def move_interest(
    session: Session,
    user: User,
    interest: Interest,
    to_stage: str,
    *,
    amount_wan=None,
    share_pct=None,
    note=None,
) -> Interest:
    """约谈 → 尽调 → 投资 / 放弃, each move dated; 投资 needs the amount (万元) and share (%)."""
    if not (user.role in ("broker", "admin") or interest.investor.user_id == user.id):
        raise DomainError("无权推进该投资意向", status=403)
    if to_stage not in INTEREST_STAGES:
        raise DomainError(
            "阶段须为 meeting（约谈）、diligence（尽调）、invested（投资）或 dropped（放弃）", "to_stage"
        )
    if to_stage not in NEXT_STAGES[interest.stage]:
        allowed = (
            "、".join(INTEREST_STAGES[s] for s in INTEREST_STAGES if s in NEXT_STAGES[interest.stage]) or "无"
        )
        raise DomainError(
            f"不能从「{interest.stage_label}」进入「{INTEREST_STAGES[to_stage]}」；可进入：{allowed}",
            "to_stage",
            status=409,
        )
    if to_stage == "invested":
        amount = _opt_money({"amount_wan": amount_wan}, "amount_wan", "投资金额")
        if amount is None:
            raise DomainError("投资须填写投资金额（万元）", "amount_wan")
        try:
            share = float(share_pct)
        except (TypeError, ValueError):
            raise DomainError("投资须填写持股比例（%）", "share_pct") from None
        if not 0 < share <= 100:
            raise DomainError("持股比例须大于 0 且不超过 100（%）", "share_pct")
        interest.amount_wan, interest.share_pct = amount, round(share, 3)
    if to_stage == "dropped" and not (note or "").strip():
        raise DomainError("放弃须填写原因", "note")
    interest.stage = to_stage
    interest.history = list(interest.history or []) + [
        {
            "stage": to_stage,
            "at": utcnow().isoformat(),
            "user_id": user.id,
            "note": note,
            "amount_wan": interest.amount_wan,
        }
    ]
    session.flush()
    audit(
        session,
        "investor.interest",
        user,
        f"interest:{interest.id}",
        f"{interest.investor.name} → {interest.result.title}：{INTEREST_STAGES[to_stage]}"
        + (f"，{interest.amount_wan} 万元，{interest.share_pct}%" if to_stage == "invested" else "")
        + (f"（{note}）" if note else ""),
    )
    return interest


def interest_dict(i: Interest) -> dict:
    return {
        "id": i.id,
        "investor_id": i.investor_id,
        "investor": i.investor.name,
        "result_id": i.result_id,
        "result": i.result.title,
        "talk_id": i.talk_id,
        "stage": i.stage,
        "stage_label": i.stage_label,
        "amount_wan": i.amount_wan,
        "share_pct": i.share_pct,
        "history": i.history,
    }


def workbook(funds: list[Investor], interests: list[Interest]) -> bytes:
    """投资机构与投资意向 Excel export."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "投资机构"
    ws.append(
        [
            "编号",
            "名称",
            "所属机构",
            "基金类型",
            "关注领域",
            "TRL 下限",
            "TRL 上限",
            "单笔下限（万元）",
            "单笔上限（万元）",
            "地区",
        ]
    )
    for i in funds:
        ws.append(
            [
                i.id,
                i.name,
                i.organization.name,
                i.fund_type_label,
                "、".join(i.fields or []),
                i.trl_min,
                i.trl_max,
                i.ticket_min_wan,
                i.ticket_max_wan,
                "、".join(i.regions or []),
            ]
        )
    ws2 = wb.create_sheet("投资意向")
    ws2.append(["编号", "投资机构", "科技成果", "阶段", "金额（万元）", "持股比例（%）", "阶段记录"])
    for x in interests:
        ws2.append(
            [
                x.id,
                x.investor.name,
                x.result.title,
                x.stage_label,
                x.amount_wan,
                x.share_pct,
                "；".join(
                    f"{INTEREST_STAGES.get(h['stage'], h['stage'])} {h['at'][:10]}" for h in x.history or []
                ),
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
