"""The mail layer keeps every message in the outbox and delivers through SMTP when configured."""

from __future__ import annotations

from reporting.core.extensions import db
from reporting.core.mailer import send_mail
from reporting.core.models import OutboxMail

from support import free_port


def test_mail_is_delivered_to_smtp_and_kept_in_the_outbox(make_app, smtp_sink) -> None:
    sink, port = smtp_sink
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        send_mail("sara@example.com", "Påmindelse: månedsrapport", "Du har 2 indberetninger, der mangler.")
        db.session.commit()
        row = db.session.scalars(db.select(OutboxMail)).one()
        assert row.status == "sent" and row.sent_at is not None
    assert len(sink.messages) == 1
    envelope = sink.messages[0]
    assert envelope.rcpt_tos == ["sara@example.com"]
    assert "Påmindelse" in envelope.content.decode("utf-8", "replace") or "=?utf-8?" in envelope.content.decode()


def test_an_unreachable_smtp_server_leaves_the_mail_in_the_outbox(make_app) -> None:
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with app.app_context():
        send_mail("sara@example.com", "Påmindelse", "Tekst")
        db.session.commit()
        row = db.session.scalars(db.select(OutboxMail)).one()
        assert row.status == "failed" and "ConnectionRefused" in row.error
        assert row.body == "Tekst"


def test_without_smtp_the_mail_is_printed_and_kept(make_app, capsys) -> None:
    app = make_app(MAIL_BACKEND="console")
    with app.app_context():
        send_mail("sara@example.com", "Invitation", "Velkommen til SKP-indberetning")
        db.session.commit()
        assert db.session.scalars(db.select(OutboxMail)).one().status == "printed"
    assert "Velkommen til SKP-indberetning" in capsys.readouterr().out
