"""Posting services (发布服务): validate, create, update, archive, delete and list.

Plain Python with no request context: the web forms, the JSON API and the JSONL import
all go through these functions, so a posting is validated the same way everywhere.
Services only flush; the caller owns the commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization, User
from matchmaker.constants import (
    MATURITIES,
    MATURITY_TRL,
    NEED_STATUSES,
    ORG_TYPES,
    REGIONS,
    RESULT_STATUSES,
    TRANSFER_MODES,
    TRL_LEVELS,
)
from matchmaker.errors import DomainError
from matchmaker.localtime import local_today
from matchmaker.postings.models import Expert, Field, Need, Result
from matchmaker.security import is_db_id

EXPERT_STATUSES = {"published": "已发布", "archived": "已归档"}
KINDS = {"result": Result, "need": Need, "expert": Expert}
KIND_LABELS = {"result": "科技成果", "need": "技术需求", "expert": "专家"}
MAX_PRICE = 10_000_000  # 万元; anything above is a typo, not a price
LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+\-() 转]{5,40}$")
INSTITUTE_MARKERS = ("研究院", "研究所", "科学院")


# ---------------------------------------------------------------- value cleaning


def split_list(value: Any, field: str, label: str, *, max_items: int = 30, max_len: int = 50) -> list[str]:
    """A list of short strings from a JSON list or from text separated by , ， 、 ; or newlines."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = LIST_SEPARATORS.split(value)
    elif isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) for v in value):
            raise DomainError(f"{label}须为文字列表", field)
        items = list(value)
    else:
        raise DomainError(f"{label}须为文字列表", field)
    cleaned: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in cleaned:
            if len(item) > max_len:
                raise DomainError(f"{label}中“{item[:10]}…”过长（每项不超过 {max_len} 字）", field)
            cleaned.append(item)
    if len(cleaned) > max_items:
        raise DomainError(f"{label}最多 {max_items} 项", field)
    return cleaned


def _text(
    value: Any, field: str, label: str, *, required: bool = False, max_len: int = 200, min_len: int = 0
) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError(f"{label}不能为空", field)
        return None
    if not isinstance(value, str):
        raise DomainError(f"{label}须为文字", field)
    value = value.strip()
    if len(value) > max_len:
        raise DomainError(f"{label}不能超过 {max_len} 字（当前 {len(value)} 字）", field)
    if len(value) < min_len:
        raise DomainError(f"{label}至少 {min_len} 字，请写清楚", field)
    return value


def _amount(value: Any, field: str, label: str) -> float | None:
    """An amount in 万元: a number ≥ 0, or empty for 面议."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DomainError(f"{label}须为数字（万元）", field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(f"{label}须为数字（万元）", field) from None
    if not number.is_finite():
        raise DomainError(f"{label}须为数字（万元）", field)
    if number < 0:
        raise DomainError(f"{label}不能为负数", field)
    if number > MAX_PRICE:
        raise DomainError(f"{label}过大，请以万元为单位填写", field)
    return float(round(number, 2))


def _deadline(value: Any, field: str = "deadline") -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DomainError("截止日期格式应为 YYYY-MM-DD，例如 2027-06-30", field)


def normalize_region(value: Any, field: str = "region") -> str | None:
    """A Henan city or 济源示范区 / 航空港区; '郑州市' and '济源' are accepted spellings."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise DomainError("地区须为文字", field)
    raw = value.strip()
    candidates = [raw, raw.removesuffix("市"), raw + "示范区" if raw in ("济源", "济源市") else raw]
    if raw.removesuffix("市") == "济源":
        candidates.append("济源示范区")
    if raw in ("郑州航空港区", "航空港", "郑州航空港经济综合实验区"):
        candidates.append("航空港区")
    for c in candidates:
        if c in REGIONS:
            return c
    raise DomainError(f"地区“{raw}”无效：须为河南省地市（如 郑州、洛阳）或 济源示范区、航空港区", field)


def _choice(
    value: Any, field: str, label: str, choices: Iterable[str], *, required: bool = False
) -> str | None:
    choices = list(choices)
    if value is None or value == "":
        if required:
            raise DomainError(f"请选择{label}", field)
        return None
    if value not in choices:
        raise DomainError(f"{label}“{value}”无效，可选：{'、'.join(choices)}", field)
    return value


