"""Strip markup, URLs and code-like strings from what ranking reads (去除标记与代码).

A title such as `<img src=x onerror=alert(1)>` is displayed escaped, as typed, but its
tags, attributes and calls must not become shared keywords ("onerror、script、alert").
Only ASCII code shapes are removed, so Chinese text with brackets stays intact.
"""

from __future__ import annotations

import html
import re

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!][^<>]*>|<!--.*?-->", re.DOTALL)
_URL = re.compile(
    r"(?:https?|ftp)://\S+|www\.[A-Za-z0-9.-]+\S*|(?:javascript|data|vbscript):\S*", re.IGNORECASE
)
# on*= handlers and the usual markup attributes, quoted or not.
_ATTR = re.compile(
    r"\b(?:on[a-z]+|href|src|style|class|id)\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE
)
# name(args) with an ASCII name and no Chinese inside: alert(1), document.write('x'), $()
_CALL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]*\([^()\u3400-\u9fff]*\)")
_BACKTICKS = re.compile(r"`{1,3}[^`]*`{1,3}")
_BRACES = re.compile(r"\{[^{}\u3400-\u9fff]*\}")
_SPACES = re.compile(r"[ \t]+")


def strip_markup(text: str | None) -> str:
    """The text without HTML/XML tags, script bodies, URLs, inline code and code calls."""
    if not text:
        return ""
    text = html.unescape(text)
    for pattern in (_SCRIPT, _TAG, _URL, _BACKTICKS, _ATTR, _CALL, _BRACES):
        text = pattern.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
