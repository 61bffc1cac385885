"""附件 through /api/v1: the same rules as the pages (parity), errors naming the field."""

import io

from sqlalchemy import func, select

from matchmaker.attachments.models import Attachment
from tests.attachments.conftest import exe_bytes, pdf_bytes, stored_files, xlsx_bytes
from tests.factories import PASSWORD


def test_a_signed_in_browser_cannot_upload_through_the_api(app, people, db):
    """A cross-site form could send multipart with the session cookie: the API refuses it."""
    c = app.test_client()
    c.post("/login", data={"email": people["enterprise"].email, "password": PASSWORD})
    resp = _post(c, f"/api/v1/needs/{people['need'].id}/attachments", pdf_bytes(), "a.pdf")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "body"
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def _client(app, user=None):
    """A program with a read-write personal access token (anonymous when no user): multipart
    writes to the API come from programs; browsers upload through the page's form (CSRF)."""
    from flask.testing import FlaskClient

    from matchmaker.accounts.services import create_token
    from matchmaker.extensions import db

    if user is None:
        return app.test_client()
    _row, token = create_token(db.session, user, "附件测试", "read write", 1)
    db.session.commit()

    class Client(FlaskClient):
        def open(self, *args, **kw):
            kw.setdefault("headers", {})["Authorization"] = f"Bearer {token}"
            return super().open(*args, **kw)

    app.test_client_class = Client
    try:
        return app.test_client()
    finally:
        app.test_client_class = None


def _post(c, url, data, name, **form):
    return c.post(url, data={"file": (io.BytesIO(data), name)} | form, content_type="multipart/form-data")


def test_upload_list_download_delete(app, people, db, upload_dir):
    result = people["result"]
    base = f"/api/v1/results/{result.id}/attachments"
    owner = _client(app, people["researcher"])
    resp = _post(owner, base, pdf_bytes(), "发明专利证书.pdf", patent_certificate="true")
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert item["filename"] == "发明专利证书.pdf" and item["patent_certificate"] is True
    assert item["type"] == "pdf" and item["size"] == len(pdf_bytes())
    resp = _post(owner, base, xlsx_bytes(), "参数表.xlsx")
    assert resp.status_code == 201 and resp.get_json()["patent_certificate"] is False
    # The external id works as the reference too, like every posting route.
    listed = _client(app).get(f"/api/v1/results/{result.external_id}/attachments").get_json()["items"]
    assert [a["filename"] for a in listed] == ["发明专利证书.pdf", "参数表.xlsx"]

    download = _client(app).get(item["url"])
    assert download.status_code == 200 and download.data == pdf_bytes()
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")

    assert owner.delete(item["url"]).status_code == 204
    assert _client(app).get(item["url"]).status_code == 404
    assert len(stored_files(upload_dir)) == 1
    # The page shows what the API wrote (parity).
    page = _client(app).get(f"/results/{result.id}").get_data(as_text=True)
    assert "参数表.xlsx" in page and "发明专利证书.pdf" not in page


def test_errors_name_the_field(app, people, db, upload_dir):
    base = f"/api/v1/needs/{people['need'].id}/attachments"
    owner = _client(app, people["enterprise"])
    resp = _post(owner, base, exe_bytes(), "setup.pdf")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["field"] == "file" and "不支持该文件类型" in error["message"]
    resp = owner.post(base, json={"file": "x"})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "file"
    app.config["ATTACHMENT_MAX_BYTES"] = 1024 * 1024
    resp = _post(owner, base, pdf_bytes() + b"0" * 1024 * 1024, "big.pdf")
    assert resp.status_code == 400 and "文件超过 1 MB" in resp.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(Attachment.id))) == 0 and stored_files(upload_dir) == []
    assert _client(app).get("/api/v1/needs/999999/attachments").status_code == 404


def test_who_may_write_and_read(app, people, db, upload_dir):
    result = people["result"]
    base = f"/api/v1/results/{result.id}/attachments"
    assert _post(_client(app, people["colleague"]), base, pdf_bytes(), "a.pdf").status_code == 201
    url = f"{base}/{db.session.scalar(select(Attachment.id))}"
    assert _client(app).post(base).status_code == 401  # anonymous
    assert _client(app).delete(url).status_code == 401
    for role in ("other_researcher", "enterprise"):
        c = _client(app, people[role])
        assert _post(c, base, pdf_bytes(), "b.pdf").status_code == 403, role
        assert c.delete(url).status_code == 403, role
        assert c.get(url).status_code == 200, role  # a published result's file is public
    result.status = "draft"
    db.session.commit()
    for role in (None, "other_researcher", "enterprise"):
        c = _client(app, people[role] if role else None)
        assert c.get(url).status_code == 403 and c.get(base).status_code == 403, role
    for role in ("researcher", "broker", "admin"):
        assert _client(app, people[role]).get(url).status_code == 200, role
    assert _client(app, people["broker"]).delete(url).status_code == 204
