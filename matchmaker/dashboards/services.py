"""数据看板 (dashboards from records): every figure is a SQL aggregate over the records of other
areas (需求、撮合、阶段记录、合同、场景、服务、投资意向), grouped in the database.

Units and definitions (口径):
- 漏斗 counts 技术需求 (needs): a need counts at a step when at least one of its matches reached it.
  posting = needs published in the filter; proposed = has a match; released = a broker accepted one
  (经纪人审核通过，推送双方确认); contact = contacts were exchanged (released_at); negotiation, signed,
  registered = the stage history (stage_changes) shows a match entering that stage.
- 未满足需求热力图: open needs published at least N days ago with no accepted match, by field × city.
- 时长: days from a need's publication to its first match / first exchange of contacts / first signed
  contract. Median and P90 are nearest-rank (the value at position ceil(p·n) of the sorted list), the
  same on PostgreSQL (percentile_disc) and SQLite.
- 供需对接效率 (headline): of the needs published at least 90 days ago, the share whose contacts were
  exchanged within 90 days of publication.

Plain Python without request context; the views, the API and the bench call the same functions, and
each figure's drill-down selects the records by the same conditions as the figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.types import DateTime

from matchmaker.accounts import policy
from matchmaker.accounts.models import Organization, User
from matchmaker.dashboards.models import NeedFact
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.localtime import LOCAL_TZ
from matchmaker.postings.models import Field, Need, Result
from matchmaker.providers.models import Provider, ServiceRequest
from matchmaker.review.models import Contract, Match, StageChange
from matchmaker.scenarios.models import Application, Scenario
from matchmaker.trading.investors import Interest

STEPS = {
    "posting": "发布需求",
    "proposed": "推荐撮合",
    "released": "审核通过",
    "contact": "交换联系方式",
    "negotiation": "对接洽谈",
    "signed": "签约",
    "registered": "合同登记",
}
HISTORY_STEPS = ("negotiation", "signed", "registered")
# Duration buckets in days: [lo, hi).
BUCKETS = [
    (0, 1, "1 天内"),
    (1, 7, "1–7 天"),
    (7, 30, "7–30 天"),
    (30, 90, "30–90 天"),
    (90, None, "90 天以上"),
]
DURATIONS = {"first_match": "首次推荐撮合", "contact": "交换联系方式", "contract": "签订合同"}
EFFICIENCY_DAYS = 90
NO_CITY = "未填"
ACTIVITIES = {
    "scenarios": "应用场景发布",
    "applications": "场景揭榜申请",
    "service_requests": "科技服务委托",
    "interests": "投资意向",
}
CHARTS = ("funnel", "unmet", "duration", "efficiency", "brokers", "centres", "activity")
DRILL_LIMIT = 500


@dataclass(frozen=True)
class Filters:
    """看板筛选: period (local dates, inclusive), field, city, and N days for unmet demand."""

    start: date | None = None
    end: date | None = None
    field_id: int | None = None
    city: str | None = None
    days: int = 30

    def args(self) -> dict:
        """As query arguments (for links: drill-downs and exports keep the same filters)."""
        out = {}
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        if self.field_id:
            out["field"] = self.field_id
        if self.city:
            out["city"] = self.city
        if self.days != 30:
            out["days"] = self.days
        return out

    def but(self, **kw) -> Filters:
        return replace(self, **kw)


def _date_arg(args, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(f"日期格式应为 YYYY-MM-DD：{raw[:20]}", name) from None


def parse_filters(args) -> Filters:
    """Filters from query arguments `from`, `to`, `field`, `city`, `days`; errors name the argument."""
    start, end = _date_arg(args, "from"), _date_arg(args, "to")
    if start and end and start > end:
        raise DomainError("起始日期不能晚于结束日期", "from")
    field_id = None
    raw = (args.get("field") or "").strip()
    if raw:
        if not raw.isdigit() or not 0 < int(raw) < 2**31:
            raise DomainError("领域参数无效", "field")
        field_id = int(raw)
    city = (args.get("city") or "").strip() or None
    if city is not None and len(city) > 20:
        raise DomainError("地市参数过长", "city")
    days = 30
    raw = (args.get("days") or "").strip()
    if raw:
        if not raw.isdigit() or not 0 <= int(raw) <= 3650:
            raise DomainError("天数须为 0–3650 的整数", "days")
        days = int(raw)
    return Filters(start, end, field_id, city, days)


def _utc_bound(day: date) -> datetime:
    """Local midnight of `day` as a naive UTC time (stored times are UTC)."""
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def _conds(flt: Filters, field_col, region_col, created_col) -> list:
    out = []
    if flt.start:
        out.append(created_col >= _utc_bound(flt.start))
    if flt.end:
        out.append(created_col < _utc_bound(flt.end + timedelta(days=1)))
    if flt.field_id:
        out.append(field_col == flt.field_id)
    if flt.city == NO_CITY:
        out.append(region_col.is_(None))
    elif flt.city:
        out.append(region_col == flt.city)
    return out


def need_conds(flt: Filters) -> list:
    return _conds(flt, Need.field_id, Need.region, Need.created_at)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _days(session: Session, later, earlier):
    """Days between two timestamps (fractional), in the database's own arithmetic."""
    if _dialect(session) == "postgresql":
        # date_part gives double precision (extract gives numeric since PostgreSQL 14: slower).
        return func.date_part("epoch", cast(later, DateTime) - cast(earlier, DateTime)) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


