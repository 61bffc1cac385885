"""Browser: an editor uploads a patent certificate from the edit page; visitors see it."""

import re

import pytest

from tests.attachments.conftest import pdf_bytes


@pytest.mark.browser
def test_upload_a_patent_certificate_from_the_edit_page(page, browser_login, people, db, upload_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    result = people["result"]
    browser_login(people["researcher"])
    page.goto(f"/results/{result.id}/edit")
    page.set_input_files(
        "#attachment-file",
        files=[{"name": "发明专利证书.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    page.check("#attachment-patent")
    page.click("#attachment-submit")
    page.wait_for_url(re.compile(rf"/results/{result.id}/edit$"))
    item = page.locator("[data-testid=attachment]")
    assert item.count() == 1
    assert "发明专利证书.pdf" in item.inner_text() and item.locator("[data-testid=patent-badge]").count() == 1
    assert "附件“发明专利证书.pdf”已上传" in page.content()
    # The public detail page lists it; the download is the very file.
    page.context.clear_cookies()
    page.goto(f"/results/{result.id}")
    link = page.get_by_role("link", name="发明专利证书.pdf")
    resp = page.request.get(link.get_attribute("href"))
    assert resp.status == 200 and resp.body() == pdf_bytes()
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert page.locator("[data-testid=attachment-upload]").count() == 0
