"""Generated permission matrix (权限矩阵): every route in app.url_map, tried anonymously and as an
enterprise and a researcher. A route that answers anonymous visitors must be declared in
policy.PUBLIC_ENDPOINTS; broker/admin workspaces refuse parties; nothing answers 5xx."""

from __future__ import annotations

import re

from matchmaker.accounts import policy
from tests import factories as f


def _url(rule) -> str:
    url = re.sub(r"<any\(([^)]*)\):\w+>", lambda m: m.group(1).split(",")[0].strip(), rule.rule)
    return re.sub(r"<(?:[^:>]+:)?\w+>", "1", url)


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _refused(resp) -> bool:
    if resp.status_code in (401, 403):
        return True
    return resp.status_code == 302 and "/login" in resp.headers.get("Location", "")


def test_every_route_has_a_declared_policy(app, as_user, db):
    enterprise, researcher = f.user("enterprise"), f.user("researcher")
    db.session.commit()
    anon, ent, res = as_user(None), as_user(enterprise), as_user(researcher)
    problems = []
    for rule, method in _routes(app):
        url = _url(rule)
        body = {} if method != "GET" else None
        resp = anon.open(url, method=method, json=body)
        if resp.status_code >= 500:
            problems.append(f"{method} {rule.rule} 匿名 → {resp.status_code}")
        if rule.endpoint not in policy.PUBLIC_ENDPOINTS and not _refused(resp):
            problems.append(
                f"{method} {rule.rule} ({rule.endpoint}) 未声明为公开，却接受匿名访问：{resp.status_code}"
            )
        if rule.endpoint.startswith(policy.STAFF_PREFIXES) and rule.endpoint not in policy.PARTY_ENDPOINTS:
            for who, c in (("企业", ent), ("科研人员", res)):
                r = c.open(url, method=method, json=body)
                if r.status_code != 403:
                    problems.append(f"{method} {rule.rule} {who} → {r.status_code}（应为 403）")
    assert not problems, "\n".join(problems)