# ---------------------------------------------------------------- funnel / 漏斗


def _facts(flt: Filters):
    """select() over NeedFact, joined to its need only when a filter reads the need."""
    conds = need_conds(flt)
    q = select().select_from(NeedFact)
    if conds:
        q = q.join(Need, Need.id == NeedFact.need_id).where(*conds)
    return q


def funnel(session: Session, flt: Filters) -> list[dict]:
    """Needs at each step. Reads NeedFact (one row per need with matches, kept in step with the
    records); the drill-down (step_need_ids) selects the same needs from the records themselves."""
    conds = need_conds(flt)
    posting = session.scalar(select(func.count()).select_from(Need).where(*conds)) or 0
    row = session.execute(
        _facts(flt).add_columns(
            func.count(),
            func.coalesce(func.sum(NeedFact.accepted), 0),
            func.coalesce(func.sum(case((NeedFact.first_contact_at.is_not(None), 1), else_=0)), 0),
            *[func.coalesce(func.sum(getattr(NeedFact, s)), 0) for s in HISTORY_STEPS],
        )
    ).one()
    counts = dict(zip(STEPS, [posting, *[int(v) for v in row]], strict=True))
    return [
        {
            "step": key,
            "label": label,
            "count": counts[key],
            "rate": round(counts[key] / posting, 4) if posting else None,
        }
        for key, label in STEPS.items()
    ]


def step_need_ids(flt: Filters, step: str):
    """The needs behind one funnel step (a select of Need.id)."""
    if step not in STEPS:
        raise DomainError(f"未知漏斗环节：{step[:20]}", "step")
    conds = need_conds(flt)
    if step == "posting":
        return select(Need.id).where(*conds)
    matched = select(Match.need_id).join(Need, Need.id == Match.need_id).where(*conds)
    if step == "released":
        matched = matched.where(Match.decision == "accept")
    elif step == "contact":
        matched = matched.where(Match.released_at.is_not(None))
    elif step in HISTORY_STEPS:
        matched = matched.join(StageChange, StageChange.match_id == Match.id).where(
            StageChange.to_stage == step
        )
    return matched


# ---------------------------------------------------------------- unmet demand / 未满足需求


def _unmet_conds(flt: Filters, now: datetime) -> list:
    accepted = select(NeedFact.need_id).where(NeedFact.need_id == Need.id, NeedFact.accepted == 1)
    return [
        *need_conds(flt),
        Need.status == "open",
        Need.created_at <= now - timedelta(days=flt.days),
        ~exists(accepted),
    ]


