"""沿黄交换 sync at scale: B serves N public results, A pulls them all, then replays the whole
feed from cursor 0 and must add no duplicate (issue 16, Deliver 4).

`python -m matchmaker.bench exchange` (N = EXCHANGE_BENCH_SIZE, default 10000). Both
installations are real apps with their own SQLite databases (B on EXCHANGE_BENCH_B_URL if set,
e.g. PostgreSQL), B served over HTTP; indexing is left to the worker (JOBS=worker) so the
figure is the exchange itself, not the embedding of 10,000 postings.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select


def _app(url: str, root: Path):
    from matchmaker import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": root / "instance",
            "INDEX_DIR": root / "indexes",
            "JOBS": "worker",
            "AUTO_PROPOSE": False,
        }
    )


def main(size: int | None = None) -> None:
    from werkzeug.serving import make_server

    from matchmaker.accounts.models import Organization
    from matchmaker.exchange import services
    from matchmaker.extensions import db
    from matchmaker.postings.models import Field, Result

    size = size or int(os.environ.get("EXCHANGE_BENCH_SIZE", "10000"))
    root = Path(tempfile.mkdtemp(prefix="mm-exchange-bench-"))
    a = _app(f"sqlite:///{root / 'a.db'}", root / "a")
    b = _app(os.environ.get("EXCHANGE_BENCH_B_URL") or f"sqlite:///{root / 'b.db'}", root / "b")
    for app in (a, b):
        with app.app_context():
            db.drop_all()
            db.create_all()
            db.session.add(Field(name="现代农业"))
            db.session.commit()
    with b.app_context():
        org = Organization(name="乙省农业大学", type="高校", region="洛阳")
        field = db.session.scalar(select(Field))
        started = time.perf_counter()
        for start in range(0, size, 1000):
            db.session.add_all(
                Result(
                    external_id=f"B{i:06d}",
                    title=f"黄河流域农业技术成果第 {i} 号",
                    description=f"面向沿黄地区的第 {i} 项农业技术，适合中小企业转化应用。",
                    field=field,
                    organization=org,
                    maturity="中试",
                    contact_phone="13800000000",
                )
                for i in range(start, min(size, start + 1000))
            )
            db.session.commit()
        print(f"B: {size} 条公开成果写入用时 {time.perf_counter() - started:.1f} s", flush=True)
        _, key = services.issue_key(db.session, "A")
        db.session.commit()
    server = make_server("127.0.0.1", 0, b, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with a.app_context():
            partner = services.add_partner(db.session, "B", f"http://127.0.0.1:{server.server_port}", key)
            db.session.commit()
            for label in ("首次同步", "从游标 0 全量重放"):
                started = time.perf_counter()
                report = services.sync_partner(db.session, partner)
                db.session.commit()
                took = time.perf_counter() - started
                count = db.session.scalar(
                    select(func.count()).select_from(Result).where(Result.origin == "B")
                )
                print(
                    f"A {label}: {report.summary()}；{report.pages} 页，用时 {took:.1f} s"
                    f"（{size / took:.0f} 条/秒）；A 中来自 B 的成果 {count} 条",
                    flush=True,
                )
                assert report.error is None and count == size, "同步不完整或出现重复"
                partner.cursor = 0
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
