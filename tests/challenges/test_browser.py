"""Browser flow: from publishing a challenge (张榜) to 立项, through the pages only."""

import pytest

from matchmaker.challenges import services
from matchmaker.challenges.models import Challenge, Project

pytestmark = pytest.mark.browser


def _logout(page):
    page.context.clear_cookies()


def test_publish_to_project(db, world, page, browser_login):
    c = services.raise_challenge(
        db.session,
        world.enterprise,
        world.need,
        title="金刚石单晶揭榜",
        targets=["生长速率 ≥ 20 μm/h"],
        reward_wan=300,
    )
    services.transition(db.session, c, "assessing", world.admin, "论证")
    db.session.commit()
    cid = c.id

    # The admin publishes (张榜).
    browser_login(world.admin)
    page.goto(f"/challenges/{cid}")
    page.select_option("select[name=to_status]", "published")
    page.fill("input[name=reason]", "论证通过")
    page.click("text=变更状态")
    page.wait_for_selector("text=榜单状态已变更为“张榜”")
    assert page.locator("[data-testid=invitations] tbody tr").count() >= 1
    _logout(page)

    # A researcher answers (揭榜).
    browser_login(world.researcher)
    page.goto(f"/challenges/{cid}")
    page.click("text=我要揭榜")
    page.fill("input[name=title]", "MPCVD 高速生长方案")
    page.fill(
        "textarea[name=approach]",
        "采用高功率密度 MPCVD 与氮掺杂协同提高生长速率，并以台阶流模式抑制位错增殖。",
    )
    page.fill("textarea[name=team_members]", "秦教授 负责人")
    page.fill("textarea[name=milestones]", "2027-06-30 完成 10 mm 单晶生长\n2027-12-31 产线验证")
    page.fill("input[name=budget_wan]", "280")
    page.click("text=提交揭榜方案")
    page.wait_for_selector("text=揭榜方案已提交")
    _logout(page)

    # The admin closes bidding, assigns reviewers.
    browser_login(world.admin)
    page.goto(f"/challenges/{cid}")
    page.select_option("select[name=to_status]", "reviewing")
    page.click("text=变更状态")
    page.wait_for_selector("text=榜单状态已变更为“评审”")
    page.fill("input[name=per_answer]", "2")
    page.click("text=自动分配评审专家")
    page.wait_for_selector("text=已分配 2 项评审任务")
    _logout(page)

    # Each assigned reviewer scores.
    db.session.expire_all()
    challenge = db.session.get(Challenge, cid)
    reviewers = [r.expert.user for r in challenge.answers[0].reviews]
    assert len(reviewers) == 2
    for user in reviewers:
        browser_login(user)
        page.goto("/challenges/reviews")
        page.click("[data-testid=my-reviews] a")
        for name, value in (("advancement", "90"), ("feasibility", "85"), ("team", "80"), ("economic", "75")):
            page.fill(f"input[name={name}]", value)
        page.fill("textarea[name=comment]", "路线可行")
        page.click("text=提交评分")
        page.wait_for_selector("text=评分已提交")
        _logout(page)

    # The admin sees the scores with their spread and approves (立项).
    browser_login(world.admin)
    page.goto(f"/challenges/{cid}")
    row = page.locator("[data-testid=aggregates] tbody tr").first
    assert "2/2" in row.inner_text() and "83.5" in row.inner_text()
    page.fill("input[name=funding_wan]", "250")
    page.click("text=确定中标并立项")
    page.wait_for_selector("text=已立项")
    assert page.locator("[data-testid=milestones] .list-group-item").count() == 2
    page.fill("[data-testid=milestones] .list-group-item >> nth=0 >> input[name=note]", "按期完成")
    page.locator("[data-testid=milestones] .list-group-item").first.locator("text=记录验收").click()
    page.wait_for_selector("text=验收记录已保存")

    db.session.expire_all()
    project = db.session.query(Project).one()
    assert project.challenge.status == "approved" and project.funding_wan == 250
    assert project.milestones[0].status == "passed"
    page.goto(f"/challenges/topics/{world.topic.id}/trace")
    assert page.locator("[data-count=projects]").inner_text() == "1"