def unmet(session: Session, flt: Filters, now: datetime | None = None) -> dict:
    """Field × city counts of open needs without an accepted match after N days."""
    now = now or utcnow()
    rows = session.execute(
        select(Need.field_id, Need.region, func.count())
        .where(*_unmet_conds(flt, now))
        .group_by(Need.field_id, Need.region)
    ).all()
    names = dict(
        session.execute(select(Field.id, Field.name).where(Field.id.in_({r[0] for r in rows}))).all()
    )
    cells = [
        {"field_id": fid, "field": names.get(fid, str(fid)), "city": region or NO_CITY, "count": n}
        for fid, region, n in rows
    ]
    cells.sort(key=lambda c: (-c["count"], c["field"], c["city"]))
    fields = sorted({c["field"] for c in cells})
    cities = sorted({c["city"] for c in cells})
    return {
        "days": flt.days,
        "total": sum(c["count"] for c in cells),
        "fields": fields,
        "cities": cities,
        "cells": cells,
    }


def unmet_need_ids(flt: Filters, now: datetime | None = None):
    return select(Need.id).where(*_unmet_conds(flt, now or utcnow()))


# ---------------------------------------------------------------- durations / 时长


DURATION_COLUMNS = {
    "first_match": NeedFact.first_match_at,
    "contact": NeedFact.first_contact_at,
    "contract": NeedFact.first_signed_on,
}


def _duration_subquery(session: Session, flt: Filters, kind: str):
    """One row per need: need_id and d, the days from publication to its first <kind>."""
    if kind not in DURATION_COLUMNS:
        raise DomainError(f"未知时长指标：{kind[:20]}", "kind")
    first = DURATION_COLUMNS[kind]
    return (
        select(NeedFact.need_id.label("need_id"), _days(session, first, Need.created_at).label("d"))
        .join(Need, Need.id == NeedFact.need_id)
        .where(first.is_not(None), *need_conds(flt))
        .subquery()
    )


def _bucket_cond(col, index: int):
    lo, hi, _ = BUCKETS[index]
    return and_(col >= lo, col < hi) if hi is not None else col >= lo


def _percentiles(session: Session, sub, n: int, ps=(0.5, 0.9)) -> list[float | None]:
    if not n:
        return [None for _ in ps]
    if _dialect(session) == "postgresql":
        row = session.execute(select(*[func.percentile_disc(p).within_group(sub.c.d) for p in ps])).one()
        return [round(float(v), 2) for v in row]
    out = []
    for p in ps:
        k = max(math.ceil(p * n) - 1, 0)
        out.append(round(float(session.scalar(select(sub.c.d).order_by(sub.c.d).limit(1).offset(k))), 2))
    return out


def duration(session: Session, flt: Filters, kind: str) -> dict:
    sub = _duration_subquery(session, flt, kind)
    columns = [
        func.count(),
        *[
            func.coalesce(func.sum(case((_bucket_cond(sub.c.d, i), 1), else_=0)), 0)
            for i in range(len(BUCKETS))
        ],
    ]
    if _dialect(session) == "postgresql":  # one pass: counts, buckets and percentiles together
        columns += [func.percentile_disc(p).within_group(sub.c.d) for p in (0.5, 0.9)]
        row = session.execute(select(*columns)).one()
        n = row[0]
        median, p90 = [round(float(v), 2) if v is not None else None for v in row[-2:]]
        row = row[:-2]
    else:
        row = session.execute(select(*columns)).one()
        n = row[0]
        median, p90 = _percentiles(session, sub, n)
    return {
        "kind": kind,
        "label": DURATIONS[kind],
        "n": n,
        "median_days": median,
        "p90_days": p90,
        "buckets": [{"label": b[2], "count": int(c)} for b, c in zip(BUCKETS, row[1:], strict=True)],
    }


def durations(session: Session, flt: Filters) -> list[dict]:
    return [duration(session, flt, kind) for kind in DURATIONS]


def duration_need_ids(session: Session, flt: Filters, kind: str, bucket: int | None):
    sub = _duration_subquery(session, flt, kind)
    q = select(sub.c.need_id)
    if bucket is not None:
        if not 0 <= bucket < len(BUCKETS):
            raise DomainError("时长区间无效", "bucket")
        q = q.where(_bucket_cond(sub.c.d, bucket))
    return q


