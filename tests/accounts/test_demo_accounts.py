"""The seeded demo accounts log in and land on their role's "我的" page."""

import pytest

from matchmaker.config import PROJECT_ROOT
from matchmaker.postings.seed import seed_accounts, seed_fields

DEMO_PASSWORD = "Henan2026demo"


@pytest.fixture
def demo(db):
    seed_fields(db.session, PROJECT_ROOT / "seed_data" / "fields.json")
    accounts = seed_accounts(db.session, PROJECT_ROOT / "seed_data" / "accounts.json")
    db.session.commit()
    return accounts


@pytest.mark.parametrize(
    "email,expect",
    [
        ("admin@demo.cn", "进入平台管理"),
        ("broker@demo.cn", "进入经纪人工作台"),
        ("enterprise@demo.cn", "发布技术需求"),
        ("researcher@demo.cn", "发布科技成果"),
    ],
)
def test_demo_account_logs_in_to_its_mine_page(client, demo, email, expect):
    resp = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert resp.status_code == 302
    html = client.get("/mine").get_data(as_text=True)
    assert expect in html


def test_every_role_has_a_demo_account(demo):
    roles = {a["role"] for a in demo}
    assert roles == {"管理员", "技术经纪人", "企业用户", "科研人员"}
    assert len(demo) == 10  # brokers for the Zhengzhou centre and its four branch centres
