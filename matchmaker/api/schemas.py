"""Request schemas of the API (接口请求结构): pydantic models that validate JSON bodies
and, through `openapi.py`, describe them. One source for both, so they cannot drift.

Shapes and types are checked here; domain rules (allowed fields, regions, lengths) stay in
the services, which give the same field error to the web, the API, the CLI and the import.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Literal

from flask import g
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from matchmaker.api.errors import json_body
from matchmaker.errors import DomainError


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostingIn(BaseModel):
    """科技成果 / 技术需求 in the exchange format (docs/posting-format.md)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = Field(None, max_length=64, description="外部编号")
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    field: str | None = Field(None, max_length=50, description="领域名称")
    keywords: list[str] | str | None = None
    region: str | None = Field(None, max_length=20)
    status: str | None = Field(None, max_length=20)
    organization: str | None = Field(None, max_length=200, description="经纪人/管理员代为发布时的机构名称")


class MatchIn(_In):
    need_id: int | str = Field(description="需求 id 或外部编号")
    result_id: int | str = Field(description="成果 id 或外部编号")
    note: str | None = Field(None, max_length=2000)


class DecisionIn(_In):
    decision: Literal["accept", "reject"]
    reason: str | None = Field(None, max_length=50)
    note: str | None = Field(None, max_length=2000)


class BulkDecisionIn(DecisionIn):
    ids: list[int] = Field(min_length=1, max_length=500)


class ConfirmationIn(_In):
    confirm: bool
    reason: str | None = Field(None, max_length=2000)


class StageIn(_In):
    to_stage: str = Field(max_length=30)
    reason: str | None = Field(None, max_length=2000)
    contract_type: str | None = Field(None, max_length=30)
    amount_wan: float | None = Field(None, ge=0, le=10_000_000)
    signed_on: str | None = Field(None, max_length=10, description="YYYY-MM-DD")
    buyer: str | None = Field(None, max_length=200)
    seller: str | None = Field(None, max_length=200)
    registration_no: str | None = Field(None, max_length=64)


TYPE_MESSAGES = {
    "missing": "缺少 {f}",
    "extra_forbidden": "不支持字段 {f}",
    "literal_error": "{f} 的取值无效",
    "string_too_long": "{f} 过长",
    "too_long": "{f} 条目过多",
    "too_short": "{f} 不能为空",
}


def parse(model: type[BaseModel], data: Any) -> dict:
    """Validate a JSON body against `model`; the first problem becomes a 400 naming its field.
    Returns the body as sent (keys not given stay absent), so services see what the caller sent."""
    if not isinstance(data, dict):
        raise DomainError("请求体须为 JSON 对象", "body")
    try:
        model.model_validate(data, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        template = TYPE_MESSAGES.get(err["type"], "{f} 的类型或取值不正确")
        raise DomainError(template.format(f=field), field.split(".")[0]) from None
    return data


def accepts(model: type[BaseModel]):
    """Decorator: the view takes a JSON body of this schema. The body is validated before the
    view runs (read it with `body()`), and openapi.py documents the route with the same model."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from matchmaker.api.errors import api_user

            api_user()  # every write needs an account: 401 before 400
            g.api_body = parse(model, json_body())
            return view(*args, **kwargs)

        wrapped.body_model = model
        return wrapped

    return decorator


def body() -> dict:
    """The validated JSON body of the current request (see `accepts`)."""
    return g.api_body
