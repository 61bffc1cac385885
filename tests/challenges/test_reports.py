"""Trace page and its Excel export, department statistics, the seed."""

import json
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from matchmaker.challenges import reports, services
from matchmaker.challenges.models import Challenge, Invitation, Topic
from matchmaker.challenges.seed import seed
from matchmaker.postings.models import Expert
from tests import factories as f
from tests.challenges.conftest import answer, raise_and_publish

SCORES = {"advancement": 80, "feasibility": 80, "team": 80, "economic": 80}


def _approved(db, world):
    c = raise_and_publish(db, world, reward_wan=300)
    a1 = answer(db, world.researcher, c)
    answer(db, f.user("researcher", org=f.organization("高校", "第二大学")), c, title="第二方案")
    services.transition(db.session, c, "reviewing", world.admin)
    for r in services.assign_reviewers(db.session, c, world.admin, per_answer=1, max_load=5):
        services.submit_review(db.session, r, r.expert.user, SCORES)
    project = services.award_project(db.session, c, a1, world.admin, funding_wan=250)
    services.accept_milestone(db.session, project.milestones[0], world.admin, True, "生长速率达到 22 μm/h")
    # 张榜 three days before 立项, to check the duration.
    published = next(t for t in c.transitions if t.to_status == "published")
    published.at = c.approved_at - timedelta(days=3)
    db.session.flush()
    return c, project


def test_trace_counts_and_page(db, world, client):
    f.need("另一个未出榜的问题", field_name="超硬材料", topic_id=world.topic.id)
    c, project = _approved(db, world)
    data = reports.trace(db.session, world.topic)
    assert data["counts"] == {
        "questions": 2,
        "challenges": 1,
        "answers": 2,
        "winners": 1,
        "projects": 1,
        "milestones": 2,
        "milestones_passed": 1,
    }
    db.session.commit()
    html = client.get(f"/challenges/topics/{world.topic.id}/trace").get_data(as_text=True)
    for text in (
        "问题：大尺寸金刚石单晶生长速度慢",
        "榜单：",
        "MPCVD 高速生长方案",
        "中标",
        "立项：",
        "里程碑：完成 10 mm 单晶生长",
        "尚未提升为榜单",
    ):
        assert text in html
    assert 'data-count="answers">2<' in html


def test_trace_excel(db, world, client):
    _approved(db, world)
    db.session.commit()
    resp = client.get(f"/challenges/topics/{world.topic.id}/trace.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(resp.data))
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(values_only=True)}
    assert (
        summary["揭榜方案数"] == 2 and summary["立项项目数"] == 1 and summary["牵头部门"] == "省科技厅高新处"
    )
    rows = list(wb["追溯"].iter_rows(values_only=True))
    assert rows[0] == tuple(reports.TRACE_HEADER)
    winner_rows = [r for r in rows[1:] if r[11] == "中标"]
    assert [r[14] for r in winner_rows] == ["完成 10 mm 单晶生长", "产线验证"]
    assert winner_rows[0][16] == "验收通过" and winner_rows[0][17] == "生长速率达到 22 μm/h"
    assert any(r[8] == "第二方案" and r[11] == "未中标" for r in rows[1:])


def test_statistics(db, world, client, login):
    c, project = _approved(db, world)
    other = f.need("食品问题", field_name="食品加工", region="漯河")
    stats = reports.statistics(db.session)
    t = stats["totals"]
    assert t["challenges"] == 1 and t["answers"] == 2 and t["answers_per_challenge"] == 2
    assert t["projects"] == 1 and t["funding"] == 250 and t["reward"] == 300
    assert t["avg_days_to_project"] == pytest.approx(3.0, abs=0.1)
    assert (
        stats["by_field"]["超硬材料"]["challenges"] == 1 and stats["by_field"]["食品加工"]["questions"] == 1
    )
    assert stats["by_city"]["漯河"]["questions"] == 1 and stats["by_city"]["郑州"]["answers"] == 2
    db.session.commit()
    login(world.admin)
    html = client.get("/challenges/stats").get_data(as_text=True)
    assert "<script>" not in html and 'id="field-chart"' in html and "js/challenges.js" in html
    chart = reports.chart_data(stats)
    assert set(chart["labels"]) == {"超硬材料", "食品加工"} and len(chart["datasets"]) == 3
    assert json.dumps(chart, ensure_ascii=False)[:20].replace('"', "&#34;") in html
    assert other.id


def test_stats_are_for_staff(db, world, client, login):
    db.session.commit()
    login(world.enterprise)
    assert client.get("/challenges/stats").status_code == 403


def test_topic_page_shows_matches_and_progress(db, world, client):
    f.result(
        "MPCVD 单晶金刚石高速生长",
        field_name="超硬材料",
        description="MPCVD 生长单晶金刚石速率每小时 20 微米。",
    )
    raise_and_publish(db, world)
    db.session.commit()
    html = client.get(f"/challenges/topics/{world.topic.id}").get_data(as_text=True)
    assert "MPCVD 单晶金刚石高速生长" in html and "评审专家0" in html
    assert "已张榜 1" in html


def test_seed_is_idempotent(db, world, tmp_path):
    f.need("第二个需求：金刚石线锯断线", field_name="超硬材料")
    (tmp_path / "topics.jsonl").write_text(
        '{"title": "不会重复加载", "industry_chain": "x"}\n', encoding="utf-8"
    )
    seed(db.session, tmp_path)
    assert db.session.query(Topic).count() == 1  # a topic existed already, so none loaded
    challenges = db.session.query(Challenge).order_by(Challenge.id).all()
    assert [c.status for c in challenges] == ["bidding", "assessing"]
    assert challenges[0].answers and challenges[1].type == "common"
    assert db.session.query(Invitation).count() > 0
    reviewers = db.session.query(Expert).filter(Expert.user_id.isnot(None)).count()
    f.need("第三个需求：复合片耐磨", field_name="超硬材料")
    seed(db.session, tmp_path)
    assert db.session.query(Challenge).count() == 2
    assert db.session.query(Expert).filter(Expert.user_id.isnot(None)).count() == reviewers


def test_new_topic_without_questions_still_shows_matches(db, world, client):
    from matchmaker.challenges.models import Topic as T

    f.result("金刚石线锯电镀工艺", field_name="超硬材料", description="电镀金刚石线锯，降低切割断线率。")
    topic = T(
        industry_chain="超硬材料产业链", title="金刚石线锯切割", description="金刚石线锯断线率高的共性问题。"
    )
    db.session.add(topic)
    db.session.commit()
    html = client.get(f"/challenges/topics/{topic.id}").get_data(as_text=True)
    assert "金刚石线锯电镀工艺" in html and "与题目说明相近" in html
