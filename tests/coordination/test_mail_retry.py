"""Failed outbox mails are retried with exponential backoff (1, 2, 4, 8 hours) by the daily job,
given up after the fifth attempt, and shown to admins with "Prøv igen"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from reporting.core.extensions import db
from reporting.core.mailer import MAX_ATTEMPTS, retry_due, send_mail
from reporting.core.models import AuditEvent, OutboxMail

import coord_seed
import factories
from support import csrf_token, free_port, login

T0 = coord_seed.at(2026, 12, 9, 10, 0)


@pytest.fixture
def dead_smtp() -> dict[str, object]:
    """Settings of an SMTP server that refuses every connection."""
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 2}


def mail_row(app: Flask) -> OutboxMail:
    with app.app_context():
        row = db.session.scalars(select(OutboxMail)).one()
        db.session.expunge(row)
        return row


def run_retry_at(app: Flask, moment) -> None:  # type: ignore[no-untyped-def]
    app.config["FIXED_NOW"] = moment
    with app.app_context():
        retry_due()


def test_failed_mail_is_retried_with_exponential_backoff_then_given_up(make_app, dead_smtp) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=T0, **dead_smtp)
    with app.app_context():
        send_mail("sara@example.com", "Påmindelse", "Tekst")
        db.session.commit()
    first = mail_row(app)
    assert (first.status, first.attempts, first.next_attempt_at) == ("failed", 1, T0 + timedelta(hours=1))
    run_retry_at(app, T0 + timedelta(minutes=59))  # not due yet: nothing is tried
    assert mail_row(app).attempts == 1
    due, expected_waits = T0 + timedelta(hours=1), [2, 4, 8]
    for attempt, wait in enumerate(expected_waits, start=2):
        run_retry_at(app, due)
        row = mail_row(app)
        assert (row.status, row.attempts) == ("failed", attempt)
        assert row.next_attempt_at == due + timedelta(hours=wait)  # the wait doubles
        due = row.next_attempt_at
    run_retry_at(app, due)  # the fifth and last attempt
    last = mail_row(app)
    assert (last.status, last.attempts, last.next_attempt_at) == ("given_up", MAX_ATTEMPTS, None)
    assert "ConnectionRefused" in last.error
    run_retry_at(app, due + timedelta(days=30))
    assert mail_row(app).attempts == MAX_ATTEMPTS  # never tried again automatically


def live_smtp(port: int) -> dict[str, object]:
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}


def test_the_daily_job_retries_due_mail(make_app, dead_smtp, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    down = make_app(FIXED_NOW=T0, **dead_smtp)
    with down.app_context():
        send_mail("sara@example.com", "Påmindelse", "Tekst")
        db.session.commit()
    sink, port = smtp_sink  # the SMTP server is back the next morning
    app = make_app(FIXED_NOW=T0 + timedelta(hours=20), **live_smtp(port))
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Fejlede e-mails prøvet igen: 1 sendt, 0 fejlede igen, 0 opgivet." in result.output
    row = mail_row(app)
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 2, None) and row.error == ""
    assert len(sink.messages) == 1


def test_a_masked_invitation_is_given_up_not_resent(make_app, dead_smtp) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=T0, **dead_smtp)
    with app.app_context():
        send_mail("ny@example.com", "Invitation", "Vælg adgangskode: https://x/invitation/[skjult]")
        db.session.commit()
    run_retry_at(app, T0 + timedelta(hours=2))
    row = mail_row(app)
    assert (row.status, row.attempts) == ("given_up", 1)  # the link is not stored: no useless mail


@pytest.fixture
def given_up(make_app, dead_smtp):  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=T0, **dead_smtp)
    with app.app_context():
        factories.user("admin", email="admin@example.com", municipality_name=None)
        factories.user("coordinator", email="tovholder@example.com")
        factories.user("skp", email="sara@example.com")
        row = send_mail("sara@example.com", "Påmindelse: 2 indberetninger mangler", "Tekst")
        row.status, row.attempts, row.next_attempt_at = "given_up", MAX_ATTEMPTS, None
        send_mail("bo@example.com", "Påmindelse", "Tekst")  # failed, still being retried
        db.session.commit()
    return app


def test_admins_see_given_up_mail_and_try_again(given_up: Flask, make_app, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    sink, port = smtp_sink
    app = make_app(FIXED_NOW=T0, **live_smtp(port))  # the same database, SMTP working again
    admin = app.test_client()
    login(admin, "admin@example.com")
    page = admin.get("/coordinator/outbox").get_data(as_text=True)
    section = page[page.index('id="given-up"'):page.index("</section>")]
    assert "E-mails, der ikke kunne sendes" in section and "sara@example.com" in section
    assert "bo@example.com" not in section  # still being retried: not given up
    assert "Prøv igen" in section and 'action="/coordinator/outbox/retry"' in section
    assert re.search(r"Opgivet efter 5 forsøg", page) and "prøves igen 9. december 2026" not in page
    assert "Fejlet: prøves igen" in page
    mail_id = re.search(r'name="mail_id" value="(\d+)"', section)[1]
    assert admin.post("/coordinator/outbox/retry", data={"mail_id": mail_id}).status_code == 400  # no CSRF
    response = admin.post("/coordinator/outbox/retry", data={"mail_id": mail_id,
                                                             "csrf_token": csrf_token(admin, "/coordinator/outbox")},
                          follow_redirects=True)
    assert response.status_code == 200 and "E-mailen til sara@example.com er sendt." in response.get_data(as_text=True)
    assert len(sink.messages) == 1
    with app.app_context():
        row = db.session.get(OutboxMail, int(mail_id))
        assert (row.status, row.attempts) == ("sent", 1)
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail_retried")).one()
        assert (event.object_type, event.object_id, event.details) == ("outbox_mail", mail_id, {"delivered": True})
        assert event.municipality_id == factories.User.by_email("sara@example.com").municipality_id
    log = admin.get("/coordinator/audit?action=mail_retried").get_data(as_text=True)
    assert "Sendte e-mail igen" in log and f"E-mail nr. {mail_id}" in log


def test_a_failed_retry_starts_a_new_round_of_attempts(given_up: Flask) -> None:
    admin = given_up.test_client()
    login(admin, "admin@example.com")
    with given_up.app_context():
        mail_id = db.session.scalar(select(OutboxMail.id).where(OutboxMail.status == "given_up"))
    response = admin.post("/coordinator/outbox/retry", data={"mail_id": mail_id,
                                                             "csrf_token": csrf_token(admin, "/coordinator/outbox")})
    assert response.status_code == 302
    with given_up.app_context():
        row = db.session.get(OutboxMail, mail_id)
        assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 1, T0 + timedelta(hours=1))


def test_only_admins_may_retry(given_up: Flask) -> None:
    coordinator = given_up.test_client()
    login(coordinator, "tovholder@example.com")
    page = coordinator.get("/coordinator/outbox").get_data(as_text=True)
    assert 'id="given-up"' not in page and "Prøv igen" not in page
    with given_up.app_context():
        mail_id = db.session.scalar(select(OutboxMail.id).where(OutboxMail.status == "given_up"))
    response = coordinator.post("/coordinator/outbox/retry", data={
        "mail_id": mail_id, "csrf_token": csrf_token(coordinator, "/coordinator/outbox")})
    assert response.status_code == 403
    with given_up.app_context():
        assert db.session.get(OutboxMail, mail_id).status == "given_up"
