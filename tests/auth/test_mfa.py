"""Second factor (issue 19, D25): enrolment at first login, TOTP codes, recovery codes, throttle,
the setting for everyone, an admin's reset, and secrets that never reach the audit log."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from reporting.auth.models import RecoveryCode, SecondFactor
from reporting.core import settings_store
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, User

import factories
from support import csrf_token, login, post_form

START = datetime(2026, 12, 9, 9, 0, 0, tzinfo=UTC)
MFA = {"MFA_REQUIRED_ROLES": "coordinator,admin", "FIXED_NOW": START}
SECRET_RE = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def at(app: Flask, moment: datetime) -> None:
    app.config["FIXED_NOW"] = moment


def totp(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def post_code(client: FlaskClient, path: str, code: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, "/login")})


def enrol(app: Flask, client: FlaskClient, email: str) -> tuple[str, list[str]]:
    """Log in with the password, enrol; returns the secret and the recovery codes."""
    response = login(client, email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/second-factor")
    page = client.get("/login/second-factor").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert "<svg" in page and "totp-qr" in page  # drawn on the server
    done = post_code(client, "/login/second-factor", totp(secret, app.config["FIXED_NOW"]))
    assert done.status_code == 200, done.status_code
    codes = CODES_RE.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and done.headers["Cache-Control"] == "no-store"
    return secret, codes


def test_a_coordinator_enrols_at_first_login_before_any_page(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")
    client = app.test_client()
    response = login(client, "tove@example.com")
    assert response.headers["Location"].endswith("/login/second-factor")
    # Not logged in yet: every page sends to the login.
    blocked = client.get("/coordinator/compliance")
    assert blocked.status_code == 302 and "/login" in blocked.headers["Location"]
    assert client.get("/login/code").headers["Location"].endswith("/login/second-factor")
    page = client.get("/login/second-factor")
    assert page.status_code == 200 and "Sæt totrinslogin op" in page.get_data(as_text=True)
    wrong = post_code(client, "/login/second-factor", "000000")
    assert wrong.status_code == 401 and "Koden er forkert" in wrong.get_data(as_text=True)
    secret = SECRET_RE.search(page.get_data(as_text=True)).group(1).replace(" ", "")  # type: ignore[union-attr]
    # Reloading the page keeps the same secret until it is confirmed (a scanned code keeps working).
    assert secret in client.get("/login/second-factor").get_data(as_text=True).replace(" ", "")
    done = post_code(client, "/login/second-factor", totp(secret, START))
    assert done.status_code == 200
    assert client.get("/coordinator/compliance").status_code == 200
    with app.app_context():
        user = User.by_email("tove@example.com")
        factor = db.session.get(SecondFactor, user.id)
        assert factor.confirmed_at is not None
        assert secret not in factor.secret_encrypted  # stored encrypted
        hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        codes = CODES_RE.findall(done.get_data(as_text=True))
        assert len(hashes) == 10 and not set(hashes) & {c.replace("-", "") for c in codes}
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions[-2:] == ["second_factor_enrolled", "login"]


def test_login_with_a_code_and_with_a_recovery_code(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("admin", email="ada@example.com", municipality_name=None)
    secret, codes = enrol(app, app.test_client(), "ada@example.com")

    # A code: the password first, then the code step.
    at(app, START + timedelta(minutes=5))
    client = app.test_client()
    assert login(client, "ada@example.com").headers["Location"].endswith("/login/code")
    assert client.get("/admin/organisation").status_code == 302  # not logged in yet
    ok = post_code(client, "/login/code?next=/evil", totp(secret, START + timedelta(minutes=5)))
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert client.get("/admin/organisation").status_code == 200

    # The same code again (same time step) is refused: each code works once.
    again = app.test_client()
    login(again, "ada@example.com")
    assert post_code(again, "/login/code", totp(secret, START + timedelta(minutes=5))).status_code == 401

    # A recovery code, typed with spaces and capitals, works once.
    recovered = app.test_client()
    login(recovered, "ada@example.com")
    used = post_code(recovered, "/login/code", codes[0].upper().replace("-", " "))
    assert used.status_code == 302
    assert "Du har 9 tilbage" in recovered.get("/", follow_redirects=True).get_data(as_text=True)
    reused = app.test_client()
    login(reused, "ada@example.com")
    assert post_code(reused, "/login/code", codes[0]).status_code == 401
    with app.app_context():
        methods = [e.details.get("method") for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login").order_by(AuditEvent.id))]
        assert methods == ["password+totp_enrolled", "password+totp", "password+recovery_code"]


def test_a_clock_one_step_off_is_accepted_two_steps_are_not(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")
    secret, _ = enrol(app, app.test_client(), "tove@example.com")
    moment = START + timedelta(hours=1)
    at(app, moment)
    late = app.test_client()
    login(late, "tove@example.com")
    assert post_code(late, "/login/code", totp(secret, moment - timedelta(seconds=60))).status_code == 401
    assert post_code(late, "/login/code", totp(secret, moment - timedelta(seconds=30))).status_code == 302


def test_the_pending_login_expires_and_a_password_change_ends_it(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")
    secret, _ = enrol(app, app.test_client(), "tove@example.com")
    client = app.test_client()
    at(app, START + timedelta(hours=2))
    login(client, "tove@example.com")
    at(app, START + timedelta(hours=2, minutes=11))
    expired = post_code(client, "/login/code", totp(secret, START + timedelta(hours=2, minutes=11)))
    assert expired.status_code == 302 and expired.headers["Location"].endswith("/login")
    at(app, START + timedelta(hours=3))
    login(client, "tove@example.com")
    with app.app_context():
        User.by_email("tove@example.com").end_sessions()  # e.g. a password reset meanwhile
        db.session.commit()
    ended = post_code(client, "/login/code", totp(secret, START + timedelta(hours=3)))
    assert ended.headers["Location"].endswith("/login")


def test_wrong_codes_are_throttled(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA, RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=3)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")
    secret, _ = enrol(app, app.test_client(), "tove@example.com")
    client = app.test_client()
    at(app, START + timedelta(minutes=1))
    login(client, "tove@example.com")
    for _ in range(3):
        assert post_code(client, "/login/code", "123456").status_code == 401
    right = post_code(client, "/login/code", totp(secret, START + timedelta(minutes=1)))
    assert right.status_code == 429 and "For mange forsøg" in right.get_data(as_text=True)


def test_workers_log_in_with_one_step_unless_the_setting_says_everyone(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    client = app.test_client()
    assert login(client, "sara@example.com").headers["Location"] == "/"
    with app.app_context():
        factories.user("admin", email="ada@example.com", municipality_name=None)
    admin = app.test_client()
    enrol(app, admin, "ada@example.com")
    saved = post_form(admin, "/admin/settings", {"mfa_for_everyone": "ja"})
    assert saved.status_code == 302
    with app.app_context():
        assert settings_store.mfa_for_everyone() is True
    worker = app.test_client()
    assert login(worker, "sara@example.com").headers["Location"].endswith("/login/second-factor")
    bad = post_form(admin, "/admin/settings", {"mfa_for_everyone": "måske"})
    assert bad.status_code == 400 and "Vælg ja eller nej." in bad.get_data(as_text=True)


def test_an_admin_resets_a_second_factor(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("admin", email="ada@example.com", municipality_name=None)
        factories.user("coordinator", email="tove@example.com")
        tove_id = User.by_email("tove@example.com").id
    admin = app.test_client()
    enrol(app, admin, "ada@example.com")
    tove = app.test_client()
    at(app, START + timedelta(minutes=2))
    enrol(app, tove, "tove@example.com")
    assert tove.get("/coordinator/compliance").status_code == 200
    page = admin.get(f"/coordinator/users/{tove_id}").get_data(as_text=True)
    assert "Nulstil totrinslogin" in page
    # POST only, with CSRF; a coordinator may not.
    assert admin.get(f"/coordinator/users/{tove_id}/second-factor").status_code == 405
    assert admin.post(f"/coordinator/users/{tove_id}/second-factor").status_code == 400
    assert post_form(tove, f"/coordinator/users/{tove_id}/second-factor").status_code == 403
    reset = post_form(admin, f"/coordinator/users/{tove_id}/second-factor")
    assert reset.status_code == 302
    assert tove.get("/coordinator/compliance").status_code == 302  # her sessions ended
    with app.app_context():
        assert db.session.get(SecondFactor, tove_id) is None
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == tove_id)).all() == []
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "second_factor_reset")).one()
        assert event.object_id == str(tove_id) and event.user_id is not None
    again = app.test_client()
    assert login(again, "tove@example.com").headers["Location"].endswith("/login/second-factor")


def test_secrets_and_codes_never_reach_the_audit_log_or_the_logs(make_app, caplog) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**MFA)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")
    with caplog.at_level("DEBUG"):
        secret, codes = enrol(app, app.test_client(), "tove@example.com")
    with app.app_context():
        details = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    for value in (secret, *codes, *(c.replace("-", "") for c in codes)):
        assert value not in details and value not in caplog.text


def test_an_unreadable_secret_starts_the_enrolment_again(make_app) -> None:  # type: ignore[no-untyped-def]
    """Unconfirmed enrolments survive a changed key by starting over, never by a 500."""
    app = make_app(**MFA)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")
    client = app.test_client()
    login(client, "tove@example.com")
    assert client.get("/login/second-factor").status_code == 200
    app.config["MFA_ENCRYPTION_KEY"] = "bm90LWEtcmVhbC1rZXktYnV0LTMyLWJ5dGVzLWxvbmc="
    assert client.get("/login/second-factor").status_code == 200
