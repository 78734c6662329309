"""Helpers for the fault, bad-input, access and backup tests (issue #9): posting report forms,
reading what a page shows in its inputs, snapshotting the database and injecting database failures.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms import get_definition, to_formdata
from forms.sample import sample_answers
from reporting.core.extensions import db

from support import csrf_token

DEFINITION = get_definition("skp_monthly")
INTAKE_SECTIONS = ["del1", "del2", "del3", "del4", "del5", "del6"]


def report_url(number: str, month: str) -> str:
    return f"/skp/clients/{number}/reports/{month}"


def form_state(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden fields of the report form as rendered now (version, token, closing answer, CSRF)."""
    html = client.get(path).get_data(as_text=True)
    if 'name="version"' not in html:  # a submitted report opens as a summary; "Ret" opens the form
        html = client.get(f"{path}?ret=1").get_data(as_text=True)
    fields = {}
    for name in ("version", "submission_token", "closing"):
        match = re.search(rf'name="{name}" value="([^"]*)"', html)
        fields[name] = match.group(1) if match else ""
    chosen = re.search(r'<input[^>]*name="closing" type="radio" value="([01])" checked', html)
    if chosen:  # the closing question (D21): the answer the form shows
        fields["closing"] = chosen.group(1)
    fields["csrf_token"] = csrf_token(client, path)
    return fields


def report_formdata(answers: dict[str, Any], state: dict[str, str], action: str) -> dict[str, Any]:
    return {**to_formdata(DEFINITION, answers), **state, "action": action}


def intake_answers(**overrides: object) -> dict[str, Any]:
    return sample_answers(DEFINITION, INTAKE_SECTIONS, overrides={"q16": 2, "q16_dato": "2008-08-20", **overrides})


class _Inputs(HTMLParser):
    """Collects what a page's form controls hold: (name, value) of text and hidden inputs, of
    checked radios and checkboxes, and of textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: set[tuple[str, str]] = set()
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "input" and "name" in attr:
            kind = attr.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in attr:
                    self.values.add((attr["name"], attr.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.values.add((attr["name"], attr.get("value", "")))
        elif tag == "textarea" and "name" in attr:
            self._textarea, self._text = attr["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text).replace("\r\n", "\n")  # as a browser reads it
            self.values.add((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_values(html: str) -> set[tuple[str, str]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def missing_inputs(html: str, posted: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The posted (name, value) pairs that the page does not hold in a form control."""
    shown = form_values(html)
    missing = []
    for name, value in posted.items():
        if name in ignore:
            continue
        for one in value if isinstance(value, list | tuple) else [value]:
            if (name, str(one)) not in shown:
                missing.append((name, str(one)))
    return missing


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read on a fresh connection (what another request would see)."""
    with app.app_context(), db.engine.connect() as conn:
        result = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            result[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
        return result


class FaultInjector:
    """Makes the Nth database statement (or the first commit) of the armed requests fail the way
    a real failure does: the driver raises its own OperationalError, which SQLAlchemy wraps."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self.dialect = db.engine.dialect
            self.postgres = db.engine.dialect.name == "postgresql"
        self.fail_statement: int | None = None
        self.fail_after = False  # every statement from fail_statement on fails (the database is down)
        self.fail_commit = False
        self.statements: list[str] = []
        self.fired = False
        self.failed_statement = ""
        self._originals: dict[str, Any] = {}

    def _driver_error(self, what: str) -> Exception:
        if self.postgres:
            import psycopg

            return psycopg.OperationalError(f"injected failure at {what}")
        return sqlite3.OperationalError(f"database is locked (injected at {what})")

    def _wrap_execute(self, name: str) -> None:
        original = getattr(self.dialect, name)
        self._originals[name] = original

        def execute(cursor: Any, statement: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(" ".join(statement.split()[:4]))
            n, at = len(self.statements), self.fail_statement
            if at is not None and (n == at or (self.fail_after and n > at)):
                self.failed_statement = self.failed_statement or self.statements[-1]
                self.fired = True
                raise self._driver_error(f"statement {len(self.statements)}")
            return original(cursor, statement, *args, **kwargs)

        setattr(self.dialect, name, execute)

    def _wrap_commit(self) -> None:
        original = self.dialect.do_commit
        self._originals["do_commit"] = original

        def commit(dbapi_connection: Any) -> Any:
            if self.fail_commit and not self.fired:
                self.fired = True
                raise self._driver_error("commit")
            return original(dbapi_connection)

        self.dialect.do_commit = commit  # type: ignore[method-assign]

    @contextmanager
    def armed(self, *, statement: int | None = None, commit: bool = False,
              down: bool = False) -> Iterator[FaultInjector]:
        """Fail statement number ``statement`` (and with ``down`` every one after it) or the commit."""
        self.fail_statement, self.fail_commit, self.statements, self.fired = statement, commit, [], False
        self.fail_after, self.failed_statement = down, ""
        for name in ("do_execute", "do_execute_no_params", "do_executemany"):
            self._wrap_execute(name)
        self._wrap_commit()
        try:
            yield self
        finally:
            for name in self._originals:
                vars(self.dialect).pop(name, None)
            self._originals = {}
            self.fail_statement, self.fail_commit, self.fail_after = None, False, False
