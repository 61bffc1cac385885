"""Demo roadshow for `flask seed` (演示数据): one upcoming edition with sessions and candidates.

Called after the postings are loaded. The broker plans, adjusts and releases it in the UI.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from matchmaker.postings.models import Field, Need, Result
from matchmaker.roadshow import services
from matchmaker.roadshow.models import Roadshow, Session

TITLE = "第十二期龙子湖科创路演"
CHAIN_SESSIONS = 3
HALF_DAYS = [(time(9, 0), time(12, 0)), (time(14, 0), time(17, 30))]


def seed(session: DbSession, seed_dir: Path | str | None = None) -> Roadshow | None:
    """Create the demo edition once (idempotent); returns it, or None if it already exists."""
    if session.scalar(select(Roadshow.id).where(Roadshow.title == TITLE)):
        return None
    demand = session.execute(
        select(Field, func.count(Need.id))
        .join(Need, Need.field_id == Field.id)
        .where(Need.status == "open")
        .group_by(Field.id)
        .order_by(func.count(Need.id).desc(), Field.id)
        .limit(CHAIN_SESSIONS)
    ).all()
    if not demand:
        return None
    roadshow = Roadshow(
        title=TITLE,
        description="产业链群专场在郑州龙子湖智慧岛举办，走进地方专场走进洛阳。"
        "企业可在“我的议程”查看与本单位需求相关的项目并报名。",
        min_interest=0.1,
    )
    session.add(roadshow)
    first = date.today() + timedelta(days=14)
    sessions = []
    for i, (field, _) in enumerate(demand):
        start, end = HALF_DAYS[i % 2]
        sessions.append(
            Session(
                roadshow=roadshow,
                kind="chain",
                title=f"{field.name}产业链群专场",
                field=field,
                city="郑州",
                venue="龙子湖智慧岛",
                date=first + timedelta(days=i // 2),
                start_time=start,
                end_time=end,
                slot_minutes=10,
                rooms=[{"id": "A厅", "capacity": 80}, {"id": "B厅", "capacity": 40}],
            )
        )
    sessions.append(
        Session(
            roadshow=roadshow,
            kind="local",
            title="走进洛阳专场",
            field=None,
            city="洛阳",
            venue="洛阳国家大学科技园",
            date=first + timedelta(days=2),
            start_time=time(9, 0),
            end_time=time(11, 30),
            slot_minutes=10,
            rooms=[{"id": "主会场", "capacity": 120}],
        )
    )
    session.add_all(sessions)
    session.flush()
    for s in sessions[:-1]:
        for result in session.scalars(
            select(Result)
            .where(Result.field_id == s.field_id, Result.status == "published")
            .order_by(Result.id)
        ):
            services.nominate(session, roadshow, result, None, minutes=15 if result.id % 3 else 20)
    for row in services.suggest(session, roadshow, sessions[-1], limit=6):
        services.nominate(
            session, roadshow, row["result"], None, minutes=15, cities=["洛阳", "郑州"], source="suggested"
        )
    session.flush()
    return roadshow
