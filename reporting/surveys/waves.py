"""Survey waves: opening, closing early, changing the end date, and which waves a caseworker sees.

Operations flush but never commit; the views commit once. A unit is asked in at most one open
wave at a time, so a caseworker never has two open surveys: opening a wave, or reopening one by
giving it a new end date, is refused for units already in another open wave. Coordinators reach
waves only through :func:`waves_in_scope` (their municipality, or national); a wave outside the
scope is 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from flask import abort
from sqlalchemy import Select, select

from reporting.auth.scope import scope_filter
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import Unit, User
from reporting.core.schedule import COPENHAGEN, format_date_da
from reporting.surveys.models import WAVE_KINDS, SurveyResponse, SurveyWave, SurveyWaveUnit


class WaveError(ValueError):
    """An operation on a wave that is not allowed; the message is Danish and shown as it is."""


def today_local() -> date:
    """Today's date in Copenhagen, by :func:`reporting.core.clock.now`."""
    return now().astimezone(COPENHAGEN).date()


def waves_in_scope() -> Select[tuple[SurveyWave]]:
    """The current coordinator's waves, newest first."""
    return (select(SurveyWave).where(scope_filter(SurveyWave.municipality_id))
            .order_by(SurveyWave.opened_at.desc(), SurveyWave.id.desc()))


def wave_in_scope_or_404(wave_id: int) -> SurveyWave:
    wave = db.session.scalar(waves_in_scope().where(SurveyWave.id == wave_id))
    if wave is None:
        abort(404)
    return wave


def _open_condition():  # type: ignore[no-untyped-def]
    """SQL for "open now": not closed early and the end date not passed (Copenhagen)."""
    return (SurveyWave.closed_at.is_(None)) & (SurveyWave.end_date >= today_local()) & (
        SurveyWave.opened_at <= now())


def busy_units(unit_ids: Iterable[int], exclude_wave_id: int | None = None) -> list[Unit]:
    """The units among ``unit_ids`` that another open wave already asks."""
    ids = list(unit_ids)
    if not ids:
        return []
    query = (select(Unit).join(SurveyWaveUnit, SurveyWaveUnit.unit_id == Unit.id)
             .join(SurveyWave, SurveyWave.id == SurveyWaveUnit.wave_id)
             .where(Unit.id.in_(ids), _open_condition()).distinct().order_by(Unit.name))
    if exclude_wave_id is not None:
        query = query.where(SurveyWave.id != exclude_wave_id)
    return list(db.session.scalars(query))


def _check_end_date(end_date: date) -> None:
    if end_date < today_local():
        raise WaveError("Slutdatoen må ikke ligge før i dag.")


def _check_free(unit_ids: Iterable[int], exclude_wave_id: int | None = None) -> None:
    busy = busy_units(unit_ids, exclude_wave_id)
    if busy:
        names = ", ".join(unit.name for unit in busy)
        raise WaveError(f"Der er allerede en åben måling for: {names}. Luk den først, eller vælg andre enheder.")


def open_wave(kind: str, title: str, end_date: date, units: Sequence[Unit], by: User,
              baseline: SurveyWave | None = None) -> SurveyWave:
    """Open a wave now for ``units`` (already checked to lie in the coordinator's scope)."""
    if kind not in WAVE_KINDS:
        raise WaveError("Vælg baselinemåling eller opfølgende måling.")
    if not units:
        raise WaveError("Vælg mindst én enhed.")
    if baseline is not None and (kind != "followup" or baseline.kind != "baseline"):
        raise WaveError("Kun en opfølgende måling kan sammenlignes med en baselinemåling.")
    _check_end_date(end_date)
    _check_free(unit.id for unit in units)
    municipalities = {unit.municipality_id for unit in units}
    wave = SurveyWave(kind=kind, title=title.strip(), end_date=end_date, opened_at=now(), created_by_id=by.id,
                      municipality_id=municipalities.pop() if len(municipalities) == 1 else None,
                      baseline_wave_id=baseline.id if baseline else None,
                      unit_rows=[SurveyWaveUnit(unit_id=unit.id) for unit in units])
    db.session.add(wave)
    db.session.flush()
    audit.record("survey_wave_opened", "survey_wave", wave.id, municipality_id=wave.municipality_id,
                 kind=kind, units=sorted(unit.id for unit in units), end_date=end_date.isoformat())
    return wave


def close_wave(wave: SurveyWave) -> None:
    """Close an open wave now: from then on it is read-only."""
    if not wave.is_open(now()):
        raise WaveError("Målingen er allerede lukket.")
    wave.closed_at = now()
    db.session.flush()
    audit.record("survey_wave_closed", "survey_wave", wave.id, municipality_id=wave.municipality_id)


def change_end_date(wave: SurveyWave, end_date: date) -> str:
    """Give the wave a new end date (extend, shorten or reopen it); returns a Danish confirmation."""
    _check_end_date(end_date)
    was_open = wave.is_open(now())
    if not was_open:
        _check_free(wave.unit_ids, exclude_wave_id=wave.id)
    wave.end_date, wave.closed_at = end_date, None
    db.session.flush()
    action = "survey_wave_end_date_changed" if was_open else "survey_wave_reopened"
    audit.record(action, "survey_wave", wave.id, municipality_id=wave.municipality_id,
                 end_date=end_date.isoformat())
    verb = "er nu åben til og med" if was_open else "er genåbnet til og med"
    return f"Målingen {verb} {format_date_da(end_date)}."


def open_waves_for(user: User) -> list[tuple[SurveyWave, SurveyResponse | None]]:
    """The open waves a caseworker may answer, with their own response (None if not started)."""
    if not user.has_role("caseworker") or not user.active:
        return []
    in_unit = select(SurveyWaveUnit.wave_id).where(SurveyWaveUnit.unit_id == user.unit_id)
    started = select(SurveyResponse.wave_id).where(SurveyResponse.user_id == user.id)
    waves = db.session.scalars(
        select(SurveyWave).where(_open_condition(), SurveyWave.id.in_(in_unit) | SurveyWave.id.in_(started))
        .order_by(SurveyWave.end_date, SurveyWave.id)
    ).all()
    return [(wave, own_response(wave, user)) for wave in waves]


def own_response(wave: SurveyWave, user: User) -> SurveyResponse | None:
    """The user's own response to ``wave``: the only response a caseworker's view ever loads."""
    return db.session.scalar(select(SurveyResponse).where(SurveyResponse.wave_id == wave.id,
                                                          SurveyResponse.user_id == user.id))


def may_answer(wave: SurveyWave, user: User) -> bool:
    """A caseworker may open a wave that asks their unit, or one they have already answered."""
    return (user.unit_id is not None and user.unit_id in wave.unit_ids) or own_response(wave, user) is not None
