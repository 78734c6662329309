"""The report tests' shared world: the clock at 10 September 2008 (August's report is due on the
15th) and Sara, an SKP worker with one client ("Hund 7"), logged in on the test client.

Test modules take the fixtures by importing them: ``from sara_2008 import app, worker``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

import factories
from support import login

SEPT_2008 = datetime(2008, 9, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=SEPT_2008)


@pytest.fixture
def worker(app: Flask, client: FlaskClient) -> str:
    """Sara's client's system number, Sara logged in on ``client``."""
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"), "Hund 7")
    login(client, "sara@example.com")
    return number
