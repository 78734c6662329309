"""Single sign-on through the municipality's identity provider, with OpenID Connect (D25).

Contract:
- On when ``OIDC_ISSUER``, ``OIDC_CLIENT_ID`` and ``OIDC_CLIENT_SECRET`` are set (read at each
  request, so tests may configure it after the app is built). The provider's metadata comes from
  ``<issuer>/.well-known/openid-configuration``, whose ``issuer`` must equal ``OIDC_ISSUER``.
- Authorisation code flow (Authlib) with PKCE (S256), ``state`` and ``nonce`` kept in the signed
  session; the ID token's signature (provider JWKS), issuer, audience, expiry and nonce are checked.
  ``OIDC_SCOPES`` are asked for; when ``OIDC_REQUIRED_ACR`` is set it is requested (``acr_values``)
  and the ID token's ``acr`` must equal it.
- Matching: the e-mail of the ID token or the userinfo response, only when ``email_verified`` is
  literally true, to an *existing, active* account. Nobody is created, and nothing (no role, name
  or municipality) is taken from the provider.
- Second factor: with a required ``acr`` the provider's login counts as strong and the user is
  logged in; without one the service's own rules (:mod:`reporting.auth.mfa`) apply as after a
  password.
- Password login can be switched off per municipality (:attr:`Municipality.password_login`, admin
  page); it is honoured only while SSO is configured, so a missing configuration never locks
  everyone out. Failures are logged by kind only (no token, code, claim or e-mail).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, session, url_for

from reporting.auth import mfa
from reporting.auth.access import public
from reporting.core.links import external_url
from reporting.core.models import User

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__)

CLIENT = "municipality_idp"
NEXT = "sso_next"
FAILED = "Log ind med kommunens login mislykkedes. Prøv igen, eller kontakt din koordinator."
NO_ACCOUNT = ("Du er logget ind hos kommunen, men der findes ingen aktiv bruger i SKP-indberetning med din "
              "e-mail. Kontakt din koordinator.")


class SsoRefused(Exception):
    """The provider's answer cannot log anyone in; ``str`` is the kind, for the log."""


def _failures(*, tokens: bool) -> tuple[type[BaseException], ...]:
    """The errors a provider's answer may raise (Authlib, requests; joserfc's with ``tokens``),
    imported on the first SSO request rather than at start: Authlib and requests cost every process
    start (each CLI command, the evaluators' export among them) about 0.28 s, measured 2026-12-06."""
    from authlib.common.errors import AuthlibBaseError
    from requests import RequestException

    if not tokens:
        return AuthlibBaseError, RequestException, ValueError, KeyError, SsoRefused
    from joserfc.errors import JoseError

    return AuthlibBaseError, JoseError, RequestException, ValueError, KeyError, SsoRefused


def configured() -> bool:
    config = current_app.config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET"))


def password_login_allowed(user: User) -> bool:
    """False when the user's municipality logs in through SSO only (and SSO is configured)."""
    if not configured() or user.municipality is None:
        return True
    return bool(user.municipality.password_login)


def _client() -> Any:
    """The Authlib client for the configured provider; a new one whenever the configuration changed
    (kept per app, so its server metadata and keys are fetched once)."""
    config = current_app.config
    signature = (config["OIDC_ISSUER"], config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"], config["OIDC_SCOPES"])
    cached = current_app.extensions.get("skp_oidc")
    if cached is None or cached[0] != signature:
        from authlib.integrations.flask_client import OAuth

        oauth = OAuth()
        oauth.app = current_app._get_current_object()  # type: ignore[attr-defined]  # noqa: SLF001
        client = oauth.register(
            CLIENT,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=f"{config['OIDC_ISSUER']}/.well-known/openid-configuration",
            client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256", "timeout": 10},
        )
        cached = current_app.extensions["skp_oidc"] = (signature, client)
    return cached[1]


def _refuse(message: str = FAILED) -> Any:
    session.pop(NEXT, None)
    flash(message, "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/sso")
@public
def start():  # type: ignore[no-untyped-def]
    """Send the browser to the provider (state, nonce and the PKCE verifier stay in the session)."""
    from reporting.auth.login import safe_next

    if not configured():
        return _refuse("Log ind med kommunens login er ikke sat op. Log ind med e-mail og adgangskode.")
    session[NEXT] = safe_next(request.args.get("next")) or ""
    extra = {}
    if current_app.config.get("OIDC_REQUIRED_ACR"):
        extra["acr_values"] = current_app.config["OIDC_REQUIRED_ACR"]
    failures = _failures(tokens=False)
    try:
        client = _client()
        if client.load_server_metadata().get("issuer", "").rstrip("/") != current_app.config["OIDC_ISSUER"]:
            raise SsoRefused("issuer mismatch in metadata")
        return client.authorize_redirect(external_url("sso.callback"), **extra)
    except failures as exc:
        log.warning("sso start failed: %s", type(exc).__name__)
        return _refuse()


def _claims(client: Any, token: dict[str, Any]) -> dict[str, Any]:
    """The verified ID token's claims, completed from the userinfo endpoint when it lacks the e-mail."""
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise SsoRefused("no id token")
    required_acr = current_app.config.get("OIDC_REQUIRED_ACR")
    if required_acr and claims.get("acr") != required_acr:
        raise SsoRefused("acr not met")
    if "email" not in claims or "email_verified" not in claims:
        info = dict(client.userinfo(token=token))
        if info.get("sub") != claims["sub"]:
            raise SsoRefused("userinfo subject differs")
        claims = {**info, **claims}
    return claims


@bp.route("/login/sso/callback")
@public
def callback():  # type: ignore[no-untyped-def]
    """The provider's answer: check it, find the existing account, then log in (or ask for a code)."""
    if not configured():
        return _refuse("Log ind med kommunens login er ikke sat op. Log ind med e-mail og adgangskode.")
    if request.args.get("error") or not request.args.get("code") or not request.args.get("state"):
        log.warning("sso callback without a code (error=%s)", (request.args.get("error") or "")[:40])
        return _refuse()
    failures = _failures(tokens=True)
    try:
        client = _client()
        token = client.authorize_access_token()
        claims = _claims(client, token)
    except failures as exc:
        log.warning("sso login refused: %s %s", type(exc).__name__, exc if isinstance(exc, SsoRefused) else "")
        return _refuse()
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or not email:
        log.warning("sso login refused: e-mail missing or not verified")
        return _refuse()
    user = User.by_email(email)
    if user is None or not user.active:
        return _refuse(NO_ACCOUNT)
    target = session.pop(NEXT, "") or None
    if current_app.config.get("OIDC_REQUIRED_ACR"):
        mfa.finish(user, "sso")
        return redirect(target or url_for("main.index"))
    return mfa.begin(user, "sso", target)
