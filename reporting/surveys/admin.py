"""The coordinator's survey pages: waves of the scope, opening a wave, participation, closing,
changing the end date, reminders, and the results chart.

Every wave is loaded through :func:`reporting.surveys.waves.wave_in_scope_or_404`; the units offered
come from :func:`reporting.auth.scope.scoped_units`. Coordinators see counts and aggregated results,
never a caseworker's answers (results suppress groups under 5, :mod:`reporting.surveys.results`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from forms import get_definition
from reporting.auth.access import roles
from reporting.auth.input_guard import single_line
from reporting.auth.scope import scope_label, scoped_units
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.display import HELPERS as CORE_HELPERS
from reporting.core.display import format_moment_da
from reporting.core.extensions import db
from reporting.core.models import Unit
from reporting.surveys.models import WAVE_KINDS, SurveyWave
from reporting.surveys.participation import NAMES_THRESHOLD, participation, reminder_recipients, send_reminders
from reporting.surveys.results import HIDDEN_TEXT, THRESHOLD, compute, load_respondents
from reporting.surveys.waves import (
    WaveError,
    change_end_date,
    close_wave,
    open_wave,
    today_local,
    wave_in_scope_or_404,
    waves_in_scope,
)

bp = Blueprint("survey_admin", __name__, url_prefix="/coordinator/surveys")

#: One date format on every survey page: "15. december 2026", "1. december 2026 kl. 10.00".
HELPERS = {**CORE_HELPERS, "format_instant": format_moment_da}

_DATE_RE = re.compile(r"^\s*(\d{1,2})[-./](\d{1,2})[-./](\d{4})\s*$")


class DanishDateField(DateField):
    """A date as ``åååå-mm-dd`` (the date picker) or ``dd-mm-åååå``, with a Danish message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        text = str(valuelist[0])
        match = _DATE_RE.match(text)
        try:
            self.data = date(*map(int, match.groups()[::-1])) if match else date.fromisoformat(text.strip())
        except ValueError:
            self.data = None
            raise ValueError("Skriv datoen som dd-mm-åååå, fx 31-05-2027.") from None


class WaveForm(FlaskForm):
    kind = SelectField("Måling", choices=[SelectChoice(key, label) for key, label in WAVE_KINDS.items()])
    title = StringField("Navn på målingen", validators=[DataRequired("Giv målingen et navn, fx Baseline 2026."),
                                                         Length(max=200), single_line])
    end_date = DanishDateField("Sidste svardag", validators=[InputRequired("Skriv den sidste dag, der kan svares.")])
    units = SelectMultipleField("Enheder", coerce=int, validators=[DataRequired("Vælg mindst én enhed.")])
    baseline = SelectField("Sammenlign med baselinemåling (kun ved opfølgende måling)", coerce=int, default=0)


class EndDateForm(FlaskForm):
    end_date = DanishDateField("Ny sidste svardag", validators=[InputRequired("Skriv den nye sidste svardag.")])


class ConfirmForm(FlaskForm):
    """Only the CSRF token of a button."""


def _unit_label(unit: Unit) -> str:
    return f"{unit.municipality.name} – {unit.name}"


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    waves = db.session.scalars(waves_in_scope()).all()
    return render_template("surveys/admin/index.html", waves=waves, moment=now(), scope=scope_label(), **HELPERS)


@bp.route("/new", methods=["GET", "POST"])
@roles("coordinator")
def new():  # type: ignore[no-untyped-def]
    form = WaveForm()
    units = {unit.id: unit for unit in db.session.scalars(scoped_units())}
    baselines = {w.id: w for w in db.session.scalars(waves_in_scope().where(SurveyWave.kind == "baseline"))}
    form.units.choices = [SelectChoice(unit.id, _unit_label(unit)) for unit in units.values()]
    form.baseline.choices = [SelectChoice(0, "Ingen")] + [SelectChoice(w.id, w.title) for w in baselines.values()]
    if form.validate_on_submit():
        try:
            wave = open_wave(form.kind.data, form.title.data, form.end_date.data,
                             [units[unit_id] for unit_id in form.units.data], current_user,
                             baseline=baselines.get(form.baseline.data) if form.kind.data == "followup" else None)
        except WaveError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Målingen {wave.title} er åbnet. Sagsbehandlerne i enhederne kan nu svare.", "success")
            return redirect(url_for("survey_admin.wave", wave_id=wave.id))
    return render_template("surveys/admin/new.html", form=form, today=today_local(), **HELPERS)