def _email(value: Any, field: str) -> str | None:
    value = _text(value, field, "联系邮箱", max_len=200)
    if value and not EMAIL_RE.match(value):
        raise DomainError("联系邮箱格式不正确", field)
    return value


def _phone(value: Any, field: str) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    value = _text(value, field, "联系电话", max_len=40)
    if value and not PHONE_RE.match(value):
        raise DomainError("联系电话格式不正确，只能包含数字、+、- 和空格", field)
    return value


def find_field(session: Session, name: Any, field: str = "field", *, required: bool = True) -> Field | None:
    """The taxonomy entry of that name (领域); it must exist already."""
    if isinstance(name, Field):
        return name
    if name is None or name == "":
        if required:
            raise DomainError("请选择领域", field)
        return None
    if not isinstance(name, str):
        raise DomainError("领域须为文字", field)
    obj = session.scalar(select(Field).where(Field.name == name.strip()))
    if obj is None:
        raise DomainError(f"领域“{name}”不在分类目录中", field)
    return obj


def org_type_for(kind: str, name: str) -> str:
    """Type of an organisation created on import: needs come from 企业, results from 高校 or 科研院所."""
    if kind == "need":
        return "企业"
    return "科研院所" if any(m in name for m in INSTITUTE_MARKERS) else "高校"


def get_or_create_organization(
    session: Session, name: str, *, kind: str, region: str | None = None, org_type: str | None = None
) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        if org_type is not None and org_type not in ORG_TYPES:
            raise DomainError(f"机构类型“{org_type}”无效", "org_type")
        org = Organization(name=name, type=org_type or org_type_for(kind, name), region=region)
        session.add(org)
        session.flush()
    return org


def posting_organization(
    session: Session, user: User, kind: str, org_name: Any = None, region: Any = None
) -> Organization:
    """Whose posting this is: the user's own organisation, or, when a broker or admin posts
    on someone's behalf (代为发布, e.g. a need taken down over the phone), the named one."""
    if not user.is_staff:
        return user.organization
    name = _text(org_name, "organization", "发布机构", max_len=200)
    if not name:
        raise DomainError("代为发布时须填写发布机构名称", "organization")
    return get_or_create_organization(session, name, kind=kind, region=normalize_region(region))


def _flatten_contact(data: dict) -> dict:
    """Accept `contact: {name, phone, email}` (exchange format) as well as flat contact_* keys."""
    data = dict(data)
    contact = data.pop("contact", None)
    if contact is not None:
        if not isinstance(contact, dict):
            raise DomainError("联系方式须为包含 name、phone、email 的对象", "contact")
        for key in ("name", "phone", "email"):
            if key in contact:
                data.setdefault(f"contact_{key}", contact[key])
    return data


# ---------------------------------------------------------------- validation per kind


def clean_contact(data: dict) -> dict:
    """联系人、联系电话、联系邮箱, each only when given (the same rule for every posting kind)."""
    out: dict[str, Any] = {}
    if "contact_name" in data:
        out["contact_name"] = _text(data["contact_name"], "contact_name", "联系人", max_len=100)
    if "contact_phone" in data:
        out["contact_phone"] = _phone(data["contact_phone"], "contact_phone")
    if "contact_email" in data:
        out["contact_email"] = _email(data["contact_email"], "contact_email")
    return out


def clean_status(data: dict, choices) -> dict:
    """A status, when given, must be one of `choices`."""
    if "status" not in data:
        return {}
    if data["status"] not in choices:
        raise DomainError(f"状态“{data['status']}”无效", "status")
    return {"status": data["status"]}


def _common(
    session: Session, data: dict, partial: bool, *, title_label: str = "标题", description_label: str = "描述"
) -> dict:
    """Title, description, field, keywords, region and contact: what every posting has."""
    out: dict[str, Any] = {}
    if not partial or "title" in data:
        out["title"] = _text(data.get("title"), "title", title_label, required=True, max_len=200, min_len=4)
    if not partial or "description" in data:
        out["description"] = _text(
            data.get("description"),
            "description",
            description_label,
            required=True,
            max_len=10000,
            min_len=10,
        )
    if not partial or "field" in data:
        out["field"] = find_field(session, data.get("field"))
    if "keywords" in data:
        out["keywords"] = split_list(data["keywords"], "keywords", "关键词", max_items=20, max_len=30)
    if "region" in data:
        out["region"] = normalize_region(data["region"])
    return out | clean_contact(data)


