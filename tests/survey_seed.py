"""Test data for the caseworker survey: caseworkers in units, waves and responses (committed rows).

Every helper works inside an app context. Answers are stored as the engine stores them
(question key -> int code), so the results are computed exactly as for answers typed in the form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reporting.auth.users import get_or_create_municipality, get_or_create_unit
from reporting.core.extensions import db
from reporting.core.models import Unit, User
from reporting.surveys.models import SurveyResponse, SurveyWave, SurveyWaveUnit

import factories

B_ITEMS = ("b1", "b2", "b3", "b4", "b5", "b6")
F_ITEMS = ("f1", "f2", "f3", "f4")


def unit(name: str, municipality: str = "Esbjerg") -> Unit:
    row = get_or_create_unit(get_or_create_municipality(municipality), name)
    db.session.commit()
    return row


def caseworker(email: str, unit_name: str, municipality: str = "Esbjerg") -> User:
    return factories.user("caseworker", email=email, municipality_name=municipality, unit_name=unit_name)


def wave(units: list[Unit], kind: str = "baseline", *, end: date | None = None, title: str | None = None,
         opened_at: datetime | None = None, baseline: SurveyWave | None = None) -> SurveyWave:
    municipalities = {u.municipality_id for u in units}
    row = SurveyWave(kind=kind, title=title or f"{kind} {len(units)}", end_date=end or date.today() + timedelta(30),
                     opened_at=opened_at or datetime(2000, 1, 1, tzinfo=UTC),
                     municipality_id=municipalities.pop() if len(municipalities) == 1 else None,
                     baseline_wave_id=baseline.id if baseline else None,
                     unit_rows=[SurveyWaveUnit(unit_id=u.id) for u in units])
    db.session.add(row)
    db.session.commit()
    db.session.refresh(row)  # usable (id, title) after the app context has ended
    return row


def answers(kind: str, code: int, **overrides: object) -> dict[str, object]:
    """Every item of ``kind`` answered with ``code``; ``overrides`` set single items."""
    keys = B_ITEMS + (F_ITEMS if kind == "followup" else ())
    return {**{key: code for key in keys}, **overrides}


def response(survey: SurveyWave, user: User, values: dict[str, object], *, submitted: bool = True) -> SurveyResponse:
    row = SurveyResponse(wave_id=survey.id, user_id=user.id, unit_id=user.unit_id, answers=values,
                         status="submitted" if submitted else "draft", definition_key="caseworker",
                         definition_version=1, submitted_at=datetime.now(UTC) if submitted else None)
    db.session.add(row)
    db.session.commit()
    return row


def sample_wave(user: User) -> SurveyWave:
    """Wave 1 for the access-policy table: open, asking the caseworker's unit, or unit 1 of the
    coordinator's municipality (created by the table's sample worker)."""
    if user.has_role("caseworker"):
        user.unit = unit("Sagsbehandlerne")
        db.session.commit()
        units = [user.unit]
    else:
        units = [db.session.get(Unit, 1)]
    row = wave(units)
    assert row.id == 1
    return row
