"""The application factory: reads the settings and wires extensions, blueprints and hooks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_compress import Compress
from werkzeug.routing import IntegerConverter

from reporting import cli
from reporting.auth import access, input_guard, sessions
from reporting.core import database as _database  # noqa: F401 - registers the SQLite engine events
from reporting.core import errors, headers
from reporting.core.config import Settings
from reporting.core.extensions import csrf, db, limiter, login_manager, mail, migrate
from reporting.core.proxies import TrustedProxies, parse_networks
from reporting.skp import models as _clients_models  # noqa: F401 - registers the client tables (Alembic)

ROOT = Path(__file__).resolve().parent.parent
#: The largest id a route accepts: PostgreSQL's int4 (and far below SQLite's 2^63).
MAX_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    """``<int:…>`` in every route: a number beyond the id columns' range is 404, not a database error."""

    def __init__(self, map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


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
    app.url_map.converters["int"] = BoundedInt
    app.wsgi_app = TrustedProxies(app.wsgi_app, parse_networks(app.config.get("TRUSTED_PROXIES", "")))  # type: ignore[method-assign]
    _init_extensions(app)
    _init_compression(app)
    _register_blueprints(app)
    _init_parking(app)
    sessions.init_app(app)  # the session lifetime runs before the access policy
    app.before_request(access.enforce_policy)
    input_guard.init_app(app)  # control characters get a Danish 400 before any view (PostgreSQL refuses NUL)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    _cleanup_exports(app)
    _init_templates(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    # "basic", not "strong": a session is not bound to the client's address (D25), so a phone
    # moving from Wi-Fi to 4G stays logged in; a stolen cookie is limited by the idle timeout,
    # the absolute lifetime (reporting/auth/sessions.py) and the server-side session version.
    login_manager.session_protection = "basic"


def _init_compression(app: Flask) -> None:
    """Pages and JSON compressed on the fly (Brotli or gzip, flask-compress). Static and package files
    come precompressed from reporting/assets.py; file downloads and other streams are left alone."""
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "application/json"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 1000)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)


def _register_blueprints(app: Flask) -> None:
    from reporting import assets, main
    from reporting.audit import views as audit_views
    from reporting.auth import invitations, login, mfa, password_reset, sso
    from reporting.coordination import dashboard, organisation, outbox, people, quality, transfers
    from reporting.evaluation import effect as effect_page
    from reporting.evaluation import views as export_views
    from reporting.questionnaires import views as questionnaire_views
    from reporting.skp import clients, reopen, reports
    from reporting.surveys import admin as survey_admin
    from reporting.surveys import views as survey_views

    for module in (main, login, assets, clients, reports, dashboard, quality, people, invitations, organisation,
                   audit_views, reopen, questionnaire_views, survey_views, survey_admin, export_views, transfers,
                   outbox, mfa, password_reset, sso):
        app.register_blueprint(module.bp)
    app.register_blueprint(effect_page.bp)  # Effektmåling (D26)
    assets.init_app(app)


def _cleanup_exports(app: Flask) -> None:
    """At start: export files left by a stopped process are deleted (also by ``flask cleanup``)."""
    from reporting.evaluation.views import cleanup, export_dir

    cleanup(export_dir(app.instance_path))


def _init_parking(app: Flask) -> None:
    """What a post sent after a login timed out may be kept for (reporting/auth/sessions.py):
    one of the worker's own clients, a survey wave the caseworker may answer."""
    from reporting.skp.clients import own_clients
    from reporting.skp.models import Client
    from reporting.surveys.models import SurveyWave
    from reporting.surveys.waves import may_answer

    def own_client(user: Any, system_number: str, month: str) -> bool:
        return db.session.scalar(own_clients(user.id).where(Client.system_number == system_number)) is not None

    def answerable(user: Any, wave_id: int) -> bool:
        wave = db.session.get(SurveyWave, wave_id)
        return wave is not None and may_answer(wave, user)

    sessions.park_check(app, "reports.report_form", own_client)
    sessions.park_check(app, "surveys.answer", answerable)


def _init_templates(app: Flask) -> None:
    from reporting.auth.login import LogoutForm
    from reporting.core.models import ROLES
    from reporting.main import NavGroup, nav_active, navigation, navigation_menu

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        # formdata=None: rendering a page (also the 413 page) must never read the request body.
        return {"navigation": navigation, "logout_form": lambda: LogoutForm(formdata=None), "role_labels": ROLES,
                "navigation_menu": navigation_menu, "nav_active": nav_active, "NavGroup": NavGroup}