# ---------------------------------------------------------------- efficiency / 供需对接效率


def _efficiency_parts(session: Session, flt: Filters, now: datetime):
    contact = NeedFact.__table__.alias("contact")
    hit = and_(
        contact.c.first_contact_at.is_not(None),
        _days(session, contact.c.first_contact_at, Need.created_at) <= EFFICIENCY_DAYS,
    )
    cohort = [*need_conds(flt), Need.created_at <= now - timedelta(days=EFFICIENCY_DAYS)]
    return contact, hit, cohort


def efficiency(session: Session, flt: Filters, now: datetime | None = None) -> dict:
    """供需对接效率: of the needs published ≥ 90 days ago, the share that reached contact within 90 days."""
    now = now or utcnow()
    contact, hit, cohort = _efficiency_parts(session, flt, now)
    total, hits = session.execute(
        select(func.count(), func.coalesce(func.sum(case((hit, 1), else_=0)), 0))
        .select_from(Need)
        .outerjoin(contact, contact.c.need_id == Need.id)
        .where(*cohort)
    ).one()
    return {
        "days": EFFICIENCY_DAYS,
        "needs": total,
        "reached": int(hits),
        "rate": round(int(hits) / total, 4) if total else None,
    }


def efficiency_need_ids(session: Session, flt: Filters, reached: bool | None, now: datetime | None = None):
    contact, hit, cohort = _efficiency_parts(session, flt, now or utcnow())
    q = select(Need.id).outerjoin(contact, contact.c.need_id == Need.id).where(*cohort)
    if reached is True:
        q = q.where(hit)
    elif reached is False:
        q = q.where(or_(contact.c.first_contact_at.is_(None), ~hit))
    return q


# ---------------------------------------------------------------- performance / 中心与经纪人绩效


PERF_KEYS = ("decided", "accepted", "contact", "signed", "registered", "amount_wan")
PERF_LABELS = {
    "decided": "审核撮合",
    "accepted": "审核通过",
    "contact": "交换联系方式",
    "signed": "签约",
    "registered": "合同登记",
    "amount_wan": "合同金额（万元）",
}


def _perf_queries(flt: Filters) -> tuple:
    """(decided matches select, their figure columns, contracts aggregated by deciding broker)."""
    conds = need_conds(flt)

    def decided(q):
        q = q.join(User, User.id == Match.decided_by_id)
        return q.join(Need, Need.id == Match.need_id).where(*conds) if conds else q

    matches = decided(select().select_from(Match))
    match_columns = [
        func.count().label("decided"),
        func.coalesce(func.sum(case((Match.decision == "accept", 1), else_=0)), 0).label("accepted"),
        func.coalesce(func.sum(case((Match.released_at.is_not(None), 1), else_=0)), 0).label("contact"),
    ]
    if conds:
        signed = (
            select(
                Contract.id, Contract.registration_no, Contract.amount_wan, Match.decided_by_id.label("by")
            )
            .select_from(Contract)
            .join(Match, Match.id == Contract.match_id)
            .join(Need, Need.id == Match.need_id)
            .where(*conds)
            .subquery()
        )
    else:
        # From the (few) contracts, each looking up its match by primary key: a hash join of every
        # match to the contracts would scan all matches.
        by = select(Match.decided_by_id).where(Match.id == Contract.match_id).scalar_subquery()
        signed = select(Contract.id, Contract.registration_no, Contract.amount_wan, by.label("by")).subquery()
    contracts = select(
        signed.c.by,
        func.count(signed.c.id).label("signed"),
        func.coalesce(func.sum(case((signed.c.registration_no.is_not(None), 1), else_=0)), 0).label(
            "registered"
        ),
        func.coalesce(func.sum(signed.c.amount_wan), 0).label("amount_wan"),
    ).group_by(signed.c.by)
    return matches, match_columns, contracts


