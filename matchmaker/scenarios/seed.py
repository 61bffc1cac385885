"""Seed application scenarios (应用场景) from seed_data/scenarios.jsonl, upserting by external id.
scene@demo.cn publishes for 郑州水务集团 so the publisher's side can be tried."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.postings.services import get_or_create_organization
from matchmaker.providers.seed import _account
from matchmaker.scenarios.models import Scenario
from matchmaker.scenarios.services import clean_scenario, create_scenario

DEMO_ACCOUNTS = {"SC04": ("scene@demo.cn", "钱工")}


def seed(session: Session, seed_dir: Path) -> int:
    path = Path(seed_dir) / "scenarios.jsonl"
    if not path.exists():
        return 0
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        ext = data.pop("id")
        org_info = data.pop("organization")
        org = get_or_create_organization(
            session,
            org_info["name"],
            kind="need",
            region=org_info.get("region"),
            org_type=org_info.get("type"),
        )
        owner = _account(session, *DEMO_ACCOUNTS[ext], org) if ext in DEMO_ACCOUNTS else None
        obj = session.scalar(select(Scenario).where(Scenario.external_id == ext))
        if obj is None:
            create_scenario(session, data, organization=org, owner=owner, external_id=ext)
        else:
            for k, v in clean_scenario(session, data).items():
                setattr(obj, k, v)
            obj.owner = owner or obj.owner
        count += 1
    session.flush()
    return count
