"""Type by content (magic bytes, Office parts), never by the name; safe stored names."""

import io
import zipfile

import pytest

from matchmaker.attachments.services import safe_filename, sniff
from tests.attachments.conftest import (
    WORD_MACRO,
    docx_bytes,
    exe_bytes,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    pptx_bytes,
    xlsx_bytes,
)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (png_bytes, "png"),
        (jpeg_bytes, "jpeg"),
        (pdf_bytes, "pdf"),
        (docx_bytes, "docx"),
        (xlsx_bytes, "xlsx"),
        (pptx_bytes, "pptx"),
    ],
)
def test_accepted_types_are_recognised_by_content(make, expected):
    assert sniff(make()).name == expected


def _zip(**parts) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in parts.items():
            z.writestr(name.replace("__", "/"), text)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        exe_bytes(),  # an .exe, whatever it is called
        b"",
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00",  # an image type not on the list
        b"PK\x03\x04 not really a zip",
        _zip(word__document_xml="<w:document/>"),  # a zip without [Content_Types].xml
        _zip(**{"[Content_Types].xml": "<Types/>", "evil.exe": "MZ"}),  # no Office main part
        docx_bytes(WORD_MACRO),  # a macro-enabled .docm renamed .docx
    ],
)
def test_other_content_is_refused(data):
    assert sniff(data) is None


def test_pdf_header_must_be_at_the_start():
    assert sniff(b"MZ" + pdf_bytes()) is None


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("专利证书.pdf", "pdf", "专利证书.pdf"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\证书.png", "png", "证书.png"),
        ('a"b;c\r\n.pdf', "pdf", "a_b_c.pdf"),
        ("setup.exe", "pdf", "setup.pdf"),  # the extension follows the content
        ("", "docx", "附件.docx"),
        ("x" * 300 + ".pdf", "pdf", "x" * 100 + ".pdf"),
    ],
)
def test_original_names_are_sanitised(name, kind, expected):
    from matchmaker.attachments.services import TYPES

    assert safe_filename(name, TYPES[kind]) == expected
