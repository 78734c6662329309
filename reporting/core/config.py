"""Typed configuration read from environment variables.

Every setting the service reads from the environment is named here, with its type and default,
so that a deployment can be reviewed in one place.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from reporting.core import json_codec

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a service that may start."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """The service's settings; build with :meth:`from_env`."""

    env: str
    secret_key: str
    database_url: str
    mail_server: str
    mail_port: int
    mail_username: str
    mail_password: str
    mail_use_tls: bool
    mail_use_ssl: bool
    mail_sender: str
    base_url: str
    deadline_day: int
    dkfds_dir: str
    trusted_proxies: str = ""

    @classmethod
    def from_env(cls, instance_path: str) -> Settings:
        """Read the environment; in development, create a secret key under ``instance/``."""
        env = os.environ.get("APP_ENV", "production").strip().lower()
        if env not in {"production", "development", "testing"}:
            raise ConfigError(f"APP_ENV must be production, development or testing, got {env!r}")
        default_db = "sqlite:///" + str(Path(instance_path) / "skp.db")
        return cls(
            env=env,
            secret_key=_secret_key(env, instance_path),
            database_url=os.environ.get("DATABASE_URL") or default_db,
            mail_server=os.environ.get("MAIL_SERVER", ""),
            mail_port=_int("MAIL_PORT", 25),
            mail_username=os.environ.get("MAIL_USERNAME", ""),
            mail_password=os.environ.get("MAIL_PASSWORD", ""),
            mail_use_tls=_bool(os.environ.get("MAIL_USE_TLS")),
            mail_use_ssl=_bool(os.environ.get("MAIL_USE_SSL")),
            mail_sender=os.environ.get("MAIL_DEFAULT_SENDER", "SKP-indberetning <noreply@localhost>"),
            base_url=os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
            deadline_day=_int("DEADLINE_DAY", 15),
            dkfds_dir=os.environ.get("DKFDS_DIR", str(Path(__file__).resolve().parents[2] / "node_modules/dkfds/dist")),
            trusted_proxies=_networks("TRUSTED_PROXIES"),
        )

    def flask_config(self) -> dict[str, object]:
        """The Flask/extension configuration keys derived from these settings."""
        production = self.env == "production"
        return {
            "APP_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # hide_parameters: SQL errors and logs never carry nicknames or answers.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True,
                                          "json_deserializer": json_codec.loads},
            "MAIL_BACKEND": "smtp" if self.mail_server else "console",
            "MAIL_SERVER": self.mail_server or "localhost",
            "MAIL_PORT": self.mail_port,
            "MAIL_USERNAME": self.mail_username or None,
            "MAIL_PASSWORD": self.mail_password or None,
            "MAIL_USE_TLS": self.mail_use_tls,
            "MAIL_USE_SSL": self.mail_use_ssl,
            "MAIL_DEFAULT_SENDER": self.mail_sender,
            "MAIL_TIMEOUT": 10,
            "BASE_URL": self.base_url,
            "DEADLINE_DAY": self.deadline_day,
            "DKFDS_DIR": self.dkfds_dir,
            # The CSRF token lives as long as the session, so a long report form never loses it.
            "WTF_CSRF_TIME_LIMIT": None,
            "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
            "SESSION_COOKIE_SECURE": production,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "PERMANENT_SESSION_LIFETIME": 12 * 3600,
            "REMEMBER_COOKIE_DURATION": 0,
            "MAX_CONTENT_LENGTH": 1024 * 1024,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_HEADERS_ENABLED": False,
            "PASSWORD_HASH_PROFILE": "standard",
            "IDLE_TIMEOUT_MINUTES": _int("IDLE_TIMEOUT_MINUTES", 120),
            **service_identity(),
            # Logged out this long after the login, however active (ASVS 3.3): a stolen cookie dies too.
            "SESSION_MAX_HOURS": _int("SESSION_MAX_HOURS", 12),
            # Reverse proxies whose X-Forwarded-For/-Proto are believed (reporting/core/proxies.py).
            "TRUSTED_PROXIES": self.trusted_proxies,
            # Failed logins and password changes, counted in the database (reporting/auth/throttle.py).
            "LOGIN_THROTTLE_WINDOW_SECONDS": _int("LOGIN_THROTTLE_WINDOW_SECONDS", 600),
            "LOGIN_FAILURES_PER_ACCOUNT": _int("LOGIN_FAILURES_PER_ACCOUNT", 10),
            "LOGIN_FAILURES_PER_ADDRESS": _int("LOGIN_FAILURES_PER_ADDRESS", 50),
            # Export jobs running at once, across all coordinators (reporting/evaluation/views.py).
            "EXPORT_MAX_JOBS": _int("EXPORT_MAX_JOBS", 2),
            **strong_login(),
        }