def _perf(session: Session, flt: Filters, keys: list, centre_id: int | None) -> dict:
    """Performance figures grouped by `keys` (columns of User): one aggregate over the decided
    matches by keys, one over their contracts by broker (folded into keys: one row per broker)."""
    matches, match_columns, contracts = _perf_queries(flt)
    q = matches.add_columns(*keys, *match_columns).group_by(*keys)
    if centre_id is not None:
        q = q.where(User.organization_id == centre_id)
    out = {}
    for row in session.execute(q).all():
        key, values = tuple(row[: len(keys)]), row[len(keys) :]
        out.setdefault(key, dict.fromkeys(PERF_KEYS, 0)).update(
            zip([c.name for c in match_columns], values, strict=True)
        )
    per_broker = {r[0]: r[1:] for r in session.execute(contracts).all() if r[0] is not None}
    users = select(User.id, *keys).where(User.id.in_(per_broker))
    if centre_id is not None:
        users = users.where(User.organization_id == centre_id)
    for uid, *key in session.execute(users).all():
        row = out.setdefault(tuple(key), dict.fromkeys(PERF_KEYS, 0))
        for name, value in zip(("signed", "registered", "amount_wan"), per_broker[uid], strict=True):
            row[name] += value or 0
    return {key: _perf_row([v[k] for k in PERF_KEYS]) for key, v in out.items()}


def _perf_row(values) -> dict:
    out = {
        k: (float(v or 0) if k == "amount_wan" else int(v or 0))
        for k, v in zip(PERF_KEYS, values, strict=True)
    }
    out["amount_wan"] = round(out["amount_wan"], 2)
    return out


def brokers(session: Session, flt: Filters, centre_id: int | None = None) -> list[dict]:
    """Per broker (技术经纪人): the matches they decided, and how far those went."""
    figures = _perf(session, flt, [User.id, User.name, User.organization_id], centre_id)
    org_ids = {k[2] for k in figures}
    orgs = dict(
        session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))).all()
    )
    out = [
        {"broker_id": bid, "broker": name, "centre_id": oid, "centre": orgs.get(oid, ""), **row}
        for (bid, name, oid), row in figures.items()
    ]
    return sorted(out, key=lambda r: (-r["signed"], -r["decided"], r["broker"]))


def centres(
    session: Session, flt: Filters, centre_id: int | None = None, broker_rows: list[dict] | None = None
) -> list[dict]:
    """Per centre (技术转移机构, the brokers' organisations): every centre with a broker, zeros
    included; the sums of its brokers' rows (one row per broker, not per record)."""
    if broker_rows is None:
        broker_rows = brokers(session, flt, centre_id)
    figures: dict[int, dict] = {}
    for b in broker_rows:
        row = figures.setdefault(b["centre_id"], dict.fromkeys(PERF_KEYS, 0))
        for k in PERF_KEYS:
            row[k] += b[k]
    has_broker = exists(select(User.id).where(User.organization_id == Organization.id, User.role == "broker"))
    orgs = select(Organization.id, Organization.name, Organization.region).where(has_broker)
    if centre_id is not None:
        orgs = orgs.where(Organization.id == centre_id)
    zero = dict.fromkeys(PERF_KEYS, 0)
    out = [
        {
            "centre_id": oid,
            "centre": name,
            "city": region or NO_CITY,
            **_perf_row([figures.get(oid, zero)[k] for k in PERF_KEYS]),
        }
        for oid, name, region in session.execute(orgs).all()
    ]
    return sorted(out, key=lambda r: (-r["signed"], -r["decided"], r["centre"]))


def perf_match_ids(flt: Filters, broker_id: int | None = None, centre_id: int | None = None):
    q = select(Match.id).join(User, User.id == Match.decided_by_id).join(Need, Need.id == Match.need_id)
    q = q.where(*need_conds(flt))
    if broker_id is not None:
        q = q.where(User.id == broker_id)
    if centre_id is not None:
        q = q.where(User.organization_id == centre_id)
    return q


# ---------------------------------------------------------------- activity / 场景、服务、投资活动


