"""Test data factories. Each returns a flushed ORM object with sensible defaults."""

from __future__ import annotations

import itertools

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db
from matchmaker.postings.models import Expert, Field, Need, Result

PASSWORD = "Passw0rd-Test"
_seq = itertools.count(1)


def field(name: str = "人工智能", **kw) -> Field:
    existing = db.session.query(Field).filter_by(name=name).one_or_none()
    if existing:
        return existing
    obj = Field(name=name, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def organization(type: str = "企业", name: str | None = None, region: str = "郑州") -> Organization:
    obj = Organization(name=name or f"测试机构{next(_seq)}", type=type, region=region)
    db.session.add(obj)
    db.session.flush()
    return obj


ROLE_ORG = {
    "enterprise": "企业",
    "researcher": "高校",
    "broker": "技术转移机构",
    "admin": "政府部门",
    "investor": "投资机构",
}


def user(role: str = "enterprise", org: Organization | None = None, password: str = PASSWORD, **kw) -> User:
    n = next(_seq)
    obj = User(
        email=kw.pop("email", f"user{n}@example.cn"),
        name=kw.pop("name", f"用户{n}"),
        role=role,
        organization=org or organization(ROLE_ORG[role]),
        **kw,
    )
    obj.set_password(password)
    db.session.add(obj)
    db.session.flush()
    return obj


def result(
    title: str = "数控机床主轴热误差建模与实时补偿",
    description: str | None = None,
    field_name: str = "高端装备制造",
    org: Organization | None = None,
    **kw,
) -> Result:
    n = next(_seq)
    obj = Result(
        external_id=kw.pop("external_id", f"TR{n:05d}"),
        title=title,
        description=description or f"{title}。面向企业的成熟技术方案，可提供技术服务。",
        field=field(field_name),
        organization=org or organization("高校"),
        keywords=kw.pop("keywords", []),
        maturity=kw.pop("maturity", "中试"),
        transfer_modes=kw.pop("transfer_modes", ["许可"]),
        status=kw.pop("status", "published"),
        contact_phone=kw.pop("contact_phone", "13800000000"),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def need(
    title: str = "同一台机床上午和下午加工的零件尺寸不一样",
    description: str | None = None,
    field_name: str = "高端装备制造",
    org: Organization | None = None,
    **kw,
) -> Need:
    n = next(_seq)
    obj = Need(
        external_id=kw.pop("external_id", f"TN{n:05d}"),
        title=title,
        description=description or f"{title}，希望找到解决办法。",
        field=field(field_name),
        organization=org or organization("企业"),
        keywords=kw.pop("keywords", []),
        status=kw.pop("status", "open"),
        contact_phone=kw.pop("contact_phone", "13900000000"),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def expert(
    name: str = "张教授",
    areas: list[str] | None = None,
    field_name: str = "高端装备制造",
    org: Organization | None = None,
    **kw,
) -> Expert:
    n = next(_seq)
    obj = Expert(
        external_id=kw.pop("external_id", f"TE{n:05d}"),
        name=name,
        research_areas=areas or ["数控机床", "热误差补偿"],
        field=field(field_name),
        organization=org or organization("高校"),
        bio=kw.pop("bio", "长期从事精密加工研究。"),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj
