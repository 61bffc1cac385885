"""API errors: JSON bodies in plain Chinese that name the field at fault."""

from __future__ import annotations

from flask import jsonify, request

from matchmaker.api import bp


class ApiError(Exception):
    """Raise from an API view: becomes {"error": {"status", "message", "field"}}."""

    def __init__(self, message: str, field: str | None = None, status: int = 400, **extra):
        super().__init__(message)
        self.message, self.field, self.status, self.extra = message, field, status, extra


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
    if exc.status == 403:
        from matchmaker.errors import audit_refusal

        audit_refusal(exc.message)
    body = {"status": exc.status, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    body.update(exc.extra)
    return jsonify({"error": body}), exc.status


def int_arg(args, name: str, default: int, lo: int = 1, hi: int = 1000) -> int:
    """Read a bounded integer query argument or raise ApiError naming it."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"参数 {name} 须为整数", name) from None
    if not lo <= value <= hi:
        raise ApiError(f"参数 {name} 须在 {lo} 到 {hi} 之间", name)
    return value


def json_body() -> dict:
    """The request's JSON object, or an ApiError naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError("请求体须为 JSON 对象", "body")
    return data


def write(fn, *domain_errors: type[Exception]):
    """Run a service call for a write: a domain error (with .message and .field) becomes a
    400 naming its field and rolls back; success commits (the request owns the commit)."""
    from matchmaker.extensions import db

    try:
        out = fn()
    except domain_errors as exc:
        db.session.rollback()
        raise ApiError(exc.message, getattr(exc, "field", None) or "body") from None
    db.session.commit()
    return out
