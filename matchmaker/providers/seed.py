"""Seed providers (科技服务机构) from seed_data/providers.jsonl, upserting by external id.

Two providers get a demo account of their own, so the 受理/完成 side can be tried:
pilot@demo.cn (洛阳新材料中试基地) and poc@demo.cn (中原科技城概念验证中心).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import User
from matchmaker.postings.services import get_or_create_organization
from matchmaker.providers.models import Provider
from matchmaker.providers.services import clean_provider, create_provider

DEMO_PASSWORD = "Henan2026demo"
DEMO_ACCOUNTS = {
    "PV05": ("pilot@demo.cn", "孙主任"),
    "PV02": ("poc@demo.cn", "周经理"),
}


def _account(session: Session, email: str, name: str, org) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role="enterprise", organization=org)
        session.add(user)
    user.set_password(DEMO_PASSWORD)
    user.active = True
    return user


def seed(session: Session, seed_dir: Path) -> int:
    path = Path(seed_dir) / "providers.jsonl"
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
            kind="result",
            region=org_info.get("region"),
            org_type=org_info.get("type"),
        )
        owner = _account(session, *DEMO_ACCOUNTS[ext], org) if ext in DEMO_ACCOUNTS else None
        obj = session.scalar(select(Provider).where(Provider.external_id == ext))
        if obj is None:
            obj = create_provider(session, data, organization=org, owner=owner, external_id=ext)
        else:
            for k, v in clean_provider(session, data).items():
                setattr(obj, k, v)
            obj.owner = owner or obj.owner
        count += 1
    session.flush()
    return count