def _networks(name: str) -> str:
    """A comma-separated list of addresses or networks, checked at start-up."""
    from reporting.core.proxies import parse_networks

    raw = os.environ.get(name, "").strip()
    try:
        parse_networks(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must list IP addresses or networks, comma-separated, got {raw!r}") from exc
    return raw


def strong_login() -> dict[str, object]:
    """Second factor, password reset and single sign-on (D25; reporting/auth/mfa.py, sso.py)."""
    roles = os.environ.get("MFA_REQUIRED_ROLES")
    return {
        # Roles that must use a second factor (TOTP); "" = none. Admins also count as coordinators.
        "MFA_REQUIRED_ROLES": "coordinator,admin" if roles is None else roles.strip(),
        # Fernet key for the stored TOTP secrets; empty = derived from SECRET_KEY (rotating the secret
        # key then makes every user enrol again). Make one with
        # python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
        "MFA_ENCRYPTION_KEY": os.environ.get("MFA_ENCRYPTION_KEY", "").strip(),
        # How long a "Glemt adgangskode?" link works.
        "PASSWORD_RESET_MINUTES": _int("PASSWORD_RESET_MINUTES", 60),
        # Reset mails per typed e-mail within LOGIN_THROTTLE_WINDOW_SECONDS.
        "PASSWORD_RESETS_PER_ACCOUNT": _int("PASSWORD_RESETS_PER_ACCOUNT", 3),
        # OpenID Connect: SSO is on when issuer, client id and secret are all set.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", "").strip().rstrip("/"),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "").strip(),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", "").strip(),
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "").strip() or "openid email profile",
        # The acr the identity provider must assert (e.g. an NSIS level); empty = not checked, and
        # then the service's own second-factor rules apply after an SSO login too.
        "OIDC_REQUIRED_ACR": os.environ.get("OIDC_REQUIRED_ACR", "").strip(),
        # The button text on the login page.
        "OIDC_LABEL": os.environ.get("OIDC_LABEL", "").strip() or "Log ind med kommunens login",
    }


def service_identity() -> dict[str, str]:
    """Who runs the service and how to reach them: the header, the footer and the help, privacy and
    accessibility pages read these (empty contact settings send users to their coordinator)."""
    return {
        "SERVICE_NAME": os.environ.get("SERVICE_NAME", "").strip() or "SKP-indberetning",
        "SERVICE_AUTHORITY": os.environ.get("SERVICE_AUTHORITY", "").strip() or "Isbryderprojektet",
        # An SVG or PNG file shown as the authority's logo in the header (DKFDS logo slot).
        "SERVICE_LOGO": os.environ.get("SERVICE_LOGO", "").strip(),
        "SUPPORT_EMAIL": os.environ.get("SUPPORT_EMAIL", "").strip(),
        "SUPPORT_PHONE": os.environ.get("SUPPORT_PHONE", "").strip(),
        "SUPPORT_HOURS": os.environ.get("SUPPORT_HOURS", "").strip(),
        # The data controller's data protection officer (databeskyttelsesrådgiver).
        "DPO_EMAIL": os.environ.get("DPO_EMAIL", "").strip(),
        # The statement published at the Agency for Digital Government's site, when there is one.
        "ACCESSIBILITY_STATEMENT_URL": os.environ.get("ACCESSIBILITY_STATEMENT_URL", "").strip(),
    }


def _secret_key(env: str, instance_path: str) -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if env == "production" and (key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH):
            raise ConfigError(f"SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters")
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY is not set: production refuses to start without a strong secret key")
    return _instance_secret(Path(instance_path))


def _instance_secret(instance: Path) -> str:
    """A development key kept in ``instance/secret_key`` so restarts keep sessions and drafts open."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
