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
    "matchmaker.api",
]

# Each module exposes `register(app)` adding its click commands.
CLI_MODULES = [
    "matchmaker.postings.cli",
    "matchmaker.matching.cli",
    "matchmaker.review.cli",
    "matchmaker.challenges.cli",
    "matchmaker.roadshow.cli",
    "matchmaker.admin.cli",
    "matchmaker.store.cli",  # after matching.cli: adds to its `index` group
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
    from matchmaker.extensions import csrf, db, login_manager, migrate

    for name in MODEL_MODULES:
        importlib.import_module(name)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    from matchmaker.accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id))


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)


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
