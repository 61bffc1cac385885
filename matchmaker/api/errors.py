"""API errors: JSON bodies in plain Chinese that name the field at fault."""
from __future__ import annotations

from flask import jsonify

from matchmaker.api import bp


class ApiError(Exception):
    """Raise from an API view: becomes {"error": {"status", "message", "field"}}."""

    def __init__(self, message: str, field: str | None = None, status: int = 400, **extra):
        super().__init__(message)
        self.message, self.field, self.status, self.extra = message, field, status, extra


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
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
