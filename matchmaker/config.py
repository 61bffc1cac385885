"""Configuration from the environment, with sane defaults (配置)."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _secret_key(instance_path: Path) -> str:
    """Secret key from MATCHMAKER_SECRET_KEY, else a generated instance file; never from code."""
    key = os.environ.get("MATCHMAKER_SECRET_KEY")
    if key:
        return key
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, key_file)
    return key_file.read_text().strip()


class Config:
    """Defaults; every value can be overridden from the environment."""

    def __init__(self, instance_path: Path | None = None, **overrides):
        instance = Path(instance_path or PROJECT_ROOT / "instance")
        env = os.environ.get
        self.INSTANCE_PATH = instance
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{instance / 'matchmaker.db'}")
        # Keep Chinese readable inside JSON columns (and searchable with LIKE).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": _json_dumps}
        self.SECRET_KEY = overrides.pop("SECRET_KEY", None) or _secret_key(instance)
        self.INDEX_DIR = Path(env("MATCHMAKER_INDEX_DIR", PROJECT_ROOT / "indexes"))
        # embedded (FAISS + BM25 files) | milvus-lite:///path/file.db | milvus://host:19530
        self.VECTOR_STORE = env("MATCHMAKER_VECTOR_STORE", "embedded")
        # seconds to wait for Milvus before search is reported degraded
        self.VECTOR_STORE_TIMEOUT = float(env("MATCHMAKER_VECTOR_STORE_TIMEOUT", "5"))
        # Empty means the packaged default model (see matchmaker.matching.embeddings).
        self.EMBEDDING_MODEL = env("MATCHMAKER_EMBEDDING_MODEL", "")
        self.SEED_DIR = Path(env("MATCHMAKER_SEED_DIR", PROJECT_ROOT / "seed_data"))
        self.SHARED_DIR = Path(env("MATCHMAKER_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
        # Above this many vectors an index switches from flat to HNSW search.
        self.ANN_THRESHOLD = int(env("MATCHMAKER_ANN_THRESHOLD", "20000"))
        self.PAGE_SIZE = int(env("MATCHMAKER_PAGE_SIZE", "20"))
        # Proposals (推荐) run automatically when a need or result is published or changed.
        self.AUTO_PROPOSE = env("MATCHMAKER_AUTO_PROPOSE", "1") == "1"
        self.PROPOSE_TOP = int(env("MATCHMAKER_PROPOSE_TOP", "10"))
        # Post-commit work (indexing, proposals): "worker" = `flask worker` does it in the
        # background (make run); "inline" = the committing process drains the change log itself.
        self.JOBS = env("MATCHMAKER_JOBS", "inline")
        # Job queue: Redis when set (e.g. redis://127.0.0.1:6379/0), else SQLite in the instance folder.
        self.REDIS_URL = env("REDIS_URL", "")
        self.QUEUE_FILE = Path(env("MATCHMAKER_QUEUE_FILE", instance / "huey.db"))
        # Change-log rows per worker batch (embedded together, committed together).
        self.INDEX_BATCH = int(env("MATCHMAKER_INDEX_BATCH", "256"))

        # Security basics (等保 2.0).
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Secure cookies (HTTPS only) everywhere but development and tests; see README.
        self.ENV_NAME = env("MATCHMAKER_ENV", "production")
        development = self.ENV_NAME == "development" or overrides.get("TESTING")
        self.SESSION_COOKIE_SECURE = env("MATCHMAKER_SECURE_COOKIES", "0" if development else "1") == "1"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.IDLE_TIMEOUT = timedelta(minutes=int(env("MATCHMAKER_IDLE_MINUTES", "30")))
        self.PERMANENT_SESSION_LIFETIME = self.IDLE_TIMEOUT
        self.MAX_FAILED_LOGINS = int(env("MATCHMAKER_MAX_FAILED_LOGINS", "5"))
        self.LOCKOUT = timedelta(minutes=int(env("MATCHMAKER_LOCKOUT_MINUTES", "15")))
        # Request-size limit: bodies and uploads above it answer 413 before they are parsed.
        self.MAX_CONTENT_LENGTH = int(env("MATCHMAKER_MAX_REQUEST_MB", "16")) * 1024 * 1024
        # 附件: files on postings, stored under generated names in this directory.
        self.UPLOAD_DIR = Path(env("MATCHMAKER_UPLOAD_DIR", instance / "uploads"))
        self.ATTACHMENT_MAX_BYTES = int(env("MATCHMAKER_ATTACHMENT_MAX_MB", "10")) * 1024 * 1024
        self.ATTACHMENT_MAX_COUNT = int(env("MATCHMAKER_ATTACHMENTS_PER_POSTING", "10"))
        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None

        # 成果登记汇交: days after project acceptance (项目验收) within which a result must be filed
        # (docs/filings.md); past it the filing is listed as overdue and reminded daily.
        self.FILING_DEADLINE_DAYS = int(env("MATCHMAKER_FILING_DEADLINE_DAYS", "90"))

        # Email outbox: off unless an SMTP host is configured.
        self.SMTP_HOST = env("MATCHMAKER_SMTP_HOST", "")
        self.SMTP_PORT = int(env("MATCHMAKER_SMTP_PORT", "25"))
        self.SMTP_USER = env("MATCHMAKER_SMTP_USER", "")
        self.SMTP_PASSWORD = env("MATCHMAKER_SMTP_PASSWORD", "")
        self.MAIL_FROM = env("MATCHMAKER_MAIL_FROM", "noreply@matchmaker.local")

        for key, value in overrides.items():
            setattr(self, key, value)
