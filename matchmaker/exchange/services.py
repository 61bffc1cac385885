"""沿黄省份成果交换 services: keys, partners, the feed we serve, the sync that pulls partners'
feeds, revocation and contact requests. Plain Python; services only flush.

Feed cursor: the index change log (`index_changes.seq`, written in the same transaction as
every posting change). A sequence number is taken before its transaction commits, so on
PostgreSQL a lower seq can become visible after a higher one. The feed therefore never moves
the cursor past a gap in the log until the gap has settled (the row after it is older than
`GAP_SETTLE_SECONDS`, i.e. the gap was a rollback); items above the gap are still served and
served again next time, which is harmless because applying an item is idempotent.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.accounts import policy
from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.errors import DomainError
from matchmaker.exchange import signing
from matchmaker.exchange.models import ExchangeContactRequest, ExchangeNonce, Partner
from matchmaker.extensions import utcnow
from matchmaker.matching.models import IndexChange
from matchmaker.postings import services as postings
from matchmaker.postings.models import Need, Result

log = logging.getLogger(__name__)

KINDS = {"result": Result, "need": Need}
FEED_PATH = "/api/v1/exchange/feed"
CONTACT_PATH = "/api/v1/exchange/contact"
PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
GAP_SETTLE_SECONDS = 60
TIMEOUT_SECONDS = 20
MAX_ITEM_ERRORS = 50
CODE_RE = re.compile(r"^[\w\u4e00-\u9fff-]{1,20}$")
# What an imported posting takes from the feed; contact details are never among them.
ITEM_KEYS = {
    "result": (
        "title",
        "description",
        "field",
        "keywords",
        "maturity",
        "trl",
        "trl_evidence",
        "transfer_modes",
        "price_wan",
        "patent_numbers",
        "team",
        "status",
    ),
    "need": ("title", "description", "field", "keywords", "budget_wan", "deadline", "status"),
}


# ---------------------------------------------------------------- partners and keys


def clean_code(code: Any) -> str:
    code = (code or "").strip() if isinstance(code, str) else ""
    if not CODE_RE.match(code) or code == "local":
        raise DomainError("伙伴代码须为 1–20 个字母、数字或汉字（如 山东、B），且不能是 local", "code")
    return code


def get_partner(session: Session, code: str) -> Partner | None:
    return session.scalar(select(Partner).where(Partner.code == code))


def _partner(session: Session, code: Any) -> Partner:
    partner = get_partner(session, clean_code(code))
    if partner is None:
        raise DomainError(f"没有代码为 {code} 的交换伙伴", "code")
    return partner


def issue_key(
    session: Session, code: Any, *, name: str | None = None, user: User | None = None
) -> tuple[Partner, str]:
    """签发密钥: a new key for partner `code` to read our feed (replaces its previous key and
    re-activates a revoked partner). Returns the partner and "<key id>.<secret>", shown once."""
    code = clean_code(code)
    partner = get_partner(session, code)
    if partner is None:
        partner = Partner(code=code, name=(name or code)[:100], cursor=0, item_errors=[])
        session.add(partner)
    elif name:
        partner.name = name[:100]
    partner.inbound_key_id, partner.inbound_secret = signing.new_key()
    partner.revoked_at = None
    session.flush()
    audit(session, "exchange_key_issued", user, f"partner:{code}", f"密钥编号 {partner.inbound_key_id}")
    return partner, f"{partner.inbound_key_id}.{partner.inbound_secret}"


def clean_base_url(url: Any) -> str:
    url = (url or "").strip().rstrip("/") if isinstance(url, str) else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise DomainError(
            "对方平台地址须为 http:// 或 https:// 开头的网址，例如 https://sd.example.cn", "base_url"
        )
    if len(url) > 300:
        raise DomainError("对方平台地址不能超过 300 字符", "base_url")
    return url


def add_partner(
    session: Session, code: Any, base_url: Any, key: Any, *, name: str | None = None, user: User | None = None
) -> Partner:
    """添加伙伴: the partner's address and the key it issued to us (to read its feed)."""
    code = clean_code(code)
    base_url = clean_base_url(base_url)
    try:
        key_id, secret = signing.split_key(key if isinstance(key, str) else "")
    except ValueError as exc:
        raise DomainError(str(exc), "key") from None
    partner = get_partner(session, code)
    if partner is None:
        partner = Partner(code=code, name=(name or code)[:100], cursor=0, item_errors=[])
        session.add(partner)
    elif name:
        partner.name = name[:100]
    if partner.base_url and partner.base_url != base_url:
        partner.cursor = 0  # another installation: start its feed from the beginning
    partner.base_url, partner.outbound_key_id, partner.outbound_secret = base_url, key_id, secret
    partner.revoked_at = None
    session.flush()
    audit(session, "exchange_partner_added", user, f"partner:{code}", f"{base_url}（密钥编号 {key_id}）")
    return partner