def clean_result(session: Session, data: dict, *, partial: bool = False, current=None) -> dict:
    """Validated attributes for a Result (科技成果); raises DomainError naming the key."""
    data = _flatten_contact(data)
    out = _common(session, data, partial)
    if not partial or "maturity" in data:
        out["maturity"] = _choice(data.get("maturity"), "maturity", "成熟度", MATURITIES)
    trl = clean_trl(data.get("trl")) if "trl" in data else None
    if trl is not None:
        out["trl"] = trl
    elif out.get("maturity") or ("trl" in data and not partial):
        # no level given: the maturity's usual level (实验室阶段 3, 小试 4, 中试 6, 产业化 9)
        out["trl"] = MATURITY_TRL.get(out.get("maturity") or "")
    if "trl_evidence" in data:
        out["trl_evidence"] = _text(data["trl_evidence"], "trl_evidence", "就绪度依据", max_len=500)
    if "transfer_modes" in data:
        modes = split_list(data["transfer_modes"], "transfer_modes", "合作方式")
        for m in modes:
            _choice(m, "transfer_modes", "合作方式", TRANSFER_MODES)
        out["transfer_modes"] = modes
    if "price_wan" in data:
        out["price_wan"] = _amount(data["price_wan"], "price_wan", "转让价格")
    if "patent_numbers" in data:
        out["patent_numbers"] = split_list(data["patent_numbers"], "patent_numbers", "专利号", max_len=40)
    if "team" in data:
        out["team"] = _text(data["team"], "team", "团队", max_len=2000)
    if "status" in data:
        out["status"] = _choice(data["status"], "status", "状态", RESULT_STATUSES, required=True)
    return out


