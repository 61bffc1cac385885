"""Email outbox drain and weekly digest (邮件发送与每周摘要).

Off by default: nothing is sent unless MATCHMAKER_SMTP_HOST is configured.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.extensions import utcnow
from matchmaker.notifications.models import EmailOutbox

MAX_ATTEMPTS = 5


def bundle_digests(session: Session, now: datetime | None = None) -> int:
    """Bundle each weekly-digest user's pending messages into one email. Returns emails made."""
    now = now or utcnow()
    by_user = defaultdict(list)
    for row in session.scalars(
        select(EmailOutbox)
        .where(EmailOutbox.digest.is_(True), EmailOutbox.sent_at.is_(None))
        .order_by(EmailOutbox.created_at)
    ):
        by_user[(row.user_id, row.to_address)].append(row)
    for (user_id, address), rows in by_user.items():
        body = "\n\n".join(f"· {r.subject.removeprefix('[技术转移撮合平台] ')}\n{r.body}" for r in rows)
        session.add(
            EmailOutbox(
                to_address=address,
                user_id=user_id,
                digest=False,
                subject=f"[技术转移撮合平台] 每周摘要（{len(rows)} 条消息）",
                body=body,
            )
        )
        for r in rows:
            r.sent_at = now
            r.last_error = "已并入每周摘要"
    session.flush()
    return len(by_user)


def send_pending(
    session: Session, config, now: datetime | None = None, smtp_factory=smtplib.SMTP
) -> tuple[int, int]:
    """Send instant messages due now through SMTP. Returns (sent, failed); (0, 0) when SMTP is off."""
    if not config.get("SMTP_HOST"):
        return 0, 0
    now = now or utcnow()
    rows = session.scalars(
        select(EmailOutbox)
        .where(
            EmailOutbox.sent_at.is_(None),
            EmailOutbox.digest.is_(False),
            EmailOutbox.send_after <= now,
            EmailOutbox.attempts < MAX_ATTEMPTS,
        )
        .order_by(EmailOutbox.id)
    ).all()
    sent = failed = 0
    if not rows:
        return 0, 0
    with smtp_factory(config["SMTP_HOST"], config.get("SMTP_PORT", 25), timeout=30) as smtp:
        if config.get("SMTP_USER"):
            smtp.starttls()
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
        for row in rows:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = config.get("MAIL_FROM"), row.to_address, row.subject
            msg.set_content(row.body)
            row.attempts += 1
            try:
                smtp.send_message(msg)
            except smtplib.SMTPException as exc:
                row.last_error = str(exc)[:500]
                failed += 1
            else:
                row.sent_at, row.last_error = utcnow(), None
                sent += 1
            session.flush()
    return sent, failed