def revoke(session: Session, code: Any, *, user: User | None = None) -> int:
    """撤销伙伴: its key stops working both ways and its imported postings are withdrawn (归档/
    关闭, so they leave search and matching; the index follows through the change log).
    Returns how many postings were withdrawn."""
    partner = _partner(session, code)
    partner.revoked_at = utcnow()
    withdrawn = 0
    for model in KINDS.values():
        for obj in session.scalars(select(model).where(model.origin == partner.code)):
            if obj.status != postings.ARCHIVED[obj.kind]:
                postings.archive_posting(session, obj)
                withdrawn += 1
    session.flush()
    audit(
        session,
        "exchange_partner_revoked",
        user,
        f"partner:{partner.code}",
        f"撤下导入的成果与需求 {withdrawn} 条",
    )
    return withdrawn


def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.code)))


def imported_counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    counts: dict[str, int] = {}
    for model in KINDS.values():
        rows = session.execute(
            select(model.origin, func.count()).where(model.origin.is_not(None)).group_by(model.origin)
        )
        for origin, n in rows:
            counts[origin] = counts.get(origin, 0) + n
    return counts


# ---------------------------------------------------------------- authentication (serving side)


def authenticate(session: Session, headers, method: str, path: str, query: str, body: bytes) -> Partner:
    """The active partner that signed this request, or a 401 DomainError (audited by the caller).
    Records the nonce: the same signed request sent twice is refused (防重放)."""
    key_id = headers.get(signing.KEY_HEADER) or ""
    timestamp = headers.get(signing.TIMESTAMP_HEADER) or ""
    nonce = headers.get(signing.NONCE_HEADER) or ""
    sig = headers.get(signing.SIGNATURE_HEADER) or ""
    if not (key_id and timestamp and nonce and sig):
        raise DomainError(
            "请求未签名：缺少 X-Exchange-Key / Timestamp / Nonce / Signature", "signature", status=401
        )
    if len(key_id) > 32 or not (8 <= len(nonce) <= 64):
        raise DomainError("签名头格式不正确", "signature", status=401)
    partner = session.scalar(select(Partner).where(Partner.inbound_key_id == key_id))
    if partner is None or not partner.inbound_secret:
        raise DomainError("未知的交换密钥", "key", status=401)
    if partner.revoked_at is not None:
        raise DomainError(f"伙伴 {partner.code} 的密钥已撤销", "key", status=401)
    if not signing.timestamp_ok(timestamp):
        raise DomainError(
            f"时间戳超出 {signing.WINDOW_SECONDS} 秒的有效窗口，请校准服务器时间", "timestamp", status=401
        )
    expected = signing.signature(partner.inbound_secret, method, path, query, timestamp, nonce, body)
    if not signing.same(expected, sig):
        raise DomainError("签名不正确", "signature", status=401)
    cutoff = utcnow() - timedelta(seconds=2 * signing.WINDOW_SECONDS)
    session.execute(delete(ExchangeNonce).where(ExchangeNonce.seen_at < cutoff))
    try:
        with session.begin_nested():
            session.add(ExchangeNonce(partner_id=partner.id, nonce=nonce))
            session.flush()
    except IntegrityError:
        raise DomainError("重复的请求（nonce 已使用），疑似重放", "nonce", status=401) from None
    return partner


