"""matching blueprint: free-text search (智能检索) and the match panel helpers."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request
from flask_login import current_user

from matchmaker.accounts import policy
from matchmaker.accounts.permissions import roles_required
from matchmaker.extensions import db
from matchmaker.matching import ranker, services
from matchmaker.store import StoreUnavailable, degraded_notice

bp = Blueprint("matching", __name__, url_prefix="/matching")


@bp.route("/")
def search():
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or "result"
    error = None
    if kind not in services.KIND_LABEL:
        error, kind = "检索类型应为科技成果、技术需求或专家人才", "result"
    elif len(q) > 500:
        error = "检索内容过长，请控制在 500 字以内"
    items, degraded = [], None
    if q and not error:
        own = current_user.organization_id if current_user.is_authenticated else None
        try:
            items = policy.visible(
                current_user, ranker.search(db.session, q, kind, services.SEARCH_TOP, exclude_org=own)
            )
        except StoreUnavailable as exc:
            current_app.logger.error("search degraded: %s", exc)
            degraded = degraded_notice(current_app.config.get("VECTOR_STORE"))
    return render_template(
        "matching/search.html",
        q=q,
        kind=kind,
        items=items,
        error=error,
        degraded=degraded,
        kinds=services.KIND_LABEL,
    ), 400 if error else 200


@bp.app_template_global()
def posting_matches(posting, top: int = 5):
    """For `templates/matching/_panel.html`: the ranked matches of a posting. A failing
    matching engine must not take the posting page down with it."""
    try:
        found = services.matches_for(db.session, posting, top)
        return {kind: policy.visible(current_user, items) for kind, items in found.items()}
    except StoreUnavailable as exc:
        current_app.logger.error("matching panel degraded: %s", exc)
        g.search_degraded = degraded_notice(current_app.config.get("VECTOR_STORE"))
        return None
    except Exception:
        current_app.logger.exception("matching panel failed for %r", posting)
        return None


@bp.route("/calibration")
@roles_required("admin")
def calibration():
    """相关度校准 (admin): the reliability diagram of the shipped calibration, measured on
    held-out cross-validation folds of the dev set."""
    from matchmaker.matching.calibration import load
    from matchmaker.matching.engine import get_engine

    fitted = load(get_engine().model)
    diag = fitted.meta.get("reliability") or {}
    chart = {
        "labels": [f"{round(b['lo'] * 100)}–{round(b['hi'] * 100)}%" for b in diag.get("bins", [])],
        "confidence": [b["confidence"] for b in diag.get("bins", [])],
        "accuracy": [b["accuracy"] for b in diag.get("bins", [])],
        "counts": [b["n"] for b in diag.get("bins", [])],
    }
    return render_template("matching/calibration.html", fitted=fitted, diag=diag, chart=chart)


@bp.app_context_processor
def relevance_gap():
    return {"relevance_gap": ranker.RELEVANCE_GAP}


@bp.app_template_filter("highlight")
def highlight_filter(text, terms):
    return services.highlight(text, terms or [])


@bp.app_template_global()
def posting_url(item):
    """Link of a ranked item's posting page (the postings blueprint owns the routes)."""
    from flask import url_for

    endpoint = {"result": "postings.result_detail", "need": "postings.need_detail"}.get(item.kind)
    if endpoint:
        key = "result_id" if item.kind == "result" else "need_id"
        return url_for(endpoint, **{key: item.id})
    try:
        return url_for("postings.expert_detail", expert_id=item.id)
    except Exception:  # no expert page yet
        return url_for("postings.experts")
