"""Import postings from JSON Lines (导入). MINIMAL INTERIM VERSION written by the matching
branch so `flask evaluate` can load labelled sets; the platform branch's importer
(same signature) replaces it at merge."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization
from matchmaker.postings.models import Field, Need, Result


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ImportFailed(Exception):
    def __init__(self, report: ImportReport):
        super().__init__("; ".join(report.errors[:5]))
        self.report = report


def _get_or_create(session: Session, model, name: str, **kw):
    obj = session.scalar(select(model).where(model.name == name))
    if obj is None:
        obj = model(name=name, **kw)
        session.add(obj)
        session.flush()
    return obj


def import_postings(session: Session, lines, *, skip_invalid: bool = False) -> ImportReport:
    report = ImportReport()
    for n, line in enumerate(lines, 1):
        if not str(line).strip():
            continue
        try:
            data = json.loads(line)
            kind = data["kind"]
            model = {"result": Result, "need": Need}[kind]
            fld = _get_or_create(session, Field, data["field"])
            org_name = data.get("organization") or "未署名机构"
            org = _get_or_create(session, Organization, org_name,
                                 type="企业" if kind == "need" else "高校", region=data.get("region"))
            obj = session.scalar(select(model).where(model.external_id == data["id"]))
            values = dict(title=data["title"], description=data["description"], field=fld,
                          keywords=data.get("keywords") or [], region=data.get("region"),
                          organization=org)
            if kind == "result":
                values.update(maturity=data.get("maturity"), price_wan=data.get("price_wan"),
                              transfer_modes=data.get("transfer_modes") or [])
            else:
                dl = data.get("deadline")
                values.update(budget_wan=data.get("budget_wan"),
                              deadline=date.fromisoformat(dl) if dl else None)
            if obj is None:
                session.add(model(external_id=data["id"], **values))
                report.created += 1
            else:
                for k, v in values.items():
                    setattr(obj, k, v)
                report.updated += 1
        except (KeyError, ValueError, TypeError) as exc:
            report.errors.append(f"第 {n} 行：{exc}")
    session.flush()
    if report.errors and not skip_invalid:
        raise ImportFailed(report)
    return report