# ---------------------------------------------------------------- the feed (serving side)


def is_public(obj) -> bool:
    """Served to partners: our own postings that anyone may read here (not drafts, not unverified
    organisations', not postings we imported ourselves)."""
    return obj is not None and not obj.origin and policy.can_view(None, obj)


def feed_item(obj, kind: str, posting_id: int, seq: int, base_url: str) -> dict:
    if not is_public(obj):
        return {"seq": seq, "op": "withdraw", "kind": kind, "ref": str(posting_id)}
    data = postings.to_dict(obj, with_contact=False)
    data.pop("contact", None)
    data["updated_at"] = obj.updated_at.isoformat(timespec="seconds")
    return {
        "seq": seq,
        "op": "upsert",
        "kind": kind,
        "ref": str(obj.id),
        "url": f"{base_url}/{kind}s/{obj.id}",
        "posting": data,
    }


def build_feed(session: Session, partner: Partner, since: int, limit: int, base_url: str) -> dict:
    """One page of the feed after cursor `since`: the current public state of every result and
    need that changed (upsert), or a withdrawal when it is gone or no longer public."""
    rows = list(
        session.scalars(
            select(IndexChange).where(IndexChange.seq > since).order_by(IndexChange.seq).limit(limit)
        )
    )
    now = utcnow()
    cursor, expected, blocked = since, since + 1, False
    latest: dict[tuple[str, int], int] = {}
    for row in rows:
        if row.seq != expected and not blocked:
            settled = (
                row.created_at is not None and (now - row.created_at).total_seconds() > GAP_SETTLE_SECONDS
            )
            if not settled:
                blocked = True  # an earlier transaction may still commit into the gap
        if not blocked:
            cursor = row.seq
        expected = row.seq + 1
        if row.kind in KINDS:
            latest[(row.kind, row.posting_id)] = row.seq
    items = []
    for (kind, posting_id), seq in sorted(latest.items(), key=lambda kv: kv[1]):
        items.append(feed_item(session.get(KINDS[kind], posting_id), kind, posting_id, seq, base_url))
    audit(
        session,
        "exchange_feed",
        None,
        f"partner:{partner.code}",
        f"since={since} next={cursor} items={len(items)}",
    )
    return {"items": items, "since": since, "next": cursor, "more": len(rows) == limit and cursor > since}


# ---------------------------------------------------------------- applying a partner's items (pulling side)


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    pages: int = 0
    errors: list[dict] = field(default_factory=list)
    error: str | None = None  # the sync stopped (partner down, bad answer); cursor unchanged

    def summary(self) -> str:
        text = f"新增 {self.created} 条，更新 {self.updated} 条，撤下 {self.withdrawn} 条，未变 {self.unchanged} 条"
        if self.errors:
            text += f"，{len(self.errors)} 条有错误未导入"
        if self.error:
            text += f"；同步中断：{self.error}"
        return text


def _item_error(item: Any, message: str, field_name: str | None = None) -> dict:
    info = item if isinstance(item, dict) else {}
    return {
        "at": utcnow().isoformat(timespec="seconds"),
        "seq": info.get("seq") if isinstance(info.get("seq"), int) else None,
        "kind": str(info.get("kind"))[:10] if info.get("kind") is not None else None,
        "ref": str(info.get("ref"))[:64] if info.get("ref") is not None else None,
        "field": field_name,
        "message": message,
    }


