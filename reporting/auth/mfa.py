"""Second factor: TOTP codes from an authenticator app (RFC 6238), with one-time recovery codes (D25).

Contract:
- Who. A user with a confirmed authenticator is always asked for a code. A user without one must
  enrol at login when one of their roles is in ``MFA_REQUIRED_ROLES`` (default coordinator and
  admin; an admin counts as a coordinator) or when the run-time setting "Totrinslogin for alle"
  (:data:`reporting.core.settings_store.MFA_FOR_EVERYONE`) is on.
- Two steps. After the first factor (the password, or single sign-on without a required ``acr``)
  :func:`begin` either logs the user in or leaves only a *pending* marker in the session (user id,
  session version, time, where to go next). The user is not logged in, and no page but the code
  step or the enrolment opens, until a code is accepted within :data:`PENDING_MINUTES`. A password
  change, reset or deactivation in between (the session version rotates) ends the marker.
- Codes. Six digits, one 30-second step of clock drift either way; each time step is accepted
  once (``last_step``, raised by a conditional UPDATE, so a code seen over a shoulder or replayed
  is refused). Recovery codes: :data:`RECOVERY_CODES` per enrolment, ~50 bits each, stored only as
  HMAC-SHA256 under a server key, each usable once (conditional UPDATE); shown once, at enrolment.
- Throttle. Wrong codes count in the database login throttle (:mod:`reporting.auth.throttle`) per
  user and per client address; a blocked attempt answers 429 before any code is checked.
- Secrets. The TOTP secret is stored encrypted (Fernet; ``MFA_ENCRYPTION_KEY`` or a key derived
  from ``SECRET_KEY``), drawn as a QR code on the server (SVG, segno: no third party sees it), and
  never logged, audited or exported. Audit events carry ids only.
- Reset. :func:`reset` (an admin, from the user's page) deletes the authenticator and the recovery
  codes and ends the user's sessions; the next login enrols again. Audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from reporting.auth import sessions, throttle
from reporting.auth.access import public
from reporting.auth.models import RecoveryCode, SecondFactor
from reporting.core import audit, settings_store
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import User

bp = Blueprint("mfa", __name__)

PENDING = "mfa_pending"
PENDING_MINUTES = 10
RECOVERY_CODES = 10
#: Recovery code alphabet: no 0/o, 1/l/i (read aloud or typed from paper).
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
STEP_SECONDS = 30
WRONG_CODE = "Koden er forkert eller er allerede brugt. Prøv igen med den nyeste kode fra appen."


# --------------------------------------------------------------------------------------------
# Keys, secrets and codes
# --------------------------------------------------------------------------------------------


def _key_material() -> bytes:
    configured = current_app.config.get("MFA_ENCRYPTION_KEY") or ""
    return configured.encode() if configured else str(current_app.config["SECRET_KEY"]).encode()


def _derive(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"skp-indberetning " + purpose).derive(
        _key_material())


def _fernet() -> Fernet:
    configured = current_app.config.get("MFA_ENCRYPTION_KEY") or ""
    if configured:
        return Fernet(configured.encode())
    return Fernet(base64.urlsafe_b64encode(_derive(b"totp secrets")))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str | None:
    """The TOTP secret, or None when it cannot be decrypted (the key changed)."""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def code_hash(code: str) -> str:
    """The stored form of a recovery code: HMAC-SHA256 under a server key (a database copy alone
    does not allow guessing the codes offline)."""
    return hmac.new(_derive(b"recovery codes"), normalise(code).encode(), hashlib.sha256).hexdigest()


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _current_step() -> int:
    return int(now().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, after_step: int) -> int | None:
    """The time step (now ±1) whose code is ``code`` and that is later than ``after_step``, or None."""
    code = normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = _current_step()
    for step in (current - 1, current, current + 1):
        if step > after_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes (flushed); the codes in clear, to be shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=code_hash(raw), created_at=now()))
    db.session.flush()
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    if len(normalise(code)) != 10:
        return False
    result = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == code_hash(code),
                                   RecoveryCode.used_at.is_(None)).values(used_at=now()))
    return result.rowcount == 1


def _use_totp(factor: SecondFactor, code: str) -> bool:
    secret = decrypt_secret(factor.secret_encrypted)
    step = matching_step(secret, code, factor.last_step) if secret else None
    if step is None:
        return False
    result = db.session.execute(
        update(SecondFactor).where(SecondFactor.user_id == factor.user_id, SecondFactor.last_step < step)
        .values(last_step=step))
    return result.rowcount == 1


# --------------------------------------------------------------------------------------------
# Who needs what
# --------------------------------------------------------------------------------------------


def confirmed_factor(user: User) -> SecondFactor | None:
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id,
                                                        SecondFactor.confirmed_at.is_not(None)))


def required(user: User) -> bool:
    """Whether ``user`` must use a second factor (by role, or the setting for everyone)."""
    roles = {r.strip() for r in str(current_app.config.get("MFA_REQUIRED_ROLES", "")).split(",") if r.strip()}
    return (bool(roles) and user.has_role(*roles)) or settings_store.mfa_for_everyone()


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))).all())


# --------------------------------------------------------------------------------------------
# The two-step login
# --------------------------------------------------------------------------------------------


def finish(user: User, method: str) -> None:
    """Log ``user`` in (committed): the session starts, an audit event records how."""
    session.pop(PENDING, None)
    login_user(user)
    sessions.mark_login()
    audit.record("login", "user", user.id, method=method)
    db.session.commit()


def begin(user: User, method: str, next_url: str | None) -> Any:
    """After the first factor: log in at once, or ask for a code or an enrolment (a redirect)."""
    has_factor = confirmed_factor(user) is not None
    if not has_factor and not required(user):
        finish(user, method)
        return redirect(next_url or url_for("main.index"))
    db.session.commit()  # a password rehash by the caller is kept either way
    session[PENDING] = {"user": user.id, "version": user.session_version, "at": now().isoformat(),
                        "next": next_url or "", "method": method}
    return redirect(url_for("mfa.code" if has_factor else "mfa.enrol"))


def pending_user() -> User | None:
    """The user half-way through logging in in this session, while the marker is fresh and valid."""
    marker = session.get(PENDING)
    if not isinstance(marker, dict) or not isinstance(marker.get("user"), int):
        return None
    try:
        started = datetime.fromisoformat(str(marker.get("at")))
    except ValueError:
        return None
    if now() - started > timedelta(minutes=PENDING_MINUTES) or started > now() + timedelta(minutes=1):
        return None
    user = db.session.get(User, marker["user"])
    if user is None or not user.active or user.session_version != marker.get("version"):
        return None
    return user


def _pending_next() -> str:
    marker = session.get(PENDING) or {}
    return str(marker.get("next") or "") or url_for("main.index")


def _pending_method() -> str:
    marker = session.get(PENDING) or {}
    return str(marker.get("method") or "password")


def _restart() -> Any:
    session.pop(PENDING, None)
    flash("Log ind igen: der gik for lang tid, eller login blev afbrudt.", "info")
    return redirect(url_for("auth.login"))


class CodeForm(FlaskForm):
    code = StringField("Kode", validators=[DataRequired("Skriv koden."), Length(max=40)])


@bp.route("/login/code", methods=["GET", "POST"])
@public
def code():  # type: ignore[no-untyped-def]
    """Step two: the 6-digit code from the app, or one of the recovery codes."""
    user = pending_user()
    if user is None:
        return _restart()
    factor = confirmed_factor(user)
    if factor is None:
        return redirect(url_for("mfa.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        key = throttle.second_factor_key(user.id)
        if throttle.blocked(key):
            return throttle.refused()
        typed = form.code.data or ""
        if _use_totp(factor, typed):
            how = "totp"
        elif _use_recovery_code(user, typed):
            how = "recovery_code"
        else:
            db.session.rollback()
            throttle.record_failure(key)
            form.code.errors = [WRONG_CODE]
            return render_template("auth/login_code.html", form=form), 401
        target = _pending_next()
        finish(user, f"{_pending_method()}+{how}")
        if how == "recovery_code":
            left = remaining_recovery_codes(user)
            flash(f"Du har brugt en gendannelseskode. Du har {left} tilbage.", "info")
        return redirect(target)
    return render_template("auth/login_code.html", form=form), (400 if request.method == "POST" else 200)


def _unconfirmed(user: User) -> SecondFactor:
    """The user's enrolment in progress (created with a new secret when there is none; committed)."""
    factor = db.session.get(SecondFactor, user.id)
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret_encrypted=encrypt_secret(pyotp.random_base32()),
                              created_at=now(), last_step=0)
        db.session.add(factor)
        try:
            db.session.commit()
        except IntegrityError:  # a second tab created it meanwhile
            db.session.rollback()
            factor = db.session.get(SecondFactor, user.id)
    elif decrypt_secret(factor.secret_encrypted) is None:  # the key changed: start again
        factor.secret_encrypted = encrypt_secret(pyotp.random_base32())
        factor.last_step = 0
        db.session.commit()
    return factor  # type: ignore[return-value]


