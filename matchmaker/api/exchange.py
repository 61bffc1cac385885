"""沿黄交换 API: the signed feed partners pull and the contact requests they forward.

Both answer 401 to a request not signed by an active partner (unsigned, wrong signature,
stale timestamp, replayed nonce, revoked key); each refusal and each answer is audited.
"""

from __future__ import annotations

from flask import jsonify, request

from matchmaker.accounts.services import audit
from matchmaker.api import bp
from matchmaker.api.errors import int_arg
from matchmaker.errors import DomainError
from matchmaker.exchange import services
from matchmaker.extensions import db


def _signed_partner():
    try:
        return services.authenticate(
            db.session,
            request.headers,
            request.method,
            request.script_root + request.path,
            request.query_string.decode("utf-8", "replace"),
            request.get_data(cache=True),
        )
    except DomainError as exc:
        db.session.rollback()
        audit(
            db.session,
            "exchange_refused",
            None,
            f"{request.method} {request.path}"[:200],
            exc.message,
            request.remote_addr,
        )
        db.session.commit()
        raise


@bp.get("/exchange/feed")
def exchange_feed():
    partner = _signed_partner()
    since = int_arg(request.args, "since", 0, lo=0, hi=2**62)
    limit = int_arg(request.args, "limit", services.PAGE_SIZE, hi=services.MAX_PAGE_SIZE)
    page = services.build_feed(db.session, partner, since, limit, request.url_root.rstrip("/"))
    db.session.commit()  # the nonce and the audit entry
    return jsonify(page)


@bp.post("/exchange/contact")
def exchange_contact():
    partner = _signed_partner()
    try:
        req = services.receive_contact(db.session, partner, request.get_json(silent=True))
    except services.DomainError as exc:
        db.session.commit()  # keep the nonce: the same request stays refused
        raise DomainError(exc.message, exc.field) from None
    db.session.commit()
    return jsonify({"id": req.id, "status": req.status}), 201
