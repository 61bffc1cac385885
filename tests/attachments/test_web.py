"""附件 on the pages: upload by editors, downloads by visibility, 专利证书, delete, limits, files."""

import io

from sqlalchemy import func, select

from matchmaker.accounts.models import AuditLog
from matchmaker.attachments import services
from matchmaker.attachments.models import Attachment
from tests.attachments.conftest import docx_bytes, exe_bytes, pdf_bytes, png_bytes, stored_files


def _upload(client, posting, data, name, patent=False, **extra):
    form = {"file": (io.BytesIO(data), name)} | extra
    if patent:
        form["patent_certificate"] = "1"
    return client.post(
        f"/{posting.kind}s/{posting.id}/attachments", data=form, content_type="multipart/form-data"
    )


def _count(db):
    return db.session.scalar(select(func.count(Attachment.id)))


def test_editor_uploads_and_anyone_downloads_a_public_postings_file(
    app, client, login, people, db, upload_dir
):
    need = people["need"]
    login(people["enterprise"])
    resp = _upload(client, need, png_bytes(), "../现场照片.png")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/needs/{need.id}")
    att = db.session.scalars(select(Attachment)).one()
    assert att.original_name == "现场照片.png" and att.file_type == "png" and att.size == len(png_bytes())
    # Stored under a generated name, never the user's.
    assert stored_files(upload_dir) == [att.stored_name] and "现场" not in att.stored_name
    assert (upload_dir / att.stored_name).read_bytes() == png_bytes()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "attachment_upload")).target == (
        f"need:{need.id}"
    )
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "现场照片.png" in page and 'data-testid="attachment-upload"' in page

    client = app.test_client()  # anonymous
    anon = client.get(f"/needs/{need.id}")
    assert "现场照片.png" in anon.get_data(as_text=True)
    assert 'data-testid="attachment-upload"' not in anon.get_data(as_text=True)
    resp = client.get(f"/needs/{need.id}/attachments/{att.id}")
    assert resp.status_code == 200 and resp.data == png_bytes()
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E7%8E%B0" in resp.headers["Content-Disposition"]
    # The attachment belongs to that posting only.
    assert client.get(f"/results/{people['result'].id}/attachments/{att.id}").status_code == 404


def test_renamed_exe_is_refused_and_leaves_nothing(client, login, people, db, upload_dir):
    login(people["enterprise"])
    resp = _upload(client, people["need"], exe_bytes(), "专利证书.pdf", follow_redirects=False)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "不支持该文件类型" in page
    assert _count(db) == 0 and stored_files(upload_dir) == []


def test_size_and_count_limits(app, client, login, people, db, upload_dir):
    app.config["ATTACHMENT_MAX_BYTES"] = 2 * 1024 * 1024
    app.config["ATTACHMENT_MAX_COUNT"] = 2
    login(people["enterprise"])
    big = pdf_bytes() + b"0" * (2 * 1024 * 1024)
    resp = _upload(client, people["need"], big, "大文件.pdf")
    assert "文件超过 2 MB" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _count(db) == 0
    for name in ("a.pdf", "b.docx"):
        data = pdf_bytes() if name.endswith("pdf") else docx_bytes()
        assert _upload(client, people["need"], data, name).status_code == 302
    assert _count(db) == 2
    resp = _upload(client, people["need"], png_bytes(), "c.png")
    assert "每条最多上传 2 个附件" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _count(db) == 2 and len(stored_files(upload_dir)) == 2


def test_patent_certificate_is_marked_and_shown(client, login, people, db):
    result = people["result"]
    login(people["researcher"])
    _upload(client, result, pdf_bytes(), "发明专利证书.pdf", patent=True)
    _upload(client, result, png_bytes(), "样机.png")
    cert, photo = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert cert.patent_certificate and not photo.patent_certificate
    page = client.get(f"/results/{result.id}").get_data(as_text=True)
    assert page.count('data-testid="patent-badge"') == 1
    resp = client.post(
        f"/results/{result.id}/attachments/{photo.id}/patent", data={"patent_certificate": "1"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert photo.patent_certificate
    assert client.get(f"/results/{result.id}").get_data(as_text=True).count('data-testid="patent-badge"') == 2


def test_delete_removes_row_and_file_after_commit(client, login, people, db, upload_dir):
    login(people["enterprise"])
    _upload(client, people["need"], pdf_bytes(), "说明.pdf")
    att = db.session.scalars(select(Attachment)).one()
    path = upload_dir / att.stored_name
    assert path.exists()
    resp = client.post(f"/needs/{people['need'].id}/attachments/{att.id}/delete")
    assert resp.status_code == 302
    assert _count(db) == 0 and not path.exists()
    assert (
        db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "attachment_delete")) == 1
    )