@bp.route("/<int:wave_id>")
@roles("coordinator")
def wave(wave_id: int):  # type: ignore[no-untyped-def]
    row = wave_in_scope_or_404(wave_id)
    return _render_wave(row, EndDateForm(formdata=None))


def _render_wave(row: SurveyWave, end_form: EndDateForm) -> str:
    """The wave page; ``recipients`` is who a reminder would reach now (0: the button is disabled)."""
    return render_template("surveys/admin/wave.html", wave=row, moment=now(), stats=participation(row),
                           names_threshold=NAMES_THRESHOLD, end_form=end_form, confirm=ConfirmForm(),
                           recipients=len(reminder_recipients(row)), unit_label=_unit_label, **HELPERS)


def _checked(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        abort(400)


@bp.route("/<int:wave_id>/close", methods=["POST"])
@roles("coordinator")
def close(wave_id: int):  # type: ignore[no-untyped-def]
    row = wave_in_scope_or_404(wave_id)
    _checked(ConfirmForm())
    try:
        close_wave(row)
    except WaveError as error:
        flash(str(error), "info")
    else:
        db.session.commit()
        flash("Målingen er lukket. Svarene kan ikke længere ændres.", "success")
    return redirect(url_for("survey_admin.wave", wave_id=row.id))


@bp.route("/<int:wave_id>/end-date", methods=["POST"])
@roles("coordinator")
def end_date(wave_id: int):  # type: ignore[no-untyped-def]
    row = wave_in_scope_or_404(wave_id)
    form = EndDateForm()
    if form.validate_on_submit():
        try:
            flash(change_end_date(row, form.end_date.data), "success")
        except WaveError as error:
            form.end_date.errors = [str(error)]
        else:
            db.session.commit()
            return redirect(url_for("survey_admin.wave", wave_id=row.id))
    db.session.rollback()
    return _render_wave(row, form), 422


@bp.route("/<int:wave_id>/remind", methods=["POST"])
@roles("coordinator")
def remind(wave_id: int):  # type: ignore[no-untyped-def]
    row = wave_in_scope_or_404(wave_id)
    _checked(ConfirmForm())
    try:
        count = send_reminders(row)
    except WaveError as error:
        flash(str(error), "info")
    else:
        db.session.commit()
        flash(f"Påmindelsen er sendt til {count} {'sagsbehandler' if count == 1 else 'sagsbehandlere'}.", "success")
    return redirect(url_for("survey_admin.wave", wave_id=row.id))


@bp.route("/<int:wave_id>/results")
@roles("coordinator")
def results(wave_id: int):  # type: ignore[no-untyped-def]
    row = wave_in_scope_or_404(wave_id)
    baseline, followup = (row, None) if row.kind == "baseline" else (_baseline_in_scope(row), row)
    unit_choices = sorted({u.id: u for w in (baseline, followup) if w for u in w.units}.values(), key=_unit_label)
    unit_id = request.args.get("unit", type=int)
    if unit_id is not None and unit_id not in {u.id for u in unit_choices}:
        abort(404)
    outcome = compute(get_definition(row.definition_key), load_respondents(baseline) if baseline else None,
                      load_respondents(followup) if followup else None, unit_id)
    labels = (_series_label(baseline, "Baseline"), _series_label(followup, "Opfølgning"))
    audit.record("survey_results_viewed", "survey_wave", row.id, municipality_id=row.municipality_id,
                 unit=unit_id)
    db.session.commit()
    return render_template(
        "surveys/admin/results.html", wave=row, baseline=baseline, followup=followup, results=outcome,
        chart=outcome.chart_data(*labels), labels=labels, unit_choices=unit_choices, unit_id=unit_id,
        unit_label=_unit_label, threshold=THRESHOLD, hidden_text=HIDDEN_TEXT,
        followups=[] if followup else _followups_of(row), **HELPERS,
    )


def _series_label(wave: SurveyWave | None, word: str) -> str:
    """The wave's title for legends and column headers, prefixed with its kind unless the title says it."""
    if wave is None:
        return ""
    return wave.title if word.lower() in wave.title.lower() else f"{word}: {wave.title}"


def _baseline_in_scope(followup: SurveyWave) -> SurveyWave | None:
    """The baseline a follow-up is compared with, if the coordinator may see it."""
    if followup.baseline_wave_id is None:
        return None
    return db.session.scalar(waves_in_scope().where(SurveyWave.id == followup.baseline_wave_id))


def _followups_of(baseline: SurveyWave) -> list[SurveyWave]:
    return list(db.session.scalars(waves_in_scope().where(SurveyWave.baseline_wave_id == baseline.id)))
