"""Start page and navigation shared by every role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from reporting.auth.access import policy_for, public
from reporting.core.clock import now
from reporting.core.models import ROLES
from reporting.core.schedule import Period, format_date_da, format_period_da
from reporting.skp.overview import worker_overview
from reporting.skp.tasks import TaskList, build_tasks

bp = Blueprint("main", __name__)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    group: str | None = None  # shown under this submenu (DKFDS overflow menu / mobile submenu)


@dataclass(frozen=True)
class NavGroup:
    label: str
    items: tuple[NavItem, ...]

    @property
    def key(self) -> str:
        return "nav-" + "".join(c for c in self.label.lower() if c.isalnum())


# Feature blueprints add their entries here; an item shows only to users its policy allows.
# Coordinators and admins see 4 top-level entries instead of 10-12: follow-up, data, administration.
NAV_ITEMS: list[NavItem] = [
    NavItem("main.index", "Forside"),
    NavItem("reports.overview", "Mine indberetninger"),
    NavItem("clients.index", "Mine klienter"),
    NavItem("surveys.index", "Spørgeskema om koordinering"),
    NavItem("coordinator.dashboard", "Overblik", "Opfølgning"),
    NavItem("quality.index", "Datakvalitet", "Opfølgning"),
    NavItem("coordinator.outbox", "Udbakke (påmindelser)", "Opfølgning"),
    NavItem("exports.index", "Udtræk til evaluatorerne", "Data og skemaer"),
    NavItem("effect.index", "Effektmåling", "Data og skemaer"),
    NavItem("questionnaires.index", "Spørgeskemaer (kodebog)", "Data og skemaer"),
    NavItem("survey_admin.index", "Spørgeskema om koordinering", "Data og skemaer"),
    NavItem("people.index", "Brugere", "Administration"),
    NavItem("organisation.index", "Organisation", "Administration"),
    NavItem("organisation.settings", "Indstillinger", "Administration"),
    NavItem("auditlog.index", "Log", "Administration"),
]


def navigation() -> list[NavItem]:
    """The navigation entries the current user may open."""
    items = []
    for item in NAV_ITEMS:
        policy = policy_for(current_app, item.endpoint)
        if policy is not None and item.endpoint in current_app.view_functions and policy.allows(current_user):
            items.append(item)
    return items


def navigation_menu() -> list[NavItem | NavGroup]:
    """The header menu: top-level entries and submenus, in NAV_ITEMS order; a group with one
    entry the user may open is shown as that entry."""
    entries: list[NavItem | NavGroup] = []
    groups: dict[str, list[NavItem]] = {}
    for item in navigation():
        if item.group is None:
            entries.append(item)
        elif item.group in groups:
            groups[item.group].append(item)
        else:
            groups[item.group] = [item]
            entries.append(NavGroup(item.group, ()))
    menu: list[NavItem | NavGroup] = []
    for entry in entries:
        members = groups.get(entry.label, []) if isinstance(entry, NavGroup) else []
        menu.append(entry if isinstance(entry, NavItem) else
                    members[0] if len(members) == 1 else NavGroup(entry.label, tuple(members)))
    return menu


def nav_active(entry: NavItem | NavGroup) -> bool:
    """The entry (or a page under it) is the one shown: same endpoint, or same blueprint below it."""
    endpoint = request.endpoint or ""
    items = entry.items if isinstance(entry, NavGroup) else (entry,)
    if any(item.endpoint == endpoint for item in items):
        return True
    blueprint = endpoint.partition(".")[0]
    return isinstance(entry, NavGroup) and any(item.endpoint.partition(".")[0] == blueprint for item in items)


@bp.route("/")
@public
def index():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    role_names = [ROLES[r] for r in ROLES if r in current_user.roles]
    tasks = _worker_tasks() if "skp" in current_user.roles else None
    return render_template("index.html", role_names=role_names, tasks=tasks, format_period=format_period_da,
                           format_date=format_date_da)


def _worker_tasks() -> TaskList:
    """The SKP worker's task list: the front page opens on what is due (issue 15)."""
    moment, day = now(), current_app.config["DEADLINE_DAY"]
    return build_tasks(worker_overview(current_user.id, moment, day), Period.containing(moment), day)


@bp.route("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    return {"status": "ok"}


# -- the pages every public service links from its footer -------------------------------------


@bp.route("/hjaelp")
@public
def help_page():  # type: ignore[no-untyped-def]
    """Help and contact: who to ask about what, also for someone who cannot log in."""
    return render_template("main/help.html")


@bp.route("/privatliv")
@public
def privacy():  # type: ignore[no-untyped-def]
    """What the service stores about staff and clients, why, for how long, and who to contact."""
    return render_template("main/privacy.html")


@bp.route("/tilgaengelighed")
@public
def accessibility():  # type: ignore[no-untyped-def]
    """The accessibility statement (tilgængelighedserklæring), a duty for public bodies' sites."""
    return render_template("main/accessibility.html")

