"""The command-line jobs: create-user and seed-demo."""

from __future__ import annotations

from sqlalchemy import func, select

from reporting.demo import DEMO_PASSWORD, DEMO_USERS
from reporting.extensions import db
from reporting.models import Municipality, Unit, User

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
