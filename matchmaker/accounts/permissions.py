"""Who may do what (权限): thin names over `policy.can`; a False answer becomes a 403."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from matchmaker.accounts import policy


def can_edit_result(user, result) -> bool:
    return policy.can(user, "edit", result)


def can_edit_need(user, need) -> bool:
    return policy.can(user, "edit", need)


def can_edit_expert(user, expert) -> bool:
    return policy.can(user, "edit", expert)


def can_see_contact(user, posting) -> bool:
    """Contact details: the owner's organisation, admins and brokers in scope."""
    return policy.can(user, "contact", posting)


def roles_required(*roles: str):
    """Decorator: 401 for anonymous users (redirect to login), 403 for the wrong role."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from matchmaker.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
