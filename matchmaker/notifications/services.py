"""Notification service: the one function every feature calls to tell a user something."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matchmaker.accounts.models import User
from matchmaker.notifications.models import EmailOutbox, Notification


def notify(
    session: Session,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    email_footer: str = "",
) -> Notification:
    """Write an inbox entry and queue an email (instant or for the weekly digest). Flushes only.
    `email_footer` goes into the email only (e.g. a one-click unsubscribe link)."""
    note = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
    session.add(note)
    session.add(
        EmailOutbox(
            to_address=user.email,
            subject=f"[技术转移撮合平台] {title}",
            body=body + (f"\n\n查看: {link}" if link else "") + email_footer,
            digest=(user.digest == "weekly"),
            user_id=user.id,
        )
    )
    session.flush()
    return note


def unread_count(session: Session, user: User) -> int:
    from sqlalchemy import func, select

    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )
