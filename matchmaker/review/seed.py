"""Seed the broker workspace (演示数据): proposals for seeded needs and hand-judged decisions.

Called by `flask seed` after postings are loaded. `seed_data/decisions.jsonl` holds one
decision per line: {"need": "SN001", "result": "SR001", "decision": "accept"|"reject",
"reason": "技术不对口" (label or code, rejects only), "note": "..."}. Pairs whose ids do not
exist are skipped; pairs already decided are left alone (idempotent).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import User
from matchmaker.errors import DomainError
from matchmaker.matching import ranker
from matchmaker.postings.models import Need, Result
from matchmaker.review import hooks, services
from matchmaker.review.models import REASONS, Match

log = logging.getLogger(__name__)
REASON_CODES = {label: code for code, label in REASONS.items()}


def _match_for(session: Session, need: Need, result: Result) -> Match:
    """The existing match, else one scored by the ranker (or manual when the ranker skips it)."""
    match = session.scalar(select(Match).where(Match.need_id == need.id, Match.result_id == result.id))
    if match is not None:
        return match
    item = next(
        (it for it in ranker.rank_results_for_need(session, need, top=1000) if it.id == result.id), None
    )
    match = Match(
        need_id=need.id,
        result_id=result.id,
        stage="proposed",
        source="ranker" if item else "manual",
        components={},
        explanation={},
    )
    if item:
        services._apply_ranking(match, item)
    session.add(match)
    session.flush()
    return match


def seed(session: Session, seed_dir: Path | str, top: int = services.DEFAULT_TOP) -> dict:
    stats = services.propose(session, top=top, notify_owners=False)
    out = {"proposed": stats.created, "decisions": 0, "skipped": 0}
    path = Path(seed_dir) / "decisions.jsonl"
    if not path.exists():
        session.info.pop(hooks._KEY, None)
        return out
    broker = session.scalar(
        select(User).where(User.role == "broker", User.active.is_(True)).order_by(User.id)
    )
    if broker is None:
        log.warning("没有技术经纪人账号，跳过 %s", path)
        return out
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        need = session.scalar(select(Need).where(Need.external_id == row.get("need")))
        result = session.scalar(select(Result).where(Result.external_id == row.get("result")))
        if need is None or result is None or need.organization_id == result.organization_id:
            out["skipped"] += 1
            continue
        match = _match_for(session, need, result)
        if match.decision is not None:
            continue
        reason = row.get("reason") or None
        reason = REASON_CODES.get(reason, reason)
        if row.get("decision") == "reject" and not reason:
            reason = "tech_mismatch"
        try:
            services.decide(session, match, broker, row["decision"], reason, row.get("note"))
        except DomainError as exc:
            log.warning("%s:%d %s", path, lineno, exc.message)
            out["skipped"] += 1
            continue
        out["decisions"] += 1
    session.flush()
    # Every open need was just proposed for: the auto-proposal hook need not redo it on commit.
    session.info.pop(hooks._KEY, None)
    return out