def qr_svg(uri: str) -> str:
    """An inline SVG QR code of ``uri`` (drawn here: the secret never leaves the server)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, svgclass="totp-qr", omitsize=True,
                                                 title="QR-kode til din godkendelsesapp")


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
def enrol():  # type: ignore[no-untyped-def]
    """Enrolment at login: scan the QR code, type the first code; then the recovery codes, once."""
    user = pending_user()
    if user is None:
        return _restart()
    if confirmed_factor(user) is not None:
        return redirect(url_for("mfa.code"))
    factor = _unconfirmed(user)
    secret = decrypt_secret(factor.secret_encrypted) or ""
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        key = throttle.second_factor_key(user.id)
        if throttle.blocked(key):
            return throttle.refused()
        step = matching_step(secret, form.code.data or "", factor.last_step)
        if step is not None:
            factor.confirmed_at, factor.last_step = now(), step
            codes = _new_recovery_codes(user)
            audit.record("second_factor_enrolled", "user", user.id, municipality_id=user.municipality_id)
            target = _pending_next()
            finish(user, f"{_pending_method()}+totp_enrolled")
            response = make_response(render_template("auth/recovery_codes.html", codes=codes, next_url=target))
            response.headers["Cache-Control"] = "no-store"
            return response
        throttle.record_failure(key)
        form.code.errors = [WRONG_CODE]
        status = 401
    elif request.method == "POST":
        status = 400
    issuer = current_app.config.get("SERVICE_NAME", "SKP-indberetning")
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("auth/enrol.html", form=form, qr=qr_svg(uri), secret=grouped, user=user), status


def reset(user: User) -> None:
    """Remove ``user``'s authenticator and recovery codes and end their sessions (flushed, audited)."""
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.end_sessions()
    audit.record("second_factor_reset", "user", user.id, municipality_id=user.municipality_id)
