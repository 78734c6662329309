"""The command-line jobs: create-user and seed-demo."""

from __future__ import annotations

from sqlalchemy import func, select

from reporting.core.extensions import db
from reporting.core.models import Municipality, Unit, User
from reporting.demo.seed import DEMO_PASSWORD, DEMO_USERS

from support import login


def test_seed_demo_is_idempotent_and_its_logins_work(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "skp@example.com" in first.output and DEMO_PASSWORD in first.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
        names = set(db.session.scalars(select(Municipality.name)))
        assert names == {"Esbjerg", "København", "Odense"}
    for demo in DEMO_USERS:
        assert login(app.test_client(), demo.email, DEMO_PASSWORD).status_code == 302, demo.email


def test_create_user_with_password_option(app) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["create-user", "ny@example.com", "--role", "skp", "--role", "caseworker",
                                 "--municipality", "Odense", "--unit", "SKP-teamet Odense",
                                 "--password", "en-lang-adgangskode"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.by_email("ny@example.com")
        assert user.roles == {"skp", "caseworker"}
        assert db.session.get(Unit, user.unit_id).name == "SKP-teamet Odense"
    assert login(app.test_client(), "ny@example.com", "en-lang-adgangskode").status_code == 302


def test_create_user_refuses_unknown_municipality_and_short_password(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "a@example.com", "--role", "skp", "--municipality", "Atlantis",
                                 "--password", "en-lang-adgangskode"])
    assert result.exit_code != 0 and "Kommunen findes ikke" in result.output
    result = runner.invoke(args=["create-user", "a@example.com", "--role", "skp", "--password", "kort"])
    assert result.exit_code != 0 and "mindst 10 tegn" in result.output


def test_create_user_refuses_duplicate_email(app) -> None:
    runner = app.test_cli_runner()
    args = ["create-user", "a@example.com", "--role", "skp", "--password", "en-lang-adgangskode"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "findes allerede" in result.output


def test_seed_demo_with_reports_gives_valid_reports_once(make_app) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from forms import get_definition, normalise, to_formdata
    from reporting.core.schedule import Period, due_parts
    from reporting.skp.models import Course, Report

    app = make_app(FIXED_NOW=datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--clients", "3", "--months", "9"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["seed-demo", "--clients", "3", "--months", "9"])
    assert "Demo-indberetninger oprettet: 0" in again.output
    definition = get_definition("skp_monthly")
    with app.app_context():
        reports = db.session.scalars(select(Report)).all()
        assert len(reports) >= 2 * 3 * 4  # two demo workers, three clients, at least half of nine months
        assert max(r.period for r in reports) == Period(2026, 10).first_day
        for report in reports:
            course = db.session.get(Course, report.course_id)
            due = due_parts(course.facts(q17_pending=False), report.month, report.closes_course)
            result = normalise(definition, to_formdata(definition, report.answers), due.sections,
                               set(report.answers) & {"q17", "q18"}, mode="submit")
            assert result.errors == {} and result.answers == report.answers, (report.month, result.errors)
