"""Who may do what (权限). Views call these; a False answer becomes a 403."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user


def can_edit_result(user, result) -> bool:
    """A researcher edits only its organisation's results; brokers and admins edit all."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or (user.role == "researcher" and result.organization_id == user.organization_id)


def can_edit_need(user, need) -> bool:
    """An enterprise edits only its own organisation's needs."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or (user.role == "enterprise" and need.organization_id == user.organization_id)


def can_edit_expert(user, expert) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or (user.role == "researcher" and expert.organization_id == user.organization_id)


def can_see_contact(user, posting) -> bool:
    """Contact details: the owner's organisation, brokers and admins (gated release comes with matches)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or posting.organization_id == user.organization_id


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
