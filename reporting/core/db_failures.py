"""When the database fails in the middle of a request: roll back, log an incident, keep the input.

A failed statement or commit (``database is locked`` past the busy timeout, a dropped PostgreSQL
connection, a full disk) must never cost a worker what they typed. The report form catches such
errors itself and shows the form again with the input (``reporting.skp.reports``). Everything else
ends here: the transaction is rolled back, so nothing half-done is stored, and the answer is a
503 page that needs no database. For a POST the page carries every posted field as a hidden
input and a button that sends them again (the CSRF token is the session's and stays valid), so
no input is lost there either. Autosave and other ``fetch`` requests get JSON.

The log line has the incident id, the exception type and the path: no SQL parameters, no
exception message (either may quote what a user typed).
"""

from __future__ import annotations

import secrets

from flask import current_app, g, jsonify, render_template, request
from sqlalchemy import exc
from werkzeug.wrappers import Response

from reporting.core.extensions import db, login_manager

#: Failures of the database itself (lock timeout, lost connection, full disk, pool exhausted), as
#: opposed to bugs (ProgrammingError, DataError) and conflicts (IntegrityError, StaleDataError).
TRANSIENT: tuple[type[Exception], ...] = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError,
                                          exc.DisconnectionError)
RETRY_AFTER_SECONDS = 5
#: Forms whose fields are passwords: never echoed into a page, the person types them again.
NO_ECHO_ENDPOINTS = frozenset({"auth.login", "auth.change_password", "invitation.accept"})
MESSAGE = ("Databasen svarede ikke, så intet er gemt. Det, du skrev, er ikke tabt: "
           "prøv igen om et øjeblik.")


def rollback_quietly() -> None:
    """Roll the session back; a connection that is already gone is discarded, never raised."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be broken; the pool replaces it
        db.session.close()


def log_incident(error: BaseException) -> str:
    """Log the failure with a short incident id the worker can quote; returns the id."""
    incident = secrets.token_hex(4).upper()
    current_app.logger.error("database failure %s: %s at %s %s", incident, type(error).__name__,
                             request.method, request.path)
    return incident


def wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.form.get("action") == "autosave"


def database_unavailable(error: BaseException, incident: str | None = None,
                         ) -> Response | tuple[object, int, dict[str, str]]:
    """The 503 answer for a request whose database work failed (no database access here)."""
    rollback_quietly()
    incident = incident or log_incident(error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        return jsonify(status="error", message="Kladden kunne ikke gemmes lige nu. Prøv igen om lidt.",
                       incident=incident), 503, headers
    if "_login_user" not in g:  # rendering would load the user (Flask-Login's context processor)
        g._login_user = login_manager.anonymous_user()
    echo = request.method == "POST" and request.endpoint not in NO_ECHO_ENDPOINTS
    fields = list(request.form.items(multi=True)) if echo else []
    html = render_template("error_database.html", message=MESSAGE, incident=incident, fields=fields,
                           action=request.full_path.rstrip("?"))
    return html, 503, headers