def _activity_query(kind: str, flt: Filters):
    """(status column, base select) for one activity kind, with the filters applied."""
    if kind == "scenarios":
        return Scenario.status, select(Scenario.id).where(
            *_conds(flt, Scenario.field_id, Scenario.region, Scenario.created_at)
        )
    if kind == "applications":
        return Application.status, (
            select(Application.id)
            .join(Scenario, Scenario.id == Application.scenario_id)
            .where(*_conds(flt, Scenario.field_id, Scenario.region, Application.created_at))
        )
    if kind == "service_requests":
        return ServiceRequest.status, (
            select(ServiceRequest.id)
            .join(Provider, Provider.id == ServiceRequest.provider_id)
            .where(*_conds(flt, Provider.field_id, Provider.region, ServiceRequest.created_at))
        )
    if kind == "interests":
        return Interest.stage, (
            select(Interest.id)
            .join(Result, Result.id == Interest.result_id)
            .where(*_conds(flt, Result.field_id, Result.region, Interest.created_at))
        )
    raise DomainError(f"未知活动类型：{kind[:20]}", "kind")


def _status_labels(kind: str) -> dict:
    from matchmaker.providers.models import REQUEST_STATUSES
    from matchmaker.scenarios.models import APPLICATION_STATUSES, SCENARIO_STATUSES
    from matchmaker.trading.investors import INTEREST_STAGES

    return {
        "scenarios": SCENARIO_STATUSES,
        "applications": APPLICATION_STATUSES,
        "service_requests": REQUEST_STATUSES,
        "interests": INTEREST_STAGES,
    }[kind]


def activity(session: Session, flt: Filters) -> list[dict]:
    out = []
    for kind, label in ACTIVITIES.items():
        status, base = _activity_query(kind, flt)
        sub = base.add_columns(status.label("status")).subquery()
        rows = session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
        by_status = {s: n for s, n in sorted(rows, key=lambda r: str(r[0]))}
        labels = _status_labels(kind)
        out.append(
            {
                "kind": kind,
                "label": label,
                "total": sum(by_status.values()),
                "by_status": by_status,
                "status_labels": {st: labels.get(st, st) for st in by_status},
            }
        )
    return out


def activity_ids(kind: str, flt: Filters, status: str | None = None):
    col, base = _activity_query(kind, flt)
    return base.where(col == status) if status else base


# ---------------------------------------------------------------- all figures


def viewer_centre(user) -> int | None:
    """Admins see every centre; a broker sees its own centre (its organisation)."""
    return None if policy.is_admin(user) else user.organization_id


def can_see(user) -> bool:
    """省科技厅 admins and 技术经纪人; everyone else is refused."""
    return policy.is_staff(user)


def summary(session: Session, flt: Filters, user, now: datetime | None = None) -> dict:
    now = now or utcnow()
    centre_id = viewer_centre(user)
    broker_rows = brokers(session, flt, centre_id)
    return {
        "filters": flt.args(),
        "efficiency": efficiency(session, flt, now),
        "funnel": funnel(session, flt),
        "unmet": unmet(session, flt, now),
        "durations": durations(session, flt),
        "centres": centres(session, flt, centre_id, broker_rows),
        "brokers": broker_rows,
        "activity": activity(session, flt),
    }


def field_choices(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(select(Field.id, Field.name).order_by(Field.sort_order, Field.name)).all())


def city_choices(session: Session) -> list[str]:
    from matchmaker.constants import REGIONS

    return list(REGIONS) + [NO_CITY]


# ---------------------------------------------------------------- drill-down / 明细


@dataclass
class Drill:
    title: str
    headers: list[str]
    rows: list[list]  # plain values (the export writes these)
    links: list[tuple[str, dict]]  # per row: (endpoint, kwargs) for the first column
    total: int


NEED_HEADERS = ["需求编号", "需求", "领域", "地市", "状态", "机构", "发布日期"]


