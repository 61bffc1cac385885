"""One write path for a need (技术需求): the same invalid input gets the same field error through
the web form, the API, the CLI import and the enterprise question (企业出题), and saves nothing."""

import json

from sqlalchemy import func, select

from matchmaker.postings.models import Field, Need
from tests.postings.conftest import field_errors
from tests.postings.test_forms import GOOD_NEED

MESSAGE = "标题至少 4 字，请写清楚"
BAD = GOOD_NEED | {"title": "短题"}


def test_the_same_bad_title_is_refused_alike_everywhere(app, client, login, people, db, tmp_path):
    before = db.session.scalar(select(func.count(Need.id)))
    login(people["enterprise"])

    web = client.post("/needs/new", data=BAD)
    assert web.status_code == 200 and field_errors(web)["title"] == MESSAGE

    api = client.post("/api/v1/needs", json=BAD)
    assert api.status_code == 400
    assert api.get_json()["error"]["field"] == "title" and api.get_json()["error"]["message"] == MESSAGE

    field_id = db.session.scalar(select(Field.id).where(Field.name == BAD["field"]))
    question = client.post(
        "/challenges/questions/new",
        data={"title": BAD["title"], "description": BAD["description"], "field_id": field_id, "topic_id": 0},
    )
    assert question.status_code == 200 and field_errors(question)["title"] == MESSAGE

    jsonl = tmp_path / "needs.jsonl"
    record = {"id": "N-BAD", "kind": "need", "organization": "郑州测试机械有限公司", **BAD}
    jsonl.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    cli = app.test_cli_runner().invoke(args=["import", str(jsonl)])
    assert cli.exit_code != 0 and f"第 1 行（字段 title）：{MESSAGE}" in cli.output
    assert "Traceback" not in cli.output

    db.session.expire_all()
    assert db.session.scalar(select(func.count(Need.id))) == before
