"""Error pages in Chinese; JSON bodies under /api/."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: "请求参数有误",
    401: "请先登录",
    403: "无权执行此操作",
    404: "页面或资源不存在",
    405: "不支持该请求方法",
    409: "操作与当前状态冲突",
    413: "上传内容过大",
    503: "服务暂时不可用，请稍后再试",
    500: "服务器内部错误，请稍后再试",
}


class DomainError(ValueError):
    """A problem the user can fix (业务错误), raised by services: a plain-Chinese message, the
    input field at fault and an HTTP status. The one error type of the platform; `init_app`
    maps it to a JSON body under /api/ and to an error page elsewhere, and forms show it
    beside the field it names."""

    def __init__(self, message: str, field: str | None = None, status: int = 400, **extra):
        super().__init__(message)
        self.message, self.field, self.status, self.extra = message, field, status, extra

    def __str__(self) -> str:
        return self.message


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, field: str | None = None, **extra):
    message = message or MESSAGES.get(status, "请求失败")
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if field:
            body["error"]["field"] = field
        body["error"].update(extra)
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def audit_refusal(detail: str | None = None) -> None:
    """Record a refusal (403) in the audit log: the one place for pages and the API alike.
    Whatever the request had half-written is rolled back first."""
    from matchmaker.accounts.services import audit
    from matchmaker.extensions import db

    db.session.rollback()
    user = current_user if current_user.is_authenticated else None
    audit(
        db.session,
        "permission_denied",
        user,
        target=f"{request.method} {request.path}"[:200],
        detail=detail,
        ip=request.remote_addr,
    )
    db.session.commit()


def init_app(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(exc):
        audit_refusal(exc.description if _custom(exc) else None)
        return error_response(403, getattr(exc, "description", None) if _custom(exc) else None)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        from matchmaker.extensions import db

        if exc.status == 403:
            audit_refusal(exc.message)  # rolls back first
        else:
            db.session.rollback()
        return error_response(exc.status, exc.message, exc.field, **exc.extra)

    from matchmaker.store.base import StoreUnavailable

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable):
        """The vector store (Milvus) is down: search is degraded, never a 500. Pages that
        search show their own notice; anything else that ranks lands here."""
        from flask import current_app

        from matchmaker.extensions import db
        from matchmaker.store import backend, degraded_notice

        db.session.rollback()
        url = current_app.config.get("VECTOR_STORE")
        current_app.logger.error("vector store unavailable: %s", exc)
        return error_response(503, degraded_notice(url), "store", store=backend(url))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "表单已过期或来源无效，请刷新页面后重试")

    for status in (400, 401, 404, 405, 409, 413):
        app.register_error_handler(
            status, lambda exc, s=status: error_response(s, exc.description if _custom(exc) else None)
        )

    @app.errorhandler(500)
    def server_error(exc):
        from matchmaker.extensions import db

        db.session.rollback()
        return error_response(500)


def _custom(exc) -> bool:
    """True when a view passed its own (Chinese) description to abort()."""
    desc = getattr(exc, "description", None)
    return bool(desc) and desc != type(exc).description
