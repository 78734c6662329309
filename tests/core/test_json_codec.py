"""Stored JSON is read back exactly, whichever decoder does it."""

from __future__ import annotations

import json
import math

from sqlalchemy import select

from reporting.core.json_codec import loads


def test_answers_read_back_as_the_same_values() -> None:
    stored = {"q3": 2, "q21": [1, 3], "q40": "2024-05-03", "q26_tid": 150, "q13": None, "q8": True,
              "fritekst": "Æble, ø og å \u2013 \"citat\" \\ \n ny linje 😀", "tom": [], "nested": {"a": [1.5, -2]}}
    assert loads(json.dumps(stored)) == stored
    assert loads(json.dumps(stored, ensure_ascii=False).encode()) == stored


def test_what_only_the_standard_library_writes_stays_readable() -> None:
    value = loads(json.dumps({"big": 2**70, "nan": float("nan")}))
    assert value["big"] == 2**70 and math.isnan(value["nan"])


def test_the_database_hands_back_stored_answers_unchanged(app) -> None:  # type: ignore[no-untyped-def]
    from reporting.core.extensions import db
    from reporting.core.schedule import Period
    from reporting.skp.models import Report

    import factories

    answers = {"q3": 2, "q21": [1, 3], "q12": 0, "q40": "2024-05-03", "q45": "Æ ø \u2013 😀"}
    with app.app_context():
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["json_deserializer"] is loads
        factories.submitted_report(factories.user("skp"), "K-00001", Period(2024, 5), answers)
        db.session.expire_all()
        assert db.session.scalars(select(Report)).one().answers == answers
