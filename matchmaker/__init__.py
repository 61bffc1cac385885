"""技术转移撮合平台 (Matchmaker): technology-transfer matchmaking for Henan."""

from __future__ import annotations

import importlib
import logging

from flask import Flask

from matchmaker.config import PROJECT_ROOT, Config

# One blueprint per area; each module exposes `bp`.
BLUEPRINTS = [
    "matchmaker.main.views",
    "matchmaker.accounts.views",
    "matchmaker.postings.views",
    "matchmaker.matching.views",
    "matchmaker.review.views",
    "matchmaker.challenges.views",
    "matchmaker.roadshow.views",
    "matchmaker.admin.views",
    "matchmaker.providers.views",
    "matchmaker.scenarios.views",
    "matchmaker.trading.views",
    "matchmaker.filings.views",
    "matchmaker.contact.views",
    "matchmaker.following.views",
    "matchmaker.dashboards.views",
    "matchmaker.api",
    "matchmaker.jobs.views",
    "matchmaker.attachments.views",
    "matchmaker.exchange.views",
]

# Each module exposes `register(app)` adding its click commands.
CLI_MODULES = [
    "matchmaker.postings.cli",
    "matchmaker.matching.cli",
    "matchmaker.review.cli",
    "matchmaker.challenges.cli",
    "matchmaker.roadshow.cli",
    "matchmaker.admin.cli",
    "matchmaker.jobs.cli",
    "matchmaker.providers.cli",
    "matchmaker.trading.cli",
    "matchmaker.filings.cli",
    "matchmaker.following.cli",
    "matchmaker.dashboards.cli",
    "matchmaker.store.cli",  # after matching.cli: adds to its `index` group
    "matchmaker.attachments.cli",
    "matchmaker.exchange.cli",
]

# Imported so every table is known to SQLAlchemy and Alembic.
MODEL_MODULES = [
    "matchmaker.accounts.models",
    "matchmaker.postings.models",
    "matchmaker.notifications.models",
    "matchmaker.matching.models",
    "matchmaker.review.models",
    "matchmaker.challenges.models",
    "matchmaker.roadshow.models",
    "matchmaker.submissions.models",
    "matchmaker.providers.models",
    "matchmaker.scenarios.models",
    "matchmaker.trading.models",
    "matchmaker.trading.investors",
    "matchmaker.trading.rights",
    "matchmaker.trading.conversions",
    "matchmaker.filings.models",
    "matchmaker.contact.models",
    "matchmaker.following.models",
    "matchmaker.attachments.models",
    "matchmaker.dashboards.models",
    "matchmaker.exchange.models",
]

# What follows a commit, in this order, for each batch of the index change log (索引 → 推荐 →
# 通知). Each step is `step(app, session, batch)`; see matchmaker.pipeline.
PIPELINE = [
    "matchmaker.matching.hooks:index_changes",
    "matchmaker.review.hooks:propose_changes",
    "matchmaker.review.hooks:notify_changes",
    "matchmaker.following.hooks:alert_subscribers",
]


def create_app(config: Config | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    register_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    register_flush_hooks(app)
    register_pipeline(app)
    register_schedule(app)
    return app


def register_config(app: Flask, config: Config | dict | None) -> None:
    if config is None:
        config = Config(instance_path=app.instance_path)
    elif isinstance(config, dict):
        config = Config(instance_path=config.pop("INSTANCE_PATH", app.instance_path), **config)
    app.config.from_object(config)
    # Libraries (faiss, bm25s, alembic) are chatty at INFO; the platform's own logs stay at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("matchmaker").setLevel(logging.INFO)


def register_extensions(app: Flask) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from matchmaker.extensions import csrf, db, login_manager, migrate, sqlite_for_several_processes

    for name in MODEL_MODULES:
        importlib.import_module(name)
    db.init_app(app)
    if not event.contains(Engine, "connect", sqlite_for_several_processes):
        event.listen(Engine, "connect", sqlite_for_several_processes)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    from matchmaker.security import load_user, load_user_from_request

    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)


def register_blueprints(app: Flask) -> None:
    from matchmaker import security

    security.register_converters(app)  # bounded <int:…> ids, before any rule is added
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)


# Derived tables kept in step inside the writing transaction, on every flush (派生表).
FLUSH_HOOKS = [
    "matchmaker.dashboards.facts:init",  # dashboard_need_facts: one row per need
]

# What the background worker runs on a timetable (定时任务), as (name, cron "m h dom mon dow"
# in UTC, huey's clock, "module:function"). Each function is `fn(session) -> summary`; the job
# commits after it. `flask jobs run NAME` runs one now. 16:05 UTC is 00:05 北京时间.
SCHEDULE = [
    ("auctions.close_due", "* * * * *", "matchmaker.trading.services:close_due_auctions"),
    ("needs.close_expired", "5 16 * * *", "matchmaker.postings.services:close_expired_needs_job"),
    ("roadshow.resume_solves", "* * * * *", "matchmaker.roadshow.services:resume_stalled_solves"),
    ("filings.remind", "5 1 * * *", "matchmaker.filings.services:remind_overdue_job"),
    ("following.digest", "30 0 * * 1", "matchmaker.following.services:send_digests_job"),
    ("exchange.sync", "*/15 * * * *", "matchmaker.exchange.services:sync_job"),
    ("index.maintain_store", "*/5 * * * *", "matchmaker.matching.store_view:maintain_job"),
]

# Long actions the web hands to the worker (后台任务), as (name, "module:function"). Each is
# `fn(session, *args)`, writes its own progress to the database and commits its work;
# `jobs.submit(app, name, *args)` queues one (a thread in the web process when JOBS=inline).
TASKS = [
    ("roadshow.solve", "matchmaker.roadshow.services:run_plan_job"),
    ("postings.import", "matchmaker.postings.import_jobs:run_job"),
]


def register_security(app: Flask) -> None:
    from matchmaker import security

    security.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from matchmaker import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from matchmaker import templating

    templating.init_app(app)


def register_cli(app: Flask) -> None:
    for name in CLI_MODULES:
        importlib.import_module(name).register(app)


def register_pipeline(app: Flask) -> None:
    from matchmaker import pipeline

    pipeline.init_app(app, PIPELINE)


def register_schedule(app: Flask) -> None:
    from matchmaker import jobs

    jobs.init_app(app, SCHEDULE, TASKS)


def register_flush_hooks(app: Flask) -> None:
    for target in FLUSH_HOOKS:
        module, _, attr = target.partition(":")
        getattr(importlib.import_module(module), attr)()
