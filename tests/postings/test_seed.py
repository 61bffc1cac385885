"""`flask seed`: loads every seed file, is safe to run twice and prints the demo accounts."""

import json

from sqlalchemy import func, select

from matchmaker.accounts.models import Organization, User
from matchmaker.challenges.models import Topic
from matchmaker.config import PROJECT_ROOT
from matchmaker.constants import DEFAULT_FIELDS
from matchmaker.postings.models import Expert, Field, Need, Result

MODELS = (Field, User, Organization, Result, Need, Expert, Topic)


def totals(db):
    return {m.__name__: db.session.scalar(select(func.count(m.id))) for m in MODELS}


def test_fields_file_matches_the_action_plan():
    entries = json.loads((PROJECT_ROOT / "seed_data" / "fields.json").read_text(encoding="utf-8"))
    names = [e["name"] for e in entries]
    assert names == DEFAULT_FIELDS
    for e in entries:
        assert e["description"] and e["related"] and set(e["related"]) <= set(names) - {e["name"]}


def test_seed_twice_loads_everything_once(app, db, seed_dir):
    app.config["SEED_DIR"] = seed_dir
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    after_first = totals(db)
    demo = [
        a["email"]
        for a in json.loads((PROJECT_ROOT / "seed_data" / "accounts.json").read_text(encoding="utf-8"))
    ]
    assert after_first["Field"] == 16 and len(demo) == 10
    assert db.session.scalar(select(func.count(User.id)).where(User.email.in_(demo))) == 10
    assert (after_first["Result"], after_first["Need"], after_first["Expert"], after_first["Topic"]) == (
        2,
        2,
        3,
        3,
    )
    for email in ("admin@demo.cn", "broker@demo.cn", "enterprise2@demo.cn", "researcher2@demo.cn"):
        assert email in first.output
    assert "Henan2026demo" in first.output

    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert totals(db) == after_first
    assert "未变 4 条" in second.output

    expert = db.session.scalar(select(Expert).where(Expert.external_id == "SE001"))
    assert [r.external_id for r in expert.results] == ["SR001"]
    assert expert.organization.name == "郑州大学"
    topic = db.session.scalar(select(Topic).where(Topic.title == "速冻米面制品品质提升"))
    assert topic.field.name == "食品加工" and topic.industry_chain == "现代食品产业链"


def test_seed_keeps_admin_edits_of_fields(app, db, seed_dir):
    app.config["SEED_DIR"] = seed_dir
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    field = db.session.scalar(select(Field).where(Field.name == "无人机"))
    field.active = False
    db.session.commit()
    runner.invoke(args=["seed"])
    db.session.expire_all()
    assert db.session.scalar(select(Field.active).where(Field.name == "无人机")) is False


def test_broken_seed_file_loads_nothing(app, db, seed_dir):
    app.config["SEED_DIR"] = seed_dir
    with (seed_dir / "postings.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"id": "BAD", "kind": "need"}\n')
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 1 and "第 5 行" in result.output
    assert totals(db)["User"] == 0
