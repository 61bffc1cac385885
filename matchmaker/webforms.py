"""Shared step for form views: run a service on a valid POST, or show its error beside the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from matchmaker.errors import DomainError
from matchmaker.extensions import db

T = TypeVar("T")


def save_form(form, action: Callable[[], T]) -> T | None:
    """On a valid submission run `action` and commit, returning its result. When it raises a
    DomainError, roll back so nothing is saved, put the
    message beside that field (or above the form) and return None."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        (target.errors if target is not None else form.form_errors).append(exc.message)
        return None
    db.session.commit()
    return result
