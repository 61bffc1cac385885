"""Request signatures between partner installations (HMAC-SHA256, see docs/exchange.md).

The string to sign is six lines: METHOD, path, query string (as sent), timestamp (Unix
seconds), nonce, and the SHA-256 hex digest of the body (of b"" for a GET). The signature
is the hex HMAC-SHA256 of that string under the partner's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

KEY_HEADER = "X-Exchange-Key"
TIMESTAMP_HEADER = "X-Exchange-Timestamp"
NONCE_HEADER = "X-Exchange-Nonce"
SIGNATURE_HEADER = "X-Exchange-Signature"
WINDOW_SECONDS = 300


def string_to_sign(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, query, timestamp, nonce, hashlib.sha256(body or b"").hexdigest()])


def signature(
    secret: str, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    message = string_to_sign(method, path, query, timestamp, nonce, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_headers(
    key_id: str, secret: str, method: str, path: str, query: str = "", body: bytes = b""
) -> dict:
    """Headers for one signed request (a fresh nonce each time)."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        KEY_HEADER: key_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(secret, method, path, query, timestamp, nonce, body),
    }


def new_key() -> tuple[str, str]:
    """A fresh (key id, secret) pair; the partner is given "<key id>.<secret>"."""
    return secrets.token_hex(8), secrets.token_urlsafe(32)


def split_key(key: str) -> tuple[str, str]:
    key_id, sep, secret = (key or "").strip().partition(".")
    if not sep or not key_id or len(secret) < 20 or len(key_id) > 32 or len(secret) > 100:
        raise ValueError("密钥格式应为 <编号>.<密钥>，请完整复制对方执行 exchange issue-key 时打印的内容")
    return key_id, secret


def timestamp_ok(raw: str, now: float | None = None) -> bool:
    try:
        ts = int(raw)
    except (TypeError, ValueError):
        return False
    return abs((now or time.time()) - ts) <= WINDOW_SECONDS


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
