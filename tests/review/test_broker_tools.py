"""Broker tools: a paged queue, no CLI hint when empty, kanban drag-and-drop, search-as-you-type."""

import re

import pytest
from sqlalchemy import select

from matchmaker.extensions import utcnow
from matchmaker.review.models import Match, StageChange
from tests import factories as f


def _matches(db, n):
    need = f.need("数控机床热误差导致尺寸漂移")
    for i in range(n):
        db.session.add(
            Match(need_id=need.id, result_id=f.result(f"热误差补偿成果{i:02d}").id, score=1 - i / 100)
        )
    db.session.commit()


def test_queue_is_paged_and_filterable(client, login, db):
    broker = f.user("broker")
    _matches(db, 30)
    login(broker)
    first = client.get("/review/").get_data(as_text=True)
    assert first.count('class="card mb-2 match-row"') == 25
    assert "第 1 / 2 页，共 30 条" in first
    second = client.get("/review/?page=2").get_data(as_text=True)
    assert second.count('class="card mb-2 match-row"') == 5
    one = client.get("/review/?q=成果07").get_data(as_text=True)
    assert one.count('class="card mb-2 match-row"') == 1


def test_empty_queue_gives_no_cli_hint(client, login, db):
    login(f.user("broker"))
    page = client.get("/review/").get_data(as_text=True)
    assert "自动生成推荐" in page and "flask" not in page


def test_picker_finds_postings_by_title_words(client, login, db):
    need = f.need("高粱酿酒副产物综合利用")
    f.need("另一条无关需求")
    db.session.commit()
    login(f.user("broker"))
    items = client.get("/review/pick/need?q=酿酒").get_json()["items"]
    assert [i["ref"] for i in items] == [need.external_id]
    assert client.get("/review/pick/need?q=").get_json()["items"] == []
    login(f.user("enterprise"))
    assert client.get("/review/pick/need?q=酿酒").status_code == 403


@pytest.mark.browser
def test_manual_match_with_pickers(page, browser_login, db):
    broker = f.user("broker")
    need = f.need("高粱酿酒副产物综合利用")
    result = f.result("酒糟蛋白饲料发酵技术")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(broker)
    page.goto("/review/manual")
    page.fill("#need", "酿酒")
    page.locator("[data-testid=pick-need] button").first.click()
    page.fill("#result", "酒糟")
    page.locator("[data-testid=pick-result] button").first.click()
    assert page.input_value("#need") == need.external_id
    page.locator("form button.btn-primary").click()
    page.wait_for_url(re.compile(r"/review/match/\d+$"))
    assert db.session.scalar(select(Match).where(Match.need_id == need.id, Match.result_id == result.id))


@pytest.mark.browser
def test_kanban_drag_moves_the_stage_with_audit(page, browser_login, db):
    broker = f.user("broker")
    need, result = f.need("看板拖拽需求"), f.result("看板拖拽成果")
    match = Match(
        need_id=need.id, result_id=result.id, decision="accept", stage="confirmation", released_at=utcnow()
    )
    db.session.add(match)
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(broker)
    page.goto("/review/pipeline")
    page.locator(f'.kanban-card[data-match-id="{match.id}"]').drag_to(
        page.locator('[data-testid="column-negotiation"]')
    )
    page.wait_for_selector(f'[data-testid="column-negotiation"] .kanban-card[data-match-id="{match.id}"]')
    db.session.expire_all()
    assert db.session.get(Match, match.id).stage == "negotiation"
    change = db.session.scalar(select(StageChange).where(StageChange.match_id == match.id))
    assert (change.to_stage, change.user_id, change.reason) == ("negotiation", broker.id, "看板拖拽")