def _need_drill(session: Session, title: str, ids, limit: int | None) -> Drill:
    ids = ids.subquery()
    total = session.scalar(select(func.count()).select_from(Need).where(Need.id.in_(select(ids.c[0])))) or 0
    q = (
        select(
            Need.id,
            Need.external_id,
            Need.title,
            Field.name,
            Need.region,
            Need.status,
            Organization.name,
            Need.created_at,
        )
        .join(Field, Field.id == Need.field_id)
        .join(Organization, Organization.id == Need.organization_id)
        .where(Need.id.in_(select(ids.c[0])))
        .order_by(Need.created_at.desc(), Need.id.desc())
    )
    if limit:
        q = q.limit(limit)
    rows, links = [], []
    for nid, ext, title_, fname, region, status, org, created in session.execute(q).all():
        rows.append([ext, title_, fname, region or NO_CITY, status, org, _local_date(created)])
        links.append(("postings.need_detail", {"need_id": nid}))
    return Drill(title, NEED_HEADERS, rows, links, total)


def _local_date(value: datetime | None) -> str:
    from matchmaker.localtime import local_str

    return local_str(value, "%Y-%m-%d") if value else ""


MATCH_HEADERS = ["撮合编号", "需求", "成果", "阶段", "审核经纪人", "联系方式交换", "合同金额（万元）"]


def _match_drill(session: Session, title: str, ids, limit: int | None) -> Drill:
    from matchmaker.review.models import STAGES

    ids = ids.subquery()
    total = session.scalar(select(func.count()).select_from(Match).where(Match.id.in_(select(ids.c[0])))) or 0
    q = (
        select(
            Match.id, Need.title, Result.title, Match.stage, User.name, Match.released_at, Contract.amount_wan
        )
        .join(Need, Need.id == Match.need_id)
        .outerjoin(Result, Result.id == Match.result_id)
        .outerjoin(User, User.id == Match.decided_by_id)
        .outerjoin(Contract, Contract.match_id == Match.id)
        .where(Match.id.in_(select(ids.c[0])))
        .order_by(Match.id.desc())
    )
    if limit:
        q = q.limit(limit)
    rows, links = [], []
    for mid, need, result, stage, broker, released, amount in session.execute(q).all():
        rows.append(
            [mid, need, result or "", STAGES.get(stage, stage), broker or "", _local_date(released), amount]
        )
        links.append(("review.detail", {"match_id": mid}))
    return Drill(title, MATCH_HEADERS, rows, links, total)


def _activity_drill(
    session: Session, kind: str, flt: Filters, status: str | None, limit: int | None
) -> Drill:
    ids = activity_ids(kind, flt, status).subquery()
    title = ACTIVITIES[kind] + (f"（{status}）" if status else "")
    if kind in ("scenarios", "applications"):
        model = Scenario if kind == "scenarios" else Application
        q = select(model.id, model.status, model.created_at)
        if kind == "scenarios":
            q = q.add_columns(Scenario.title, Scenario.id)
        else:
            q = q.join(Scenario, Scenario.id == Application.scenario_id).add_columns(
                Scenario.title, Scenario.id
            )
        endpoint, key = "scenarios.detail", "scenario_id"
    elif kind == "service_requests":
        model = ServiceRequest
        q = select(model.id, model.status, model.created_at).join(Provider, Provider.id == model.provider_id)
        q = q.add_columns(Provider.name, Provider.id)
        endpoint, key = "providers.detail", "provider_id"
    else:
        model = Interest
        q = select(model.id, model.stage, model.created_at).join(Result, Result.id == model.result_id)
        q = q.add_columns(Result.title, Result.id)
        endpoint, key = "postings.result_detail", "result_id"
    total = session.scalar(select(func.count()).select_from(model).where(model.id.in_(select(ids.c[0])))) or 0
    q = q.where(model.id.in_(select(ids.c[0]))).order_by(model.id.desc())
    if limit:
        q = q.limit(limit)
    rows, links = [], []
    for rid, st, created, name, target in session.execute(q).all():
        rows.append([rid, name, st, _local_date(created)])
        links.append((endpoint, {key: target}))
    return Drill(title, ["编号", "对象", "状态", "日期"], rows, links, total)


