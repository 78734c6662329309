"""The WSGI app that the load and process-fault tests run under gunicorn: ``loadtest.serve:app``.

It is the real app (``reporting.app.create_app`` from the environment, like ``wsgi.py``) plus:

- ``SKP_CONFIG``: JSON with extra Flask settings (e.g. ``{"PASSWORD_HASH_PROFILE": "fast"}``);
- ``SKP_FAULT_DIR``: when set, a request carrying ``X-Fault: pause-before-commit`` (or
  ``pause-after-commit``) writes ``<SKP_FAULT_DIR>/<pid>`` just before (after) its transaction
  commits and then sleeps, so a test can ``kill -9`` that worker exactly mid-submit.

Never the production entry point: production runs ``wsgi:app``, which has none of this.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reporting.app import create_app

PAUSE_SECONDS = 30.0

app = create_app(json.loads(os.environ.get("SKP_CONFIG", "{}")))


def _pause(point: str) -> None:
    if not has_request_context() or request.headers.get("X-Fault") != point:
        return
    marker = Path(os.environ["SKP_FAULT_DIR"]) / str(os.getpid())
    marker.write_text(point)
    time.sleep(PAUSE_SECONDS)  # the test kills this worker now


if os.environ.get("SKP_FAULT_DIR"):

    @event.listens_for(Engine, "commit")
    def _before_commit(connection: Any) -> None:
        _pause("pause-before-commit")  # every row of the submission is written, not yet committed

    @event.listens_for(Session, "after_commit")
    def _after_commit(session: Session) -> None:
        _pause("pause-after-commit")  # committed, the worker not yet told
