"""Configuration from the environment: the service refuses to start without a strong secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporting.app import create_app
from reporting.core.config import ConfigError, Settings


def test_production_refuses_to_start_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


@pytest.mark.parametrize("weak", ["changeme", "short-key", "dev"])
def test_production_refuses_a_weak_secret_key(monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(ConfigError, match="too weak"):
        create_app()


def test_development_keeps_a_generated_key_under_instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Settings.from_env(str(tmp_path)).secret_key
    second = Settings.from_env(str(tmp_path)).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_under_instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings.from_env(str(tmp_path)).database_url == f"sqlite:///{tmp_path}/skp.db"


def test_database_url_and_mail_come_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/skp")
    monkeypatch.setenv("MAIL_SERVER", "smtp.kommune.dk")
    monkeypatch.setenv("MAIL_PORT", "587")
    settings = Settings.from_env(str(tmp_path))
    config = settings.flask_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/skp"
    assert config["MAIL_BACKEND"] == "smtp" and config["MAIL_PORT"] == 587


def test_without_smtp_mail_goes_to_the_console_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    assert Settings.from_env(str(tmp_path)).flask_config()["MAIL_BACKEND"] == "console"


def test_bad_numbers_are_reported_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("MAIL_PORT", "femogtyve")
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        Settings.from_env(str(tmp_path))


def test_unknown_app_env_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV"):
        Settings.from_env(str(tmp_path))
