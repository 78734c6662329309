"""Users of a scope: invitations (single-use, expiring), roles and units, deactivation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from reporting.auth.invitations import claim, find_valid, token_hash
from reporting.auth.models import Invitation
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, OutboxMail, Unit, User

import coord_seed as seed
import factories
from support import csrf_token, login, post_form

T0 = seed.at(2026, 11, 2, 9, 0)
LINK_RE = re.compile(r"http://127\.0\.0\.1:5000/invitation/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def clocked(make_app) -> Flask:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=T0)
    with app.app_context():
        factories.user("coordinator", email="tovholder@example.com", unit_name="Team Vest")
        factories.unit("Esbjerg", "Team Øst")
        factories.user("coordinator", email="odense@example.com", municipality_name="Odense")
        factories.user("coordinator", email="evaluator@example.com", municipality_name=None)
        factories.user("admin", email="admin@example.com", municipality_name=None)
    return app


def as_user(app: Flask, email: str, password: str = factories.PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def unit_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.name == name))


def invite(app: Flask, client: FlaskClient, email: str = "ny@example.com", roles: tuple[str, ...] = ("skp",),
           placement: str | None = None):  # type: ignore[no-untyped-def]
    placement = placement or f"u:{unit_id(app, 'Team Øst')}"
    return post_form(client, "/coordinator/users/invite",
                     {"name": "Nina Ny", "email": email, "roles": list(roles), "placement": placement})


def post_link(client: FlaskClient, token: str, new: str, repeat: str | None = None):  # type: ignore[no-untyped-def]
    """Post the password form of an invitation link, with the CSRF token of a page the client can open."""
    path = f"/invitation/{token}"
    page = client.get(path)
    source = path if page.status_code == 200 else "/login"
    data = {"csrf_token": csrf_token(client, source), "new": new, "repeat": new if repeat is None else repeat}
    return client.post(path, data=data)


def delivered_token(app: Flask, recipient: str) -> str:
    messages = [m for m in app.extensions["mailman"].outbox if recipient in m.to]
    match = LINK_RE.search(messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def test_a_coordinator_invites_a_user_who_chooses_a_password_once(clocked: Flask) -> None:
    coordinator = as_user(clocked, "tovholder@example.com")
    assert invite(clocked, coordinator).status_code == 302
    with clocked.app_context():
        user = User.by_email("ny@example.com")
        assert user.roles == {"skp"} and user.password_hash == "" and user.unit.name == "Team Øst"
        assert user.municipality.name == "Esbjerg"
        stored = db.session.scalars(select(OutboxMail)).one()
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"user_invited", "invitation_sent"} <= actions
    token = delivered_token(clocked, "ny@example.com")
    assert token not in stored.body and "/invitation/[skjult]" in stored.body  # the outbox keeps no usable link
    with clocked.app_context():
        assert db.session.scalar(select(Invitation.token_hash)) == token_hash(token)  # only the hash is stored

    newcomer = clocked.test_client()
    page = newcomer.get(f"/invitation/{token}")
    assert page.status_code == 200 and "ny@example.com" in page.get_data(as_text=True)
    assert post_link(newcomer, token, "en-god-adgangskode", "noget-andet-1").status_code == 400
    done = post_link(newcomer, token, "en-god-adgangskode")
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert login(clocked.test_client(), "ny@example.com", "en-god-adgangskode").status_code == 302

    again = clocked.test_client().get(f"/invitation/{token}")
    assert again.status_code == 302 and again.headers["Location"].endswith("/login")
    reuse = post_link(clocked.test_client(), token, "en-anden-adgangskode")
    assert reuse.status_code == 302
    assert login(clocked.test_client(), "ny@example.com", "en-anden-adgangskode").status_code == 401


def test_an_invitation_link_expires(clocked: Flask) -> None:
    invite(clocked, as_user(clocked, "tovholder@example.com"))
    token = delivered_token(clocked, "ny@example.com")
    clocked.config["FIXED_NOW"] = T0 + timedelta(hours=71)
    assert clocked.test_client().get(f"/invitation/{token}").status_code == 200
    clocked.config["FIXED_NOW"] = T0 + timedelta(hours=72, seconds=1)
    response = clocked.test_client().get(f"/invitation/{token}", follow_redirects=True)
    assert "udløbet" in response.get_data(as_text=True)
    assert post_link(clocked.test_client(), token, "en-god-adgangskode").status_code == 302
    with clocked.app_context():
        assert User.by_email("ny@example.com").password_hash == ""


def test_a_new_link_ends_the_old_one_and_claiming_is_single_use(clocked: Flask) -> None:
    coordinator = as_user(clocked, "tovholder@example.com")
    invite(clocked, coordinator)
    old = delivered_token(clocked, "ny@example.com")
    with clocked.app_context():
        user_id = User.by_email("ny@example.com").id
    assert post_form(coordinator, f"/coordinator/users/{user_id}/invitation").status_code == 302
    new = delivered_token(clocked, "ny@example.com")
    assert new != old
    with clocked.app_context():
        assert find_valid(old) is None
        invitation = find_valid(new)
        assert invitation is not None
        assert claim(invitation) is True
        assert claim(invitation) is False  # a second, concurrent use loses
        db.session.commit()
        assert find_valid(new) is None


def test_deactivation_ends_the_users_sessions_at_once(clocked: Flask) -> None:
    with clocked.app_context():
        worker_id = factories.user("skp", email="sara@example.com").id
    session = as_user(clocked, "sara@example.com")
    assert session.get("/").status_code == 200
    coordinator = as_user(clocked, "tovholder@example.com")
    assert coordinator.get(f"/coordinator/users/{worker_id}/status").status_code == 200
    assert post_form(coordinator, f"/coordinator/users/{worker_id}/status").status_code == 302
    assert session.get("/").headers["Location"].endswith("/login")
    assert login(clocked.test_client(), "sara@example.com").status_code == 401
    assert post_form(coordinator, f"/coordinator/users/{worker_id}/status").status_code == 302  # reactivate
    assert login(clocked.test_client(), "sara@example.com").status_code == 302
    with clocked.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(worker_id))))
    assert "user_deactivated" in actions and "user_reactivated" in actions


def test_roles_and_unit_can_be_changed_within_the_scope(clocked: Flask) -> None:
    with clocked.app_context():
        worker_id = factories.user("skp", email="sara@example.com", unit_name="Team Vest").id
    coordinator = as_user(clocked, "tovholder@example.com")
    assert coordinator.get(f"/coordinator/users/{worker_id}").status_code == 200
    response = post_form(coordinator, f"/coordinator/users/{worker_id}",
                         {"name": "Sara Ny", "roles": ["skp", "caseworker"],
                          "placement": f"u:{unit_id(clocked, 'Team Øst')}"})
    assert response.status_code == 302
    with clocked.app_context():
        changed = db.session.get(User, worker_id)
        assert changed.roles == {"skp", "caseworker"} and changed.unit.name == "Team Øst" and changed.name == "Sara Ny"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_updated")).one()
        assert event.details["roles"] == ["caseworker", "skp"] and "Sara" not in str(event.details)


def test_refused_changes(clocked: Flask) -> None:
    coordinator = as_user(clocked, "tovholder@example.com")
    with clocked.app_context():
        me = User.by_email("tovholder@example.com").id
        odense_unit = factories.unit("Odense", "Team Fyn").id
    assert invite(clocked, coordinator, roles=("admin",)).status_code == 400  # only admins grant admin
    assert invite(clocked, coordinator, email="x@example.com", placement=f"u:{odense_unit}").status_code == 400
    assert invite(clocked, coordinator, email="y@example.com", placement="national").status_code == 400
    own = post_form(coordinator, f"/coordinator/users/{me}", {"name": "Mig", "roles": ["skp"],
                                                               "placement": f"m:{1}"})
    assert own.status_code == 403
    assert post_form(coordinator, f"/coordinator/users/{me}/status").status_code == 403
    national = as_user(clocked, "evaluator@example.com")
    refused = invite(clocked, national, email="z@example.com", placement="national")  # an SKP worker needs a kommune
    assert refused.status_code == 400 and "skal høre til en kommune" in refused.get_data(as_text=True)
    with clocked.app_context():
        admin_id = User.by_email("admin@example.com").id
        assert User.by_email("x@example.com") is None and User.by_email("z@example.com") is None
    assert post_form(national, f"/coordinator/users/{admin_id}/status").status_code == 403  # admins by admins only
    admin = as_user(clocked, "admin@example.com")
    assert invite(clocked, admin, email="boss@example.com", roles=("admin",), placement="national").status_code == 302


def test_the_user_list_shows_the_scope_only(clocked: Flask) -> None:
    body = as_user(clocked, "tovholder@example.com").get("/coordinator/users").get_data(as_text=True)
    assert "tovholder@example.com" in body and "odense@example.com" not in body and "admin@example.com" not in body
    national = as_user(clocked, "evaluator@example.com").get("/coordinator/users?q=odense").get_data(as_text=True)
    assert "odense@example.com" in national and "tovholder@example.com" not in national


def test_inviting_an_email_of_another_municipality_does_not_confirm_the_account(clocked: Flask) -> None:
    """Probe I1: the refusal for an account outside the scope names neither the account nor where it is."""
    coordinator = as_user(clocked, "tovholder@example.com")
    elsewhere = invite(clocked, coordinator, email="odense@example.com")
    assert elsewhere.status_code == 400
    page = elsewhere.get_data(as_text=True)
    assert "Der findes allerede en bruger" not in page and "Kontakt en administrator" in page
    own = invite(clocked, coordinator, email="tovholder@example.com")  # within the scope it may say so
    assert own.status_code == 400 and "Der findes allerede en bruger" in own.get_data(as_text=True)
