"""The audit log reads in Chinese: action, object, who, and Beijing time."""

from datetime import datetime

from matchmaker.accounts.models import AuditLog
from matchmaker.accounts.services import audit


def test_audit_log_names_actions_objects_and_people_in_chinese(client, login, people, db):
    broker, need = people["broker"], people["need"]
    entry = audit(db.session, "roadshow.publish", broker, "roadshow:3", "version 1")
    entry.at = datetime(2026, 5, 1, 8, 20)  # stored UTC
    audit(db.session, "posting_edit", broker, f"need:{need.id}")
    audit(db.session, "permission_denied", None, "POST /admin/users")
    db.session.commit()
    login(people["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert ">发布路演日程</td>" in html and "第 1 版" in html and "version 1" not in html
    assert "2026-05-01 16:20:00" in html and "时间（北京时间）" in html
    assert f"技术需求「{need.title}」(#{need.id})" in html
    assert f"{broker.name}（技术经纪人，{broker.email}）" in html
    assert "访问 /admin/users（POST）" in html and "系统 / 未登录" in html
    assert db.session.query(AuditLog).count() >= 3
