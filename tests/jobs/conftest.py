"""Real processes for the live-index tests: gunicorn web workers and `flask worker`,
sharing the test database and index directory. Every process is stopped by the fixture."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Procs:
    """Start/stop the platform's processes against the test app's database and indexes."""

    def __init__(self, app, database_url: str, tmp_path: Path):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MATCHMAKER_INDEX_DIR": str(app.config["INDEX_DIR"]),
            "MATCHMAKER_QUEUE_FILE": str(tmp_path / "huey.db"),
            "MATCHMAKER_SECRET_KEY": "live-test",
            "MATCHMAKER_JOBS": "worker",
            "MATCHMAKER_SECURE_COOKIES": "0",  # plain HTTP on loopback, as under `make run`
            "MATCHMAKER_AUTO_PROPOSE": "1",
            "MATCHMAKER_EMBEDDING_MODEL": str(app.config.get("EMBEDDING_MODEL") or ""),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.tmp_path = tmp_path
        self.procs: dict[str, subprocess.Popen] = {}
        self.url = ""

    def start_worker(self, *args: str, name: str = "worker") -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "ab")
        proc = subprocess.Popen(
            [str(BIN / "flask"), "--app", "matchmaker", "worker", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def worker_log(self, name: str = "worker") -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_web(self, workers: int = 2) -> str:
        port = free_port()
        log = open(self.tmp_path / "web.log", "ab")
        self.procs["web"] = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "2",
                "--no-control-socket",  # its default path is shared by every gunicorn of the user
                "matchmaker:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300  # a loaded CI box imports torch slowly
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=60).status_code == 200:
                    return self.url
            except requests.RequestException:
                pass
            assert self.procs["web"].poll() is None, (self.tmp_path / "web.log").read_text()[-3000:]
            time.sleep(0.3)
        raise AssertionError("gunicorn did not start: " + (self.tmp_path / "web.log").read_text()[-3000:])

    def pids(self, want: int, timeout: float = 30) -> set[int]:
        """Hit /healthz from new connections until `want` distinct web workers answered."""
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < want and time.monotonic() < deadline:
            seen.add(requests.get(self.url + "/healthz", timeout=120).json()["pid"])
        return seen

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM if name == "web" else signal.SIGKILL)


@pytest.fixture
def procs(app, database_url, tmp_path):
    p = Procs(app, database_url, tmp_path)
    yield p
    p.stop_all()


def login_session(url: str, email: str, password: str) -> requests.Session:
    """A requests session signed in through the login form (CSRF token read from the page)."""
    s = requests.Session()
    page = s.get(url + "/login", timeout=60).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = s.post(
        url + "/login",
        data={"email": email, "password": password, "csrf_token": token},
        timeout=60,
        allow_redirects=False,
    )
    assert resp.status_code == 302, resp.text[:300]
    return s
