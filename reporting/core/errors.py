"""Danish error pages for 400, 403, 404, 405, 429 and 500, and for a failed CSRF check."""

from __future__ import annotations

import traceback

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from reporting.core.db_failures import TRANSIENT, database_unavailable

MESSAGES = {
    400: ("Forkert forespørgsel", "Siden kunne ikke forstå det, der blev sendt. Prøv igen."),
    403: ("Ingen adgang", "Du har ikke adgang til denne side."),
    404: ("Siden findes ikke", "Siden findes ikke, eller du har ikke adgang til den."),
    405: ("Handlingen er ikke tilladt", "Siden kan ikke bruges på denne måde."),
    413: ("For meget data", "Det, du sendte, var for stort."),
    429: ("For mange forsøg", "Du har prøvet for mange gange. Vent et minut, og prøv igen."),
    500: ("Der opstod en fejl", "Der skete en fejl hos os. Prøv igen om lidt. Fejlen er registreret."),
}


def _page(status: int, detail: str | None = None):  # type: ignore[no-untyped-def]
    title, text = MESSAGES.get(status, MESSAGES[500])
    return render_template("error.html", status=status, title=title, text=detail or text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return _page(400, "Formularen var udløbet eller ugyldig. Gå tilbage, genindlæs siden og prøv igen.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(error.code or 500)

    # A failed statement or commit: rolled back, a 503 that keeps what was posted (db_failures.py).
    for failure in TRANSIENT:
        app.register_error_handler(failure, database_unavailable)

    @app.errorhandler(Exception)
    def server_error(error: Exception):  # type: ignore[no-untyped-def]
        # The type and the stack only: an exception's message may quote what a user typed.
        stack = "".join(traceback.format_tb(error.__traceback__))
        app.logger.error("unhandled %s at %s\n%s", type(error).__name__, request.path, stack)
        return _page(500)
