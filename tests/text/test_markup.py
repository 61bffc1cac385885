"""Markup, URLs and code-like strings never reach tokens or embeddings; Chinese text stays."""

import pytest

from matchmaker.text import strip_markup, tokenize


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert('x')</script>数控机床热误差补偿",
        "<img src=x onerror=alert(1)>数控机床热误差补偿",
        "数控机床热误差补偿 https://example.com/a?b=c www.evil.cn/x",
        '数控机床热误差补偿 `rm -rf /` javascript:void(0) {"a": 1}',
        "&lt;script&gt;alert(document.cookie)&lt;/script&gt;数控机床热误差补偿",
    ],
)
def test_code_and_markup_leave_no_tokens(raw):
    tokens = set(tokenize(raw))
    assert tokens == set(tokenize("数控机床热误差补偿"))
    for junk in ("script", "alert", "img", "onerror", "src", "https", "example.com", "javascript", "cookie"):
        assert junk not in tokens, (junk, tokens)


def test_chinese_brackets_and_plain_latin_terms_survive():
    text = "基于PLC的产线控制（含 PID 参数整定）与 5G 通信, pH=7 的废水处理"
    assert strip_markup(text) == text
    assert {"plc", "pid", "5g"} <= set(tokenize(text))


def test_posting_text_is_stripped(db):
    from tests import factories

    need = factories.need("<b>精密</b>磨削<script>alert(1)</script>工艺优化", keywords=["磨削"])
    assert "<" not in need.text and "alert" not in need.text and "精密" in need.text
