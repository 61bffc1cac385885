"""Load seed_data/ (演示数据): fields, demo accounts, postings, experts and topics.

Idempotent: every loader upserts by a stable key (field name, email, external id,
topic title), so `flask seed` is safe on every `make run`. Only flushes.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization, User
from matchmaker.accounts.services import password_problem
from matchmaker.config import PROJECT_ROOT
from matchmaker.constants import ORG_TYPES, ROLES
from matchmaker.errors import DomainError
from matchmaker.postings.importer import ImportReport, import_postings
from matchmaker.postings.models import Expert, Field
from matchmaker.postings.services import (
    clean_expert,
    find_field,
    get_or_create_organization,
    normalize_region,
)

# Other areas' seeders, called after ours when present: matchmaker.<area>.seed.seed(session, seed_dir)
AREA_SEEDERS = ["review", "challenges", "roadshow", "providers", "scenarios"]


@dataclass
class SeedReport:
    fields: int = 0
    accounts: list[dict] = field(default_factory=list)
    postings: ImportReport | None = None
    experts: int = 0
    topics: int = 0
    areas: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class SeedError(Exception):
    """A seed file is broken; the message names the file and line."""


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield line_no, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SeedError(f"{path.name} 第 {line_no} 行不是合法的 JSON：{exc.msg}") from None


def seed_fields(session: Session, path: Path | None = None) -> int:
    """领域分类: create missing fields; admins' later edits (renames, deactivation) are kept.

    Import needs the taxonomy, so a fresh scratch database (e.g. for evaluation) calls this
    first; without a path it reads the packaged seed_data/fields.json.
    """
    path = Path(path) if path else PROJECT_ROOT / "seed_data" / "fields.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    for order, entry in enumerate(entries):
        obj = session.scalar(select(Field).where(Field.name == entry["name"]))
        if obj is None:
            session.add(
                Field(
                    name=entry["name"],
                    description=entry.get("description"),
                    related=entry.get("related", []),
                    sort_order=order,
                    active=True,
                )
            )
    session.flush()
    return len(entries)


def seed_accounts(session: Session, path: Path) -> list[dict]:
    """Demo accounts, one per role; passwords are reset to the documented demo password."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    shown = []
    for entry in entries:
        org_info = entry["organization"]
        if org_info["type"] not in ORG_TYPES or entry["role"] not in ROLES:
            raise SeedError(f"accounts.json：{entry['email']} 的角色或机构类型无效")
        if password_problem(entry["password"]):
            raise SeedError(f"accounts.json：{entry['email']} 的密码不符合密码策略")
        org = session.scalar(select(Organization).where(Organization.name == org_info["name"]))
        if org is None:
            org = Organization(name=org_info["name"], type=org_info["type"], region=org_info.get("region"))
            session.add(org)
        user = session.scalar(select(User).where(User.email == entry["email"]))
        if user is None:
            user = User(
                email=entry["email"],
                name=entry["name"],
                role=entry["role"],
                organization=org,
                phone=entry.get("phone"),
                broker_fields=entry.get("broker_fields", []),
                broker_regions=entry.get("broker_regions", []),
            )
            session.add(user)
        user.set_password(entry["password"])
        user.active = True
        shown.append(
            {
                "email": entry["email"],
                "password": entry["password"],
                "role": ROLES[entry["role"]],
                "name": entry["name"],
                "organization": org.name,
            }
        )
    session.flush()
    return shown


def seed_experts(session: Session, path: Path) -> int:
    """专家: upsert by external id; `results` lists result external ids."""
    count = 0
    for line_no, row in _jsonl(path):
        try:
            org_name = (row.get("organization") or "").strip()
            if not org_name:
                raise DomainError("缺少所在机构", "organization")
            data = {
                k: row[k]
                for k in (
                    "name",
                    "title",
                    "field",
                    "research_areas",
                    "bio",
                    "region",
                    "results",
                    "contact",
                    "status",
                )
                if k in row
            }
            attrs = clean_expert(session, data)
            org = get_or_create_organization(
                session,
                org_name,
                kind="expert",
                org_type=row.get("org_type"),
                region=normalize_region(row.get("region")),
            )
        except DomainError as exc:
            raise SeedError(f"{path.name} 第 {line_no} 行：{exc.message}") from None
        obj = session.scalar(select(Expert).where(Expert.external_id == str(row["id"])))
        if obj is None:
            obj = Expert(external_id=str(row["id"]), organization=org)
            session.add(obj)
        obj.organization = org
        for key, value in attrs.items():
            setattr(obj, key, value)
        count += 1
    session.flush()
    return count


def seed_topics(session: Session, path: Path) -> int:
    """产业立题: upsert by title (topics carry no external id column)."""
    from matchmaker.challenges.models import Topic

    count = 0
    for line_no, row in _jsonl(path):
        try:
            fld = find_field(session, row.get("field"), required=False)
        except DomainError as exc:
            raise SeedError(f"{path.name} 第 {line_no} 行：{exc.message}") from None
        if not row.get("title") or not row.get("industry_chain"):
            raise SeedError(f"{path.name} 第 {line_no} 行：缺少 title 或 industry_chain")
        obj = session.scalar(select(Topic).where(Topic.title == row["title"]))
        if obj is None:
            obj = Topic(title=row["title"], industry_chain=row["industry_chain"])
            session.add(obj)
        obj.industry_chain = row["industry_chain"]
        obj.description = row.get("description", "")
        obj.field = fld
        obj.lead_department = row.get("lead_department")
        count += 1
    session.flush()
    return count


def seed_all(session: Session, seed_dir: Path, *, progress=None) -> SeedReport:
    """Load everything in seed_dir that exists, then the other areas' seeders."""
    seed_dir = Path(seed_dir)
    report = SeedReport()
    if (seed_dir / "fields.json").exists():
        report.fields = seed_fields(session, seed_dir / "fields.json")
    if (seed_dir / "accounts.json").exists():
        report.accounts = seed_accounts(session, seed_dir / "accounts.json")
    if (seed_dir / "postings.jsonl").exists():
        with (seed_dir / "postings.jsonl").open(encoding="utf-8") as fh:
            report.postings = import_postings(session, fh, progress=progress)
        report.warnings += report.postings.warnings
    if (seed_dir / "experts.jsonl").exists():
        report.experts = seed_experts(session, seed_dir / "experts.jsonl")
    if (seed_dir / "topics.jsonl").exists():
        report.topics = seed_topics(session, seed_dir / "topics.jsonl")
    for area in AREA_SEEDERS:
        try:
            module = importlib.import_module(f"matchmaker.{area}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"matchmaker.{area}.seed":
                raise
            continue
        if hasattr(module, "seed"):
            module.seed(session, seed_dir)
            report.areas.append(area)
    session.flush()
    return report
