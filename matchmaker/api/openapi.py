"""OpenAPI 3.1 description of /api/v1 (接口说明), built from the routes themselves.

Paths and path parameters come from `app.url_map`; request bodies from the pydantic models
the views validate with (`schemas.accepts`); query parameters from QUERY below. Served at
/api/v1/openapi.json and rendered locally at /api/v1/docs (no CDN).
"""

from __future__ import annotations

import re

from flask import current_app, jsonify, render_template
from pydantic import BaseModel

from matchmaker.api import bp
from matchmaker.security import MAX_DB_INT

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}
ERROR_STATUSES = {
    "400": "输入有误",
    "401": "未登录",
    "403": "无权",
    "404": "不存在",
    "409": "状态冲突",
    "413": "请求过大",
}

_int = {"type": "integer", "minimum": 1, "maximum": MAX_DB_INT}
_page = {"type": "integer", "minimum": 1, "maximum": 100000}
_text = {"type": "string", "maxLength": 100}

# Query parameters of the routes that take them (endpoint → name → (schema, required)).
QUERY: dict[str, dict[str, tuple[dict, bool]]] = {
    "api.search": {
        "q": ({"type": "string", "minLength": 1, "maxLength": 500}, True),
        "kind": ({"type": "string", "enum": ["result", "need", "expert"]}, False),
        "top": ({"type": "integer", "minimum": 1, "maximum": 100}, False),
    },
    "api.list_postings": {
        "page": (_page, False),
        "per_page": ({"type": "integer", "minimum": 1, "maximum": 100}, False),
        "field": (_text, False),
        "region": (_text, False),
        "maturity": (_text, False),
        "status": (_text, False),
        "q": (_text, False),
    },
    "api.need_matches": {"top": ({"type": "integer", "minimum": 1, "maximum": 100}, False)},
    "api.result_matches": {"top": ({"type": "integer", "minimum": 1, "maximum": 100}, False)},
    "api.need_experts": {"top": ({"type": "integer", "minimum": 1, "maximum": 100}, False)},
    "api.review_queue": {
        "limit": ({"type": "integer", "minimum": 1, "maximum": 500}, False),
        "offset": ({"type": "integer", "minimum": 0, "maximum": 1000000}, False),
        "field": (_text, False),
        "region": (_text, False),
        "status": (_text, False),
        "q": (_text, False),
    },
}

_ARG = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def _path_parameters(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(m: re.Match) -> str:
        conv, name = m.group("conv"), m.group("name")
        if conv == "int":
            schema = dict(_int)
        elif conv == "any":
            schema = {"type": "string", "enum": [a.strip() for a in m.group("args").split(",")]}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _ARG.sub(repl, rule), params


def _model_schema(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_spec(app) -> dict:
    """The OpenAPI 3.1 document of every /api/v1 route."""
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {"Error": ERROR}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint in ("api.openapi", "api.docs"):
            continue
        path, params = _path_parameters(rule.rule)
        view = app.view_functions[rule.endpoint]
        model = getattr(view, "body_model", None)
        doc = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": f"{rule.endpoint.removeprefix('api.')}_{method.lower()}",
                "summary": doc,
                "parameters": params
                + [
                    {"name": n, "in": "query", "required": req, "schema": s}
                    for n, (s, req) in QUERY.get(rule.endpoint, {}).items()
                ],
                "responses": {
                    "200": {
                        "description": "成功",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **{
                        code: {
                            "description": text,
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                            },
                        }
                        for code, text in ERROR_STATUSES.items()
                    },
                },
            }
            if method == "POST":
                op["responses"]["201"] = op["responses"]["200"] | {"description": "已创建"}
                op["responses"]["202"] = op["responses"]["200"] | {"description": "已受理"}
            if method == "DELETE":
                op["responses"]["204"] = {"description": "已删除"}
            if method in ("POST", "PUT", "PATCH"):
                schema = _model_schema(model, components) if model else {"type": "object"}
                content = getattr(view, "openapi_request", None) or {"application/json": {"schema": schema}}
                op["requestBody"] = {"required": True, "content": content}
            if getattr(view, "openapi_response", None):  # a file download, not JSON
                op["responses"]["200"] = {"description": "成功", "content": view.openapi_response}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "技术转移撮合平台 API",
            "version": "1",
            "description": '错误统一为 {"error": {"status", "message", "field"}}；'
            "程序调用请使用个人访问令牌（Authorization: Bearer）或会话 Cookie。",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components},
    }


@bp.get("/openapi.json")
def openapi():
    """OpenAPI 3.1 说明"""
    return jsonify(build_spec(current_app))


@bp.get("/docs")
def docs():
    """接口文档页面 (rendered by matchmaker/static/js/api-docs.js from openapi.json)."""
    return render_template("api/docs.html")
