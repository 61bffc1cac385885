"""One-time tokens for create forms, so Back + 保存 or a double click makes one record.

The form carries a fresh token; the create writes the token (primary key) in the same
transaction as the record. A second submission of the token finds the first record's
page; two at the same moment collide on the key and the loser shows the winner's record.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from matchmaker.submissions.models import SubmitToken

TOKEN_LEN = 32


def new_token() -> str:
    return secrets.token_hex(TOKEN_LEN // 2)


def valid(token: str | None) -> bool:
    return bool(token) and len(token) == TOKEN_LEN and all(c in "0123456789abcdef" for c in token)


def saved_url(session: Session, token: str | None, user=None) -> str | None:
    """The page of the record this token already created, if any (for `user`, when given:
    a token never sends someone to another account's record)."""
    if not valid(token):
        return None
    used = session.get(SubmitToken, token)
    if used is None or (user is not None and used.user_id != getattr(user, "id", None)):
        return None
    return used.url


def claim(session: Session, token: str | None, user, url: str) -> None:
    """Mark the token used by the record at `url`; a concurrent duplicate fails on flush
    (IntegrityError) and rolls back its own record."""
    if not valid(token):
        return
    session.add(SubmitToken(token=token, user_id=getattr(user, "id", None), url=url))
    session.flush()