def drill(
    session: Session,
    chart: str,
    flt: Filters,
    args,
    user,
    *,
    limit: int | None = DRILL_LIMIT,
    now: datetime | None = None,
) -> Drill:
    """The records behind one chart (or one bar/cell of it), by the figure's own conditions."""
    now = now or utcnow()
    if chart == "funnel":
        step = args.get("step") or "posting"
        return _need_drill(session, f"漏斗：{STEPS.get(step, step)}", step_need_ids(flt, step), limit)
    if chart == "unmet":
        return _need_drill(session, f"未满足需求（发布满 {flt.days} 天）", unmet_need_ids(flt, now), limit)
    if chart == "duration":
        kind = args.get("kind") or "first_match"
        if kind not in DURATIONS:
            raise DomainError(f"未知时长指标：{kind[:20]}", "kind")
        bucket = _int(args, "bucket")
        label = DURATIONS[kind] + (
            f"：{BUCKETS[bucket][2]}" if bucket is not None and 0 <= bucket < len(BUCKETS) else ""
        )
        return _need_drill(session, f"时长（{label}）", duration_need_ids(session, flt, kind, bucket), limit)
    if chart == "efficiency":
        raw = args.get("reached")
        reached = None if raw in (None, "") else raw == "1"
        title = {None: "对接效率：统计需求", True: "90 天内交换联系方式", False: "90 天内未交换联系方式"}[
            reached
        ]
        return _need_drill(session, title, efficiency_need_ids(session, flt, reached, now), limit)
    if chart in ("brokers", "centres"):
        broker_id, centre_id = _int(args, "broker"), _int(args, "centre")
        own = viewer_centre(user)
        if own is not None:
            if centre_id not in (None, own):
                raise DomainError("只能查看本中心的明细", "centre", status=403)
            if broker_id is not None:
                broker = session.get(User, broker_id)
                if broker is None or broker.organization_id != own:
                    raise DomainError("只能查看本中心经纪人的明细", "broker", status=403)
            centre_id = own
        return _match_drill(session, "经纪人审核的撮合", perf_match_ids(flt, broker_id, centre_id), limit)
    if chart == "activity":
        kind = args.get("kind") or "scenarios"
        if kind not in ACTIVITIES:
            raise DomainError(f"未知活动类型：{kind[:20]}", "kind")
        return _activity_drill(session, kind, flt, (args.get("status") or None), limit)
    raise DomainError(f"未知图表：{chart[:20]}", "chart", status=404)


def _int(args, name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) >= 2**31:
        raise DomainError(f"参数 {name} 无效", name)
    return int(raw)


def summary_sheets(data: dict) -> list[tuple[str, list[str], list[list]]]:
    """The figures as workbook sheets (title, headers, rows): the Excel export of the dashboard."""
    eff = data["efficiency"]
    sheets = [
        (
            "对接效率",
            ["统计需求（发布满 90 天）", "90 天内交换联系方式", "效率"],
            [[eff["needs"], eff["reached"], eff["rate"]]],
        ),
        (
            "漏斗",
            ["环节", "需求数", "占发布需求"],
            [[s["label"], s["count"], s["rate"]] for s in data["funnel"]],
        ),
        (
            "未满足需求",
            ["领域", "地市", f"发布满 {data['unmet']['days']} 天无通过撮合的需求"],
            [[c["field"], c["city"], c["count"]] for c in data["unmet"]["cells"]],
        ),
        (
            "时长",
            ["指标", "需求数", "中位数（天）", "P90（天）", *[b[2] for b in BUCKETS]],
            [
                [d["label"], d["n"], d["median_days"], d["p90_days"], *[b["count"] for b in d["buckets"]]]
                for d in data["durations"]
            ],
        ),
        (
            "中心绩效",
            ["中心", "地市", *PERF_LABELS.values()],
            [[c["centre"], c["city"], *[c[k] for k in PERF_KEYS]] for c in data["centres"]],
        ),
        (
            "经纪人绩效",
            ["经纪人", "中心", *PERF_LABELS.values()],
            [[b["broker"], b["centre"], *[b[k] for k in PERF_KEYS]] for b in data["brokers"]],
        ),
        (
            "活动",
            ["类型", "状态", "数量"],
            [
                [a["label"], a["status_labels"][s], n]
                for a in data["activity"]
                for s, n in a["by_status"].items()
            ],
        ),
    ]
    return sheets