def _imported_org(session: Session, partner: Partner, kind: str, name: Any):
    org_name = name.strip() if isinstance(name, str) and name.strip() else "未署名机构"
    full = f"{org_name[:170]}［{partner.code}］"
    return postings.get_or_create_organization(session, full, kind=kind)


def _item_data(kind: str, posting: dict) -> dict:
    data = {k: posting[k] for k in ITEM_KEYS[kind] if k in posting}
    region = posting.get("region")
    try:
        data["region"] = postings.normalize_region(region)
    except DomainError:
        data["region"] = None  # another province's city: the origin says where it is from
    status = data.get("status")
    if status not in policy.PUBLIC_STATUSES[kind]:
        raise DomainError(f"状态“{status}”不是公开状态", "status")
    return data


def apply_item(session: Session, partner: Partner, item: Any) -> str:
    """Apply one feed item: "created", "updated", "unchanged" or "withdrawn". Raises DomainError
    (naming the field) for a malformed item; the caller reports it and goes on."""
    if not isinstance(item, dict):
        raise DomainError("条目须为 JSON 对象", "item")
    op, kind, ref = item.get("op"), item.get("kind"), item.get("ref")
    if kind not in KINDS:
        raise DomainError(f"未知类型“{kind}”", "kind")
    if isinstance(ref, int) and not isinstance(ref, bool):
        ref = str(ref)
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 64:
        raise DomainError("缺少条目编号 ref", "ref")
    model = KINDS[kind]
    obj = session.scalar(select(model).where(model.origin == partner.code, model.origin_id == ref))
    if op == "withdraw":
        if obj is None or obj.status == postings.ARCHIVED[kind]:
            return "unchanged"
        postings.archive_posting(session, obj)
        return "withdrawn"
    if op != "upsert":
        raise DomainError(f"未知操作“{op}”", "op")
    posting = item.get("posting")
    if not isinstance(posting, dict):
        raise DomainError("缺少 posting 对象", "posting")
    data = _item_data(kind, posting)
    url = item.get("url") if isinstance(item.get("url"), str) else None
    if obj is None:
        org = _imported_org(session, partner, kind, posting.get("organization"))
        external_id = f"{partner.code}-{kind[0]}{ref}"[:64]
        obj = postings.create_posting(session, kind, data, organization=org, external_id=external_id)
        obj.origin, obj.origin_id, obj.imported_at = partner.code, ref, utcnow()
        obj.origin_url = (url or "")[:300] or None
        session.flush()
        return "created"
    before = _snapshot(obj)
    postings.update_posting(session, obj, data, partial=False)
    if url and obj.origin_url != url[:300]:
        obj.origin_url = url[:300]
    session.flush()
    return "updated" if _snapshot(obj) != before else "unchanged"


def _snapshot(obj) -> dict:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key != "updated_at"}


def apply_page(session: Session, partner: Partner, items: list, report: SyncReport) -> None:
    """Each item in its own savepoint: a bad one is reported, the rest of the batch lands."""
    for item in items:
        try:
            with session.begin_nested():
                outcome = apply_item(session, partner, item)
        except DomainError as exc:
            report.errors.append(_item_error(item, exc.message, exc.field))
            continue
        except IntegrityError:
            report.errors.append(_item_error(item, "与已有记录冲突（编号重复）", "ref"))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)


# ---------------------------------------------------------------- HTTP (pulling side)


def _signed_request(partner: Partner, method: str, path: str, params: dict | None = None, body: bytes = b""):
    import requests

    query = urlencode(params or {})
    headers = signing.sign_headers(
        partner.outbound_key_id, partner.outbound_secret, method, path, query, body
    )
    if body:
        headers["Content-Type"] = "application/json"
    url = f"{partner.base_url}{path}" + (f"?{query}" if query else "")
    return requests.request(method, url, headers=headers, data=body or None, timeout=TIMEOUT_SECONDS)


def _path_prefix(partner: Partner) -> str:
    return urlsplit(partner.base_url or "").path.rstrip("/")


