"""The application factory: reads the settings and wires extensions, blueprints and hooks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from reporting import access, cli, errors, headers, input_guard, sessions
from reporting import clients_models as _clients_models  # noqa: F401 - registers the client tables (Alembic)
from reporting import database as _database  # noqa: F401 - registers the SQLite engine events
from reporting.config import Settings
from reporting.extensions import csrf, db, limiter, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment; ``overrides`` (tests) win over environment settings."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
    )
    overrides = overrides or {}
    settings = Settings.from_env(app.instance_path)
    app.config.from_mapping(settings.flask_config())
    app.config.from_mapping(overrides)
    if app.config["APP_ENV"] == "production" and app.debug:
        raise RuntimeError("refusing to run the debugger in production")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _init_extensions(app)
    _register_blueprints(app)
    sessions.init_app(app)  # the idle timeout runs before the access policy
    app.before_request(access.enforce_policy)
    input_guard.init_app(app)  # control characters get a Danish 400 before any view (PostgreSQL refuses NUL)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    _init_templates(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"


def _register_blueprints(app: Flask) -> None:
    from reporting import (
        assets,
        auditlog,
        auth,
        clients,
        coordinator,
        export_views,
        invitations,
        main,
        organisation,
        people,
        quality,
        questionnaires,
        reopen,
        reports,
        survey_admin,
        surveys,
    )

    for module in (main, auth, assets, clients, reports, coordinator, quality, people, invitations, organisation,
                   auditlog, reopen, questionnaires, surveys, survey_admin, export_views):
        app.register_blueprint(module.bp)


def _init_templates(app: Flask) -> None:
    from reporting.auth import LogoutForm
    from reporting.main import navigation
    from reporting.models import ROLES

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        return {"navigation": navigation, "logout_form": LogoutForm, "role_labels": ROLES}
