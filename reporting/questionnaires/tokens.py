"""The one-time token every questionnaire form carries, so a replayed submission is stored once."""

from __future__ import annotations

import secrets


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)
