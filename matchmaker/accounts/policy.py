"""Authorisation policy (权限策略): who may see and do what, decided in one place.

`can(user, action, obj)` answers every question; lists, details, matches, search and
exports ask it rather than comparing organisation ids themselves. Plain Python: no request
context, so services, views, the API and the CLI share it.
"""

from __future__ import annotations

# Statuses anyone may read; other statuses (草稿) only the organisation and staff.
PUBLIC_STATUSES = {
    "result": ("published", "archived"),
    "need": ("open", "matched", "closed"),
    "expert": ("published", "archived"),
}
# Statuses a posting may be matched or found by search in (检索、匹配).
LISTED_STATUSES = {"result": ("published",), "need": ("open",), "expert": ("published",)}
CREATOR_ROLES = {"result": ("researcher",), "need": ("enterprise",), "expert": ("researcher",)}


def signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_admin(user) -> bool:
    return signed_in(user) and user.role == "admin"


def is_staff(user) -> bool:
    """技术经纪人 and 管理员."""
    return signed_in(user) and user.role in ("broker", "admin")


def is_member(user, organization_id: int | None) -> bool:
    """The user belongs to that organisation. A pending claim (认领审核中) is not membership:
    the claimant stays in its own placeholder organisation until an admin approves."""
    return signed_in(user) and organization_id is not None and user.organization_id == organization_id


def org_verified(obj) -> bool:
    org = getattr(obj, "organization", None)
    return org is None or bool(getattr(org, "verified", True))


def in_scope(user, posting) -> bool:
    """A broker's scope: its regions and fields (empty = all). Admins have no limit."""
    if is_admin(user):
        return True
    if not is_staff(user) or posting is None:
        return False
    regions = list(user.broker_regions or [])
    if regions and posting.region not in regions:
        return False
    fields = [str(f) for f in (user.broker_fields or [])]
    if fields:
        field = getattr(posting, "field", None)
        names = {str(posting.field_id)} | ({field.name} if field is not None else set())
        if not names & set(fields):
            return False
    return True


def match_in_scope(user, match) -> bool:
    """A match is in a broker's scope when its need is (the queue is organised by needs)."""
    if is_admin(user):
        return True
    return in_scope(user, match.need if match.need is not None else match.result)


def can_view(user, obj) -> bool:
    """Read a posting: public statuses of verified organisations for everyone; drafts and
    unverified organisations' postings only for that organisation and staff."""
    if is_staff(user) or is_member(user, obj.organization_id):
        return True
    return obj.status in PUBLIC_STATUSES[obj.kind] and org_verified(obj)


def can_list(user, obj) -> bool:
    """Appear in search results and match lists (and have its text quoted in shared terms)."""
    return can_view(user, obj) and obj.status in LISTED_STATUSES[obj.kind]


def can_edit(user, obj) -> bool:
    """Edit a posting: its own organisation (with the right role) or staff. A posting imported
    from a partner province (沿黄交换, `origin` set) is read-only for everyone here."""
    if getattr(obj, "origin", None):
        return False
    if is_staff(user):
        return is_admin(user) or in_scope(user, obj)
    return is_member(user, obj.organization_id) and user.role in CREATOR_ROLES[obj.kind]


def can_see_contact(user, obj) -> bool:
    """Contact details of a posting: its own organisation, admins, brokers in scope."""
    if is_member(user, obj.organization_id):
        return True
    return is_staff(user) and in_scope(user, obj)


def can_review(user, match) -> bool:
    """Decide, add or move a match (经纪人审核、推进): admins, and brokers inside their scope."""
    return is_staff(user) and match_in_scope(user, match)


ACTIONS = {
    "view": can_view,
    "list": can_list,
    "edit": can_edit,
    "contact": can_see_contact,
    "review": can_review,
}


def can(user, action: str, obj) -> bool:
    """One question for every check: may `user` do `action` to `obj`?"""
    try:
        rule = ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    return bool(rule(user, obj))


def visible(user, items, action: str = "list") -> list:
    """Filter ranked items (RankedItem with .item) or postings to those the user may see."""
    out = []
    for it in items:
        obj = getattr(it, "item", it)
        if can(user, action, obj):
            out.append(it)
    return out


# Routes anyone may open without signing in (公开页面与接口). Every other route refuses anonymous
# visitors; tests/security/test_permission_matrix.py walks app.url_map and fails on a route that
# answers anonymous visitors without being declared here.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        # Public reads added by the chain, trading and live-index areas (published postings,
        # listings, the operators' health check); gated contact stays gated inside them.
        "api.auctions_detail",
        "api.auctions_list",
        "api.get_provider",
        "api.get_scenario",
        "api.investors_list",
        "api.list_providers",
        "api.list_scenarios",
        "api.result_next_steps",
        "api.result_rights",
        "api.scenario_enterprises",
        "api.scenario_matches",
        "jobs.healthz",
        # One-click unsubscribe from an alert email: the signed token is the permission.
        "following.unsubscribe_token",
        # 附件: listed and downloaded under the posting's own visibility (policy "view").
        "attachments.download",
        "api.list_attachments",
        "api.download_attachment",
        "providers.detail",
        "providers.export_providers",
        "providers.index",
        "scenarios.detail",
        "scenarios.export_scenarios",
        "scenarios.index",
        "trading.auction",
        "trading.auctions",
        "main.index",
        "main.favicon",
        "accounts.login",
        "accounts.register_view",
        "postings.results",
        "postings.needs",
        "postings.experts",
        "postings.result_detail",
        "postings.need_detail",
        "postings.expert_detail",
        "matching.search",
        "challenges.index",
        "challenges.challenge_detail",
        "challenges.project_detail",
        "challenges.topic_detail",
        "challenges.topic_trace",
        "challenges.topic_trace_xlsx",
        "roadshow.index",
        "roadshow.edition",
        "roadshow.timetable",
        "roadshow.talk_ics",
        "api.openapi",
        "api.docs",
        "api.list_fields",
        "api.list_postings",
        "api.get_posting",
        "api.search",
        "api.need_matches",
        "api.result_matches",
        "api.need_experts",
        "api.api_topics",
        "api.api_topic",
        "api.api_topic_trace",
        "api.api_challenges",
        "api.api_challenge",
        "api.api_projects",
        "api.api_project",
        "api.roadshows",
        "api.roadshow_detail",
        "api.roadshow_sessions",
        "api.roadshow_schedule",
    }
)
# Broker/admin workspaces (经纪人工作台、管理): parties reach only their own match pages there.
# 成果登记汇交: review, overdue list and 汇交 export are the provincial admin's; dashboards are staff's.
STAFF_PREFIXES = (
    "admin.",
    "review.",
    "filings.admin_",
    "api.registrations_admin",
    "dashboards.",
    "api.dashboards_",
)
PARTY_ENDPOINTS = frozenset({"review.detail", "review.respond", "review.mine"})