def fetch_page(partner: Partner, since: int, limit: int = PAGE_SIZE) -> dict:
    """One page of the partner's feed, or DomainError with a clear reason."""
    import requests

    try:
        resp = _signed_request(
            partner, "GET", _path_prefix(partner) + FEED_PATH, {"since": since, "limit": limit}
        )
    except requests.RequestException as exc:
        raise DomainError(
            f"无法连接伙伴 {partner.code}（{partner.base_url}）：{type(exc).__name__}", "base_url"
        ) from None
    if resp.status_code == 401:
        raise DomainError(f"伙伴 {partner.code} 拒绝了签名（401）：请核对密钥或服务器时间", "key")
    if resp.status_code != 200:
        raise DomainError(f"伙伴 {partner.code} 的数据源返回 HTTP {resp.status_code}", "base_url")
    try:
        page = resp.json()
    except ValueError:
        raise DomainError(f"伙伴 {partner.code} 的数据源返回的不是 JSON", "feed") from None
    if (
        not isinstance(page, dict)
        or not isinstance(page.get("items"), list)
        or not isinstance(page.get("next"), int)
    ):
        raise DomainError(f"伙伴 {partner.code} 的数据源格式不正确（缺少 items 或 next）", "feed")
    if page["next"] < since:
        raise DomainError(f"伙伴 {partner.code} 的游标倒退（{page['next']} < {since}）", "feed")
    return page


def sync_partner(
    session: Session, partner: Partner, *, user: User | None = None, max_pages: int = 10000
) -> SyncReport:
    """同步: pull the partner's feed from its cursor until it has no more. A page's items and the
    cursor after it land together; a failure keeps what landed and leaves the cursor there."""
    report = SyncReport()
    if partner.revoked_at is not None:
        raise DomainError(f"伙伴 {partner.code} 已撤销", "code")
    if not (partner.base_url and partner.outbound_key_id and partner.outbound_secret):
        raise DomainError(f"伙伴 {partner.code} 未配置地址与密钥（exchange add-partner）", "code")
    partner.last_sync_at = utcnow()
    try:
        for _ in range(max_pages):
            page = fetch_page(partner, partner.cursor)
            report.pages += 1
            apply_page(session, partner, page["items"], report)
            partner.cursor = page["next"]
            session.flush()
            if not page.get("more"):
                break
    except DomainError as exc:
        report.error = exc.message
        log.warning("交换同步中断：%s", exc.message)
    for err in report.errors:
        log.warning("伙伴 %s 的条目 %s/%s 未导入：%s", partner.code, err["kind"], err["ref"], err["message"])
    if report.errors:
        partner.item_errors = (list(partner.item_errors or []) + report.errors)[-MAX_ITEM_ERRORS:]
    partner.last_error = report.error
    partner.last_summary = report.summary()
    if report.error is None:
        partner.last_success_at = utcnow()
    session.flush()
    audit(
        session,
        "exchange_sync",
        user,
        f"partner:{partner.code}",
        f"{report.summary()}；游标 {partner.cursor}",
    )
    return report


def sync_all(session: Session, *, user: User | None = None) -> dict[str, SyncReport]:
    out = {}
    for partner in list_partners(session):
        if partner.revoked_at is None and partner.base_url and partner.outbound_key_id:
            out[partner.code] = sync_partner(session, partner, user=user)
    return out


def sync_job(session: Session) -> str:
    """The worker's job every 15 minutes: pull every active partner's feed (as `exchange sync`).
    Failures are recorded on each partner; what landed stays."""
    return f"已同步 {len(sync_all(session))} 个伙伴"


# ---------------------------------------------------------------- contact requests (对接)


