"""flask challenges suggest / invite / stats."""

from matchmaker.challenges.models import Invitation
from tests import factories as f
from tests.challenges.conftest import raise_and_publish


def test_invite_and_stats_commands(db, world, app):
    c = raise_and_publish(db, world)
    before = db.session.query(Invitation).count()
    f.expert(
        "新入库专家",
        areas=["金刚石单晶", "MPCVD"],
        field_name="超硬材料",
        bio="MPCVD 单晶金刚石生长速率与位错密度控制。",
    )
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["challenges", "invite", str(c.id)])
    assert result.exit_code == 0, result.output
    assert "新发出" in result.output
    assert db.session.query(Invitation).count() > before
    result = runner.invoke(args=["challenges", "invite", "999"])
    assert result.exit_code != 0 and "榜单不存在" in result.output
    result = runner.invoke(args=["challenges", "stats"])
    assert result.exit_code == 0 and "challenges: 1" in result.output


def test_suggest_command_checks_the_field(db, world, app):
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["challenges", "suggest", "--field", "火星"])
    assert result.exit_code != 0 and "领域“火星”不存在" in result.output
    result = app.test_cli_runner().invoke(args=["challenges", "suggest"])
    assert result.exit_code == 0 and "暂无建议" in result.output
