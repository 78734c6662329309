"""send-reminders: digests on the configured days, idempotent, never a nickname, SMTP or outbox."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from flask import Flask
from sqlalchemy import func, select

from reporting.coordination import reminders
from reporting.coordination.models import ReminderSendLog
from reporting.core import settings_store
from reporting.core.extensions import db
from reporting.core.models import OutboxMail, User

import coord_seed as seed
import factories
from support import login

NICKNAMES = ("Hemmelig Hund", "Blå Bil", "Odense Ugle")


def seed_workers() -> dict[str, str]:
    """Esbjerg: one worker behind (Oct missing, Nov due on 10 Dec), one up to date, one deactivated.
    Odense: one worker behind. Returns the system numbers by role in the story."""
    behind = factories.user("skp", email="anna@example.com", unit_name="Team Vest")
    done = factories.user("skp", email="bo@example.com")
    gone = factories.user("skp", email="gone@example.com")
    odense = factories.user("skp", email="cira@example.com", municipality_name="Odense")
    numbers = {}
    for key, worker, nickname in (("behind", behind, NICKNAMES[0]), ("odense", odense, NICKNAMES[2])):
        client = seed.client(worker.id, nickname)
        course = seed.course(client, "2026-09")
        seed.report(course, "2026-09", seed.at(2026, 10, 5))
        numbers[key] = client.system_number
    up_to_date = seed.course(seed.client(done.id, NICKNAMES[1]), "2026-11")
    seed.report(up_to_date, "2026-11", seed.at(2026, 12, 1))
    seed.course(seed.client(gone.id, "Gammel Kat"), "2026-01")
    gone.active = False
    factories.user("coordinator", email="tovholder@example.com")
    factories.user("coordinator", email="odense-tovholder@example.com", municipality_name="Odense")
    factories.user("coordinator", email="evaluator@example.com", municipality_name=None)
    factories.user("admin", email="admin@example.com", municipality_name=None)
    db.session.commit()
    return numbers


@pytest.fixture
def story(app: Flask) -> dict[str, str]:
    with app.app_context():
        return seed_workers()


def run(app: Flask, day: str) -> str:
    result = app.test_cli_runner().invoke(args=["send-reminders", "--today", day])
    assert result.exit_code == 0, result.output
    return result.output


def outbox(app: Flask) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_worker_digest_on_the_10th_lists_counts_and_system_numbers_only(app: Flask, story) -> None:
    output = run(app, "2026-12-10")
    assert "2 medarbejdere" in output
    mails = {m.recipient: m for m in outbox(app)}
    assert set(mails) == {"anna@example.com", "cira@example.com"}  # not the up-to-date or deactivated ones
    mail = mails["anna@example.com"]
    body = mail.body
    assert story["behind"] in body and "Fristen er overskredet for 1" in body
    assert "Skal indsendes inden fristen: 1" in body
    assert "oktober 2026" in body and "november 2026" in body
    assert "http://127.0.0.1:5000/skp/" in body
    assert mail.subject == "Påmindelse: 2 indberetninger mangler"
    assert story["odense"] in mails["cira@example.com"].body and story["odense"] not in body
    for nickname in NICKNAMES:
        assert nickname not in body and nickname not in mail.subject


def test_running_twice_on_a_day_sends_nothing_twice(app: Flask, story) -> None:
    run(app, "2026-12-10")
    second = run(app, "2026-12-10")
    assert "0 medarbejdere" in second and "2 var allerede sendt" in second
    assert len(outbox(app)) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReminderSendLog)) == 2


def test_other_days_send_nothing_and_the_14th_sends_again(app: Flask, story) -> None:
    assert "Ingen påmindelser" in run(app, "2026-12-11")
    run(app, "2026-12-14")
    run(app, "2026-12-14")
    assert sorted(m.recipient for m in outbox(app)) == ["anna@example.com", "cira@example.com"]


def test_coordinators_get_overdue_counts_per_worker_of_their_scope_on_the_16th(app: Flask, story) -> None:
    output = run(app, "2026-12-16")
    assert "3 koordinatorer" in output
    mails = {m.recipient: m for m in outbox(app)}
    assert set(mails) == {"tovholder@example.com", "odense-tovholder@example.com", "evaluator@example.com"}
    esbjerg = mails["tovholder@example.com"].body
    assert "Test Skp: 2" in esbjerg and "Der er 2 overskredne" in esbjerg  # October and November
    assert "/coordinator/compliance" in esbjerg
    assert "Der er 4 overskredne" in mails["evaluator@example.com"].body  # national: Esbjerg + Odense
    assert "Der er 2 overskredne" in mails["odense-tovholder@example.com"].body
    for mail in mails.values():
        assert all(nickname not in mail.body for nickname in (*NICKNAMES, "Gammel Kat"))
    run(app, "2026-12-16")
    assert len(outbox(app)) == 3


def test_days_come_from_the_settings(app: Flask, story) -> None:
    with app.app_context():
        settings_store.put(settings_store.REMINDER_DAYS, "12", None)
        settings_store.put(settings_store.ESCALATION_DAY, "20", None)
        db.session.commit()
    assert "Ingen påmindelser" in run(app, "2026-12-10")
    assert "Ingen påmindelser" in run(app, "2026-12-16")
    run(app, "2026-12-12")
    run(app, "2026-12-20")
    assert len(outbox(app)) == 2 + 3


def test_a_concurrent_run_that_logged_first_wins(app: Flask, story, monkeypatch) -> None:
    """The unique send log refuses the second insert even when the pre-check missed it."""
    with app.app_context():
        user = User.by_email("anna@example.com")
        db.session.add(ReminderSendLog(kind="worker", user_id=user.id, day=seed.first("2026-12").replace(day=10)))
        db.session.commit()
        monkeypatch.setattr(reminders, "_already_sent", lambda *args: False)
        assert reminders.send_once("worker", user, seed.first("2026-12").replace(day=10), "Emne", "Tekst") is False
        db.session.commit()
    assert outbox(app) == []


def test_without_smtp_the_digest_is_printed_and_the_coordinator_sees_it(make_app) -> None:
    app = make_app(MAIL_BACKEND="console")
    with app.app_context():
        story = seed_workers()
    printed = run(app, "2026-12-10")  # the console backend writes to the job's stdout
    assert story["behind"] in printed and "Subject: =?utf-8?" in printed
    assert {m.status for m in outbox(app)} == {"printed"}
    browser = app.test_client()
    assert login(browser, "tovholder@example.com").status_code == 302
    page = browser.get("/coordinator/outbox").get_data(as_text=True)
    assert "anna@example.com" in page and story["behind"] in page and "cira@example.com" not in page
    odense = app.test_client()
    assert login(odense, "odense-tovholder@example.com").status_code == 302
    assert "anna@example.com" not in odense.get("/coordinator/outbox").get_data(as_text=True)


def test_digests_reach_a_local_smtp_sink_once(make_app, smtp_sink) -> None:
    sink, port = smtp_sink
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        story = seed_workers()
    run(app, "2026-12-10")
    run(app, "2026-12-10")
    assert len(sink.messages) == 2
    envelope = next(e for e in sink.messages if e.rcpt_tos == ["anna@example.com"])
    assert envelope.rcpt_tos == ["anna@example.com"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert story["behind"] in text and message["subject"] == "Påmindelse: 2 indberetninger mangler"
    assert all(nickname not in text for nickname in NICKNAMES)
    assert {m.status for m in outbox(app)} == {"sent"}