def clean_trl(value: Any, field: str = "trl", *, required: bool = False) -> int | None:
    """A readiness level 1–9 (技术就绪度) from an int or its text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError("请填写技术就绪度（1–9 级）", field)
        return None
    if isinstance(value, bool):
        raise DomainError("技术就绪度须为 1–9 的整数", field)
    try:
        level = int(str(value).strip())
    except ValueError:
        raise DomainError("技术就绪度须为 1–9 的整数", field) from None
    if str(level) != str(value).strip() or level not in TRL_LEVELS:
        raise DomainError("技术就绪度须为 1–9 的整数", field)
    return level


def clean_need(session: Session, data: dict, *, partial: bool = False, current=None) -> dict:
    """Validated attributes for a Need (技术需求); raises DomainError naming the key.

    `current` is the need being edited (None on create): a past deadline is refused for a
    need that stays 征集中, unless it is the deadline it already had (an import of an old
    export, an edit of another field)."""
    data = _flatten_contact(data)
    out = _common(session, data, partial)
    if "budget_wan" in data:
        out["budget_wan"] = _amount(data["budget_wan"], "budget_wan", "预算")
    if "status" in data:
        out["status"] = _choice(data["status"], "status", "状态", NEED_STATUSES, required=True)
    if "deadline" in data:
        deadline = _deadline(data["deadline"])
        status = out.get("status") or (current.status if current is not None else "open")
        unchanged = current is not None and current.deadline == deadline
        if deadline is not None and status == "open" and not unchanged and deadline < local_today():
            raise DomainError(
                f"截止日期 {deadline.isoformat()} 已过，请填写今天（{local_today().isoformat()}）或以后的日期",
                "deadline",
            )
        out["deadline"] = deadline
    return out


def clean_expert(session: Session, data: dict, *, partial: bool = False, current=None) -> dict:
    """Validated attributes for an Expert (专家人才) profile."""
    data = _flatten_contact(data)
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        out["name"] = _text(data.get("name"), "name", "姓名", required=True, max_len=100)
    if "title" in data:
        out["title"] = _text(data["title"], "title", "职称", max_len=100)
    if "field" in data:
        out["field"] = find_field(session, data["field"], required=False)
    if "research_areas" in data:
        out["research_areas"] = split_list(data["research_areas"], "research_areas", "研究方向")
    if "bio" in data:
        out["bio"] = _text(data["bio"], "bio", "简介", max_len=5000) or ""
    if "region" in data:
        out["region"] = normalize_region(data["region"])
    if "contact_phone" in data:
        out["contact_phone"] = _phone(data["contact_phone"], "contact_phone")
    if "contact_email" in data:
        out["contact_email"] = _email(data["contact_email"], "contact_email")
    if "status" in data:
        out["status"] = _choice(data["status"], "status", "状态", EXPERT_STATUSES, required=True)
    if "results" in data:
        out["results"] = _linked_results(session, data["results"])
    return out


def _linked_results(session: Session, refs: Any) -> list[Result]:
    """Results linked to an expert, given as Result objects, internal ids or external ids."""
    if refs is None:
        return []
    if not isinstance(refs, (list, tuple)):
        raise DomainError("关联成果须为列表", "results")
    found: list[Result] = []
    for ref in refs:
        # Forms send internal ids (int); files and the API send external ids (str).
        if isinstance(ref, Result):
            obj = ref
        elif isinstance(ref, int) and not isinstance(ref, bool):
            obj = session.get(Result, ref)
        elif isinstance(ref, str):
            obj = session.scalar(select(Result).where(Result.external_id == ref.strip()))
        else:
            obj = None
        if obj is None:
            raise DomainError(f"关联成果“{ref}”不存在", "results")
        if obj not in found:
            found.append(obj)
    return found


CLEANERS = {"result": clean_result, "need": clean_need, "expert": clean_expert}


# ---------------------------------------------------------------- lookups


def new_external_id(kind: str) -> str:
    """External id for postings made on the site; import ids keep their own."""
    return f"{kind[0].upper()}-{uuid.uuid4().hex[:12]}"


def find_posting(session: Session, kind: str, ref: Any):
    """A posting by internal id (int or digit string) or by external id."""
    model = KINDS[kind]
    if isinstance(ref, bool):
        return None
    if is_db_id(ref):
        obj = session.get(model, int(ref))
        if obj is not None:
            return obj
    if isinstance(ref, str) and len(ref) <= 64:
        return session.scalar(select(model).where(model.external_id == str(ref)))
    return None


# ---------------------------------------------------------------- create / update / archive / delete


def _check_external_id(session: Session, kind: str, external_id: Any, current=None) -> str:
    external_id = _text(external_id, "id", "编号", required=True, max_len=64)
    model = KINDS[kind]
    other = session.scalar(select(model).where(model.external_id == external_id))
    if other is not None and other is not current:
        raise DomainError(f"编号“{external_id}”已被其他{KIND_LABELS[kind]}使用", "id")
    return external_id


def create_posting(
    session: Session,
    kind: str,
    data: dict,
    *,
    organization: Organization,
    owner: User | None = None,
    external_id: str | None = None,
):
    """Create a result, need or expert for an organisation from validated data."""
    attrs = CLEANERS[kind](session, data)
    model = KINDS[kind]
    obj = model(
        external_id=_check_external_id(session, kind, external_id) if external_id else new_external_id(kind),
        organization=organization,
    )
    if kind == "expert":
        obj.user = owner
    else:
        obj.owner = owner
    if kind != "expert" and "region" not in attrs:
        attrs["region"] = organization.region  # the organisation's city by default
    _apply(obj, attrs)
    session.add(obj)
    session.flush()
    return obj


def update_posting(session: Session, obj, data: dict, *, partial: bool = True):
    """Update from data; with partial=False the required keys must all be present."""
    attrs = CLEANERS[obj.kind](session, data, partial=partial, current=obj)
    _apply(obj, attrs)
    session.flush()
    return obj


def _apply(obj, attrs: dict) -> None:
    for key, value in attrs.items():
        setattr(obj, key, value)


ARCHIVED = {"result": "archived", "need": "closed", "expert": "archived"}


def archive_posting(session: Session, obj):
    """归档 / 关闭: hide from the public lists but keep everything."""
    obj.status = ARCHIVED[obj.kind]
    session.flush()
    return obj


def _matches_of(session: Session, obj) -> list:
    from matchmaker.review.models import Match

    column = {"result": Match.result_id, "need": Match.need_id, "expert": Match.expert_id}[obj.kind]
    return list(session.scalars(select(Match).where(column == obj.id)))


def is_unreviewed(match) -> bool:
    """An automatic proposal (推荐) nobody has acted on yet: no broker decision, no side's
    answer, no stage change. Such proposals may go with their posting."""
    return (
        match.source == "ranker"
        and match.stage == "proposed"
        and match.decision is None
        and match.need_status is None
        and match.result_status is None
        and match.released_at is None
        # the system's own "proposed" entry has no user; anything a person did has one
        and all(c.user_id is None and c.to_stage == "proposed" for c in match.changes)
    )


def delete_posting(session: Session, obj) -> str:
    """删除 a posting with its unreviewed proposals; when anything reviewed refers to it, or
    another record does, 归档/关闭 it instead so broker work is never lost.

    Returns "deleted" or "archived"; the caller tells the user which (archived_message)."""
    matches = _matches_of(session, obj)
    if any(not is_unreviewed(m) for m in matches):
        archive_posting(session, obj)
        return "archived"
    try:
        with session.begin_nested():
            for match in matches:
                session.delete(match)
            session.delete(obj)
            session.flush()
    except IntegrityError:  # e.g. a roadshow candidate or a challenge answer refers to it
        archive_posting(session, obj)
        return "archived"
    return "deleted"


def archived_message(obj) -> str:
    """Why a delete became an archive, in the words the user sees."""
    done = "关闭" if obj.kind == "need" else "归档"
    return f"该{KIND_LABELS[obj.kind]}已有经纪人处理过的撮合或其他关联记录，不能删除，已改为{done}（不再公开展示）"


def close_expired_needs(session: Session, today: date | None = None) -> list[Need]:
    """截止关闭: close open needs whose deadline has passed (they leave matching, which only
    reads open needs) and tell each owner. Meant for a daily worker job; flushes only."""
    from matchmaker.notifications.services import notify

    today = today or local_today()
    expired = list(
        session.scalars(
            select(Need).where(Need.status == "open", Need.deadline.is_not(None), Need.deadline < today)
        )
    )
    for need in expired:
        need.status = "closed"
        if need.owner is not None:
            notify(
                session,
                need.owner,
                "need_closed",
                f"技术需求“{need.title[:30]}”已到截止日期，已自动关闭",
                f"截止日期 {need.deadline.isoformat()} 已过，该需求不再公开展示，也不再参与智能匹配。"
                "如仍需征集，请编辑并填写新的截止日期后重新设为征集中。",
                f"/needs/{need.id}",
            )
    session.flush()
    return expired


def close_expired_needs_job(session: Session) -> str:
    """The worker's daily run of `close_expired_needs`."""
    return f"已关闭 {len(close_expired_needs(session))} 条过期需求"