def forward_contact(session: Session, user: User, obj, message: Any, *, consent: bool) -> int:
    """联系对接 for an imported posting: sent, signed, to its origin installation, where it lands
    in the brokers' inbox. The user's name, organisation, phone and email go only with consent."""
    if not getattr(obj, "origin", None):
        raise DomainError("只有来自其他省份的成果或需求才需要转发对接请求", "posting")
    message = message.strip() if isinstance(message, str) else ""
    if not 5 <= len(message) <= 1000:
        raise DomainError("请填写对接说明（5–1000 字）", "message")
    partner = get_partner(session, obj.origin)
    if partner is None or partner.revoked_at is not None or not partner.base_url:
        raise DomainError(f"来源平台 {obj.origin} 已不在交换伙伴中，无法转发", "posting")
    payload: dict[str, Any] = {
        "kind": obj.kind,
        "ref": obj.origin_id,
        "message": message,
        "consent": bool(consent),
    }
    if consent:
        payload["requester"] = {
            "name": user.name,
            "organization": user.organization.name if user.organization else None,
            "phone": getattr(user, "phone", None),
            "email": user.email,
        }
    body = json.dumps(payload, ensure_ascii=False).encode()
    import requests

    try:
        resp = _signed_request(partner, "POST", _path_prefix(partner) + CONTACT_PATH, body=body)
    except requests.RequestException:
        raise DomainError(f"来源平台 {partner.code} 暂时无法连接，请稍后再试", "posting") from None
    if resp.status_code != 201:
        raise DomainError(f"来源平台 {partner.code} 未接受对接请求（HTTP {resp.status_code}）", "posting")
    audit(
        session,
        "exchange_contact_forwarded",
        user,
        f"{obj.kind}:{obj.id}",
        f"转发至 {partner.code}（{'含' if consent else '不含'}联系方式）",
    )
    return int((resp.json() or {}).get("id") or 0)


def receive_contact(session: Session, partner: Partner, data: Any) -> ExchangeContactRequest:
    """A partner forwards a contact request for one of our public postings: record it and tell
    the admins and the brokers (经纪人) whose scope it is in."""
    from matchmaker.notifications.services import notify

    if not isinstance(data, dict):
        raise DomainError("请求体须为 JSON 对象", "body")
    kind, ref = data.get("kind"), str(data.get("ref") or "")
    if kind not in KINDS:
        raise DomainError("类型须为 result 或 need", "kind")
    obj = session.get(KINDS[kind], int(ref)) if ref.isdigit() and len(ref) < 10 else None
    if not is_public(obj):
        raise DomainError(f"编号 {ref} 的{postings.KIND_LABELS[kind]}不存在或未公开", "ref")
    message = data.get("message")
    if not isinstance(message, str) or not 5 <= len(message.strip()) <= 1000:
        raise DomainError("对接说明须为 5–1000 字", "message")
    requester = data.get("requester") if data.get("consent") else None
    requester = requester if isinstance(requester, dict) else {}

    def _s(key: str, n: int) -> str | None:
        value = requester.get(key)
        return value.strip()[:n] or None if isinstance(value, str) else None

    req = ExchangeContactRequest(
        partner_id=partner.id,
        kind=kind,
        posting_id=obj.id,
        message=message.strip(),
        requester_name=_s("name", 100),
        requester_organization=_s("organization", 200),
        requester_phone=_s("phone", 40),
        requester_email=_s("email", 200),
    )
    session.add(req)
    session.flush()
    staff = session.scalars(select(User).where(User.role.in_(("admin", "broker")), User.active.is_(True)))
    for person in staff:
        if policy.in_scope(person, obj):
            notify(
                session,
                person,
                "exchange_contact",
                f"{partner.name}转来对接请求：{obj.title[:30]}",
                message.strip()
                + (
                    "\n\n对方已同意提供联系方式，见交换伙伴页。"
                    if req.requester_email
                    else "\n\n对方未提供联系方式，请经对方平台回复。"
                ),
                "/exchange/",
            )
    audit(session, "exchange_contact_received", None, f"{kind}:{obj.id}", f"来自伙伴 {partner.code}")
    return req
