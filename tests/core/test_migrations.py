"""Migrations: empty → head, no drift from the models, head → base; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reporting.app import create_app
from reporting.core.extensions import db

from support import PG_URL, base_config, scratch_postgres_database


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_postgres_database("skp_migration") as url:
        yield url


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url: str) -> None:
    app = create_app(base_config(empty_database_url))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "municipality", "unit", "audit_event", "outbox_mail"} <= tables
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