# ---------------------------------------------------------------- listing


def is_visible(user, obj) -> bool:
    """Drafts are seen only by their organisation and by brokers and admins (see policy)."""
    from matchmaker.accounts.policy import can

    return can(user, "view", obj)


DEFAULT_STATUS = {"result": "published", "need": "open", "expert": "published"}
STATUS_CHOICES = {"result": RESULT_STATUSES, "need": NEED_STATUSES, "expert": EXPERT_STATUSES}


def validate_filters(session: Session, kind: str, args: dict) -> dict:
    """Check list filters (field, region, maturity, status, q); raise DomainError naming the bad one."""
    out: dict[str, Any] = {}
    if args.get("field"):
        out["field"] = find_field(session, args["field"])
    if args.get("region"):
        out["region"] = normalize_region(args["region"])
    if args.get("maturity"):
        if kind != "result":
            raise DomainError("只有科技成果可以按成熟度筛选", "maturity")
        out["maturity"] = _choice(args["maturity"], "maturity", "成熟度", MATURITIES)
    for key, label in (("trl_min", "最低就绪度"), ("trl_max", "最高就绪度")):
        if args.get(key):
            if kind != "result":
                raise DomainError("只有科技成果可以按技术就绪度筛选", key)
            try:
                out[key] = clean_trl(args[key], key)
            except DomainError:
                raise DomainError(f"{label}须为 1–9 的整数", key) from None
    if args.get("origin"):  # 来源: "local" (this installation) or a partner's code (沿黄交换)
        if kind == "expert":
            raise DomainError("专家不区分来源省份", "origin")
        origin = str(args["origin"]).strip()
        if len(origin) > 20:
            raise DomainError("来源代码不能超过 20 字", "origin")
        out["origin"] = origin
    if args.get("status"):
        out["status"] = _choice(args["status"], "status", "状态", list(STATUS_CHOICES[kind]) + ["all"])
    if args.get("q"):
        q = str(args["q"]).strip()
        if len(q) > 100:
            raise DomainError("关键词不能超过 100 字", "q")
        out["q"] = q
    return out


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_query(kind: str, filters: dict, user=None) -> Select:
    """The posting list for these (validated) filters, newest first, hiding others' drafts."""
    model = KINDS[kind]
    stmt = select(model)
    field = filters.get("field")
    if field is not None:
        stmt = stmt.where(model.field_id == field.id)
    if filters.get("region"):
        stmt = stmt.where(model.region == filters["region"])
    if filters.get("origin") == "local":
        stmt = stmt.where(model.origin.is_(None))
    elif filters.get("origin"):
        stmt = stmt.where(model.origin == filters["origin"])
    if filters.get("maturity"):
        stmt = stmt.where(model.maturity == filters["maturity"])
    if filters.get("trl_min"):
        stmt = stmt.where(model.trl >= filters["trl_min"])
    if filters.get("trl_max"):
        stmt = stmt.where(model.trl <= filters["trl_max"])
    status = filters.get("status") or DEFAULT_STATUS[kind]
    if status != "all":
        stmt = stmt.where(model.status == status)
    if kind == "result" and status in ("draft", "all"):
        staff = bool(getattr(user, "is_authenticated", False) and user.is_staff)
        if not staff:
            org_id = user.organization_id if getattr(user, "is_authenticated", False) else -1
            stmt = stmt.where(or_(model.status != "draft", model.organization_id == org_id))
    if not (getattr(user, "is_authenticated", False) and user.is_staff):
        # Organisations not yet verified (未认证) are seen only by themselves (policy.can_view).
        own = user.organization_id if getattr(user, "is_authenticated", False) else -1
        verified = select(Organization.id).where(Organization.verified)
        stmt = stmt.where(or_(model.organization_id.in_(verified), model.organization_id == own))
    if filters.get("q"):
        pattern = _like(filters["q"])
        if kind == "expert":
            # JSON columns are stored with \u escapes, so LIKE cannot see research areas.
            text_cols = [model.name, model.title, model.bio]
        else:
            text_cols = [model.title, model.description]
        stmt = stmt.where(or_(*[c.ilike(pattern, escape="\\") for c in text_cols]))
    return stmt.order_by(model.updated_at.desc(), model.id.desc())


