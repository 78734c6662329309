"""Start page and navigation shared by every role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from reporting.auth.access import policy_for, public
from reporting.core.models import ROLES

bp = Blueprint("main", __name__)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str


# Feature blueprints add their entries here; an item shows only to users its policy allows.
NAV_ITEMS: list[NavItem] = [
    NavItem("main.index", "Forside"),
    NavItem("reports.overview", "Mine indberetninger"),
    NavItem("clients.index", "Mine klienter"),
    NavItem("surveys.index", "Spørgeskema"),
    NavItem("coordinator.dashboard", "Overblik"),
    NavItem("quality.index", "Datakvalitet"),
    NavItem("exports.index", "Udtræk"),
    NavItem("questionnaires.index", "Spørgeskemaer"),
    NavItem("survey_admin.index", "Målinger"),
    NavItem("people.index", "Brugere"),
    NavItem("auditlog.index", "Log"),
    NavItem("coordinator.outbox", "Udbakke"),
    NavItem("organisation.index", "Organisation"),
    NavItem("organisation.settings", "Indstillinger"),
]


def navigation() -> list[NavItem]:
    """The navigation entries the current user may open."""
    items = []
    for item in NAV_ITEMS:
        policy = policy_for(current_app, item.endpoint)
        if policy is not None and item.endpoint in current_app.view_functions and policy.allows(current_user):
            items.append(item)
    return items


@bp.route("/")
@public
def index():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    role_names = [ROLES[r] for r in ROLES if r in current_user.roles]
    return render_template("index.html", role_names=role_names)


@bp.route("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    return {"status": "ok"}
