"""Local time (北京时间): the database stores naive UTC; people read Asia/Shanghai.

Every page, export and notification formats times through `local_str`, so no place
shows UTC labelled as 北京时间.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def to_local(value: datetime) -> datetime:
    """A stored time (naive means UTC) in Asia/Shanghai."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def local_str(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored UTC time as Beijing time; plain dates are calendar dates and stay as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime(fmt)
    return value.strftime(fmt if "%H" not in fmt else "%Y-%m-%d")


def local_today() -> date:
    """Today's date in Henan (a deadline of today is still open there)."""
    return datetime.now(LOCAL_TZ).date()
