"""防重复提交 for create views: one mechanism for every create form.

* The form class mixes in `OnceForm`: a hidden `submit_token`, fresh on every GET.
* The view is decorated with `@once("标签")`: a POST whose token already made a record is
  redirected to that record (Back + 保存, the second click of a double click); a parallel
  duplicate that loses the race on the token's primary key is redirected too.
* The view calls `claim(url)` after creating, before its commit: the token and the record
  commit together.
* Templates render the hidden field and mark the form `data-once` (app.js keeps the token
  across Back, so the browser's restored form resubmits the used one).
"""

from __future__ import annotations

from functools import wraps

from flask import flash, redirect, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from matchmaker.extensions import db
from matchmaker.submissions import services

FIELD = "submit_token"


class OnceForm:
    """Mixin for a create form (FlaskForm subclass): the one-time token."""

    submit_token = HiddenField(default=services.new_token)


def posted_token() -> str | None:
    return request.form.get(FIELD) if request.method == "POST" else None


def already_saved(label: str):
    """A redirect to the record this POST's token already made, or None."""
    done = services.saved_url(db.session, posted_token(), current_user)
    if done is None:
        return None
    flash(f"该{label}已保存过，未重复创建", "info")
    return redirect(done)


def claim(url: str) -> None:
    """Mark the posted token used by the record at `url` (same transaction as the record)."""
    services.claim(db.session, posted_token(), current_user, url)


def once(label: str):
    """Decorator for a create view (below its role/login check)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            done = already_saved(label)
            if done is not None:
                return done
            try:
                return view(*args, **kwargs)
            except IntegrityError:  # the same token committed a moment ago by a parallel request
                db.session.rollback()
                done = already_saved(label)
                if done is not None:
                    return done
                if services.saved_url(db.session, posted_token()) is None:
                    raise
                # Someone else's used token (copied form): never their record; a fresh form.
                flash("该表单已失效，请重新填写", "warning")
                return redirect(request.full_path)

        return wrapped

    return decorator