def test_deleting_the_posting_removes_its_files(client, login, people, db, upload_dir):
    need = people["need"]
    login(people["enterprise"])
    _upload(client, need, pdf_bytes(), "说明.pdf")
    _upload(client, need, png_bytes(), "图.png")
    assert len(stored_files(upload_dir)) == 2
    resp = client.post(f"/needs/{need.id}/delete")
    assert resp.status_code == 302
    assert _count(db) == 0 and stored_files(upload_dir) == []


def test_a_rollback_removes_the_file_just_written(app, people, db, upload_dir):
    """The row and the file go together: no commit, no file."""
    kw = dict(base_dir=upload_dir, max_bytes=10**6, max_count=10)
    services.add_attachment(db.session, people["need"], people["enterprise"], "a.pdf", pdf_bytes(), **kw)
    assert len(stored_files(upload_dir)) == 1
    db.session.rollback()
    assert stored_files(upload_dir) == [] and _count(db) == 0
    # ...and a delete rolled back keeps both.
    att = services.add_attachment(
        db.session, people["need"], people["enterprise"], "b.pdf", pdf_bytes(), **kw
    )
    db.session.commit()
    services.delete_attachment(db.session, att, people["enterprise"])
    db.session.rollback()
    assert _count(db) == 1 and stored_files(upload_dir) == [att.stored_name]


def test_orphans_are_files_without_rows(app, people, db, upload_dir):
    kw = dict(base_dir=upload_dir, max_bytes=10**6, max_count=10)
    att = services.add_attachment(
        db.session, people["need"], people["enterprise"], "a.pdf", pdf_bytes(), **kw
    )
    db.session.commit()
    (upload_dir / "0123abcd.pdf").write_bytes(pdf_bytes())  # as left by a crash before a commit
    assert [p.name for p in services.orphans(db.session, upload_dir)] == ["0123abcd.pdf"]
    result = app.test_cli_runner().invoke(args=["attachments", "sweep", "--min-age", "0"])
    assert "已删除 1 个孤立文件" in result.output
    assert stored_files(upload_dir) == [att.stored_name]


# Who may download a draft result's attachment, and who may upload or delete (权限).
ROLES = ["anonymous", "researcher", "colleague", "other_researcher", "enterprise", "broker", "admin"]
CAN_VIEW_DRAFT = {"researcher", "colleague", "broker", "admin"}
CAN_EDIT = {"researcher", "colleague", "broker", "admin"}


def test_permission_matrix_for_a_draft_result(app, people, db, upload_dir):
    """One draft result, every role in turn (one fixture set-up: postings are embedded)."""
    from tests.factories import PASSWORD

    result = people["result"]
    result.status = "draft"
    kw = dict(base_dir=upload_dir, max_bytes=10**6, max_count=10)
    att = services.add_attachment(db.session, result, people["researcher"], "证书.pdf", pdf_bytes(), **kw)
    db.session.commit()
    base = f"/results/{result.id}/attachments"
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            client.post("/login", data={"email": people[role].email, "password": PASSWORD})
        download = client.get(f"{base}/{att.id}")
        assert download.status_code == (200 if role in CAN_VIEW_DRAFT else 403), role
        upload = _upload(client, result, png_bytes(), "x.png")
        if role in CAN_EDIT:
            assert upload.status_code == 302, role
            added = db.session.scalars(select(Attachment).where(Attachment.id != att.id)).one()
            assert client.post(f"{base}/{added.id}/delete").status_code == 302, role
        else:
            refused = client.post(f"{base}/{att.id}/delete")
            if role == "anonymous":
                assert "/login" in upload.headers["Location"] and "/login" in refused.headers["Location"]
            else:
                assert upload.status_code == 403 and refused.status_code == 403, role
        db.session.expire_all()
        assert _count(db) == 1 and stored_files(upload_dir) == [att.stored_name], role
