"""Refuse control characters before any view sees them.

NUL cannot be stored in PostgreSQL text at all (the driver raises, which was a 500), and the other
C0 control characters (all but tab, line feed and carriage return) are never typed: they come
from pasted binary or from probes, and they break exports (openpyxl refuses them). A request
carrying one in its path, in a query parameter, or in a posted field name or value is answered
400 with a Danish explanation, before the view runs.

Questionnaire forms (views marked :func:`reporting.auth.sessions.parks_posts`) are left to the
questionnaire engine, which refuses such characters per answer and shows the form again with
everything else kept; so is the new-client form, whose nickname check explains the problem.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, render_template, request

from reporting.auth.sessions import PARK_ATTR

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Views that check posted text for control characters themselves (with a message per field).
OWN_TEXT_CHECKS = frozenset({"clients.new"})
MESSAGE = ("Det, du sendte, indeholder kontroltegn (usynlige tegn), som ikke kan gemmes. "
           "Gå tilbage, fjern dem fra teksten, og prøv igen.")


#: Line breaks and separators: refused in one-line fields (names, titles) that reach e-mail text.
LINE_BREAK = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def single_line(form: object, field: object) -> None:
    """WTForms validator: a name or title that goes into official e-mails must be one line, so a
    coordinator cannot add paragraphs or links of their own to them (security-probe.md L8)."""
    from wtforms.validators import ValidationError

    if LINE_BREAK.search(getattr(field, "data", None) or ""):
        raise ValidationError("Skriv teksten på én linje (uden linjeskift).")


def _has_control(pairs: object) -> bool:
    return any(CONTROL.search(key) or CONTROL.search(value) for key, value in pairs)  # type: ignore[attr-defined]


def check_request():  # type: ignore[no-untyped-def]
    """``before_request``: a 400 page for control characters where no view would explain them."""
    if request.endpoint is None:
        return None
    if CONTROL.search(request.path) or _has_control(request.args.items(multi=True)):
        return _refuse()
    if request.method != "POST":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, PARK_ATTR, False) or request.endpoint in OWN_TEXT_CHECKS:
        return None
    if _has_control(request.form.items(multi=True)):
        return _refuse()
    return None


def _refuse():  # type: ignore[no-untyped-def]
    return render_template("error.html", status=400, title="Ugyldige tegn", text=MESSAGE), 400


def init_app(app: Flask) -> None:
    app.before_request(check_request)