# ---------------------------------------------------------------- serialisation


def to_dict(obj, *, with_contact: bool) -> dict:
    """A posting in the exchange format (plus internal id and status); contact only when allowed."""
    if obj.kind == "expert":
        data = {
            "id": obj.external_id,
            "internal_id": obj.id,
            "kind": "expert",
            "name": obj.name,
            "title": obj.title,
            "organization": obj.organization.name,
            "org_type": obj.organization.type,
            "region": obj.region,
            "field": obj.field.name if obj.field else None,
            "research_areas": list(obj.research_areas or []),
            "bio": obj.bio,
            "results": [r.external_id for r in obj.results],
            "status": obj.status,
        }
        if with_contact:
            data["contact"] = {"phone": obj.contact_phone, "email": obj.contact_email}
        return data
    data = {
        "id": obj.external_id,
        "kind": obj.kind,
        "title": obj.title,
        "description": obj.description,
        "field": obj.field.name,
        "keywords": list(obj.keywords or []),
        "organization": obj.organization.name,
        "region": obj.region,
    }
    if obj.kind == "result":
        data.update(
            maturity=obj.maturity,
            trl=obj.trl,
            trl_evidence=obj.trl_evidence,
            transfer_modes=list(obj.transfer_modes or []),
            price_wan=obj.price_wan,
            patent_numbers=list(obj.patent_numbers or []),
            team=obj.team,
        )
    else:
        data.update(budget_wan=obj.budget_wan, deadline=obj.deadline.isoformat() if obj.deadline else None)
    data["status"] = obj.status
    if obj.origin:  # imported from a partner province (沿黄交换): where it comes from
        data["origin"] = obj.origin
        data["origin_url"] = obj.origin_url
    if with_contact:
        data["contact"] = {"name": obj.contact_name, "phone": obj.contact_phone, "email": obj.contact_email}
    return data
