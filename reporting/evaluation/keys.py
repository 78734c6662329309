"""The evaluation's pseudonym key, kept outside the database (decisions.md D24).

One key per evaluation, from one of two places:

* the environment variable :data:`ENV_VAR` (at least 32 bytes; set by the operator, never
  written anywhere by the service), or else
* the key file :data:`KEY_FILE` in the instance folder, beside the SQLite database but not in it,
  created on first use with mode 0600 (``O_CREAT | O_EXCL``, so two exports starting at once get
  one key). :mod:`reporting.core.backup` copies the database only, so no backup holds the key.

A national coordinator ends an evaluation (:func:`end_evaluation`): the key file is overwritten
and deleted, so every pseudonym delivered under it can no longer be computed by anyone, and the
next keyed export starts a new evaluation with a new key. A key from the environment cannot be
destroyed by the service; ending is refused with the reason (the operator replaces the variable).

Before D24 the key lived in the ``setting`` table; the migration ``export key out of the
database`` deletes that row (it is in every old backup, so it is not carried over).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from exports.pseudonyms import MIN_SECRET_BYTES, new_evaluation_secret

ENV_VAR = "EXPORT_PSEUDONYM_KEY"
KEY_FILE = "export-pseudonym.key"


class KeyInEnvironment(RuntimeError):
    """The key comes from the environment; the service cannot destroy it."""


@dataclass(frozen=True)
class EvaluationKey:
    """The key of the running evaluation: where it is kept, when it was made, a short fingerprint."""

    secret: bytes
    source: str  # "environment" or "file"
    started: str
    fingerprint: str


def key_path() -> Path:
    """Where the key file lives: ``EXPORT_KEY_FILE`` if configured, else the instance folder."""
    configured = current_app.config.get("EXPORT_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / KEY_FILE


def _fingerprint(secret: bytes) -> str:
    return hashlib.sha256(b"skp-export-key-fingerprint\x00" + secret).hexdigest()[:8].upper()


def _from_environment() -> EvaluationKey | None:
    value = os.environ.get(ENV_VAR, "")
    if not value:
        return None
    secret = value.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"{ENV_VAR} must be at least {MIN_SECRET_BYTES} bytes")
    return EvaluationKey(secret, "environment", "", _fingerprint(secret))


def _read(path: Path) -> EvaluationKey:
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # never readable by others, whoever made the file
    data = json.loads(path.read_text(encoding="utf-8"))
    secret = base64.urlsafe_b64decode(data["key"].encode("ascii"))
    return EvaluationKey(secret, "file", data.get("started", ""), _fingerprint(secret))


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = json.dumps({"key": base64.urlsafe_b64encode(new_evaluation_secret()).decode("ascii"), "started": started})
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another export created it at the same moment
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())


def current_key() -> EvaluationKey | None:
    """The running evaluation's key without creating one (None when there is none yet)."""
    found = _from_environment()
    if found is not None:
        return found
    path = key_path()
    return _read(path) if path.exists() else None


def evaluation_key() -> EvaluationKey:
    """The running evaluation's key, created in the key file on first use."""
    found = current_key()
    if found is not None:
        return found
    _create(key_path())
    return _read(key_path())


def end_evaluation() -> str | None:
    """Destroy the evaluation's key; returns its fingerprint (None when there was no key).

    Raises :class:`KeyInEnvironment` when the key comes from the environment."""
    if _from_environment() is not None:
        raise KeyInEnvironment(ENV_VAR)
    path = key_path()
    if not path.exists():
        return None
    fingerprint = _read(path).fingerprint
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # overwrite before unlinking: the bytes do not linger in the file
        handle.write(secrets.token_bytes(size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    return fingerprint


__all__ = ["ENV_VAR", "KEY_FILE", "EvaluationKey", "KeyInEnvironment", "current_key", "end_evaluation",
           "evaluation_key", "key_path"]
