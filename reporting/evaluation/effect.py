"""The page "Effektmåling" (D26): the seed evaluation's analyses on the reports in scope.

Coordinators see their own municipality, national coordinators (the evaluators) any municipality
or the whole country. The numbers come from :mod:`exports.effect` fed with exactly the records the
workbook reads (:func:`reporting.evaluation.source.report_records` with the same municipality and
months), so the page and the sheets "Effekt", "Grupper" and "Regression" agree.

Computed once per change of the data, not per view: a result is kept per filter (scope,
municipality, months) together with the *fingerprint* of the reports it was computed from (count,
highest id and latest ``updated_at`` of the submitted reports in the filter, one aggregate query).
A view asks for the fingerprint, and only when it differs is the result computed again. Results
live in memory and in ``<instance>/effect-cache/`` (0700, files 0600) so every worker process and
a restart reuse them. The group filter only chooses what is shown and is not part of the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_wtf import FlaskForm
from sqlalchemy import func
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, Regexp

from exports import effect
from exports.definitions import scale_specs
from exports.sheets_common import by_course
from reporting.auth.access import roles
from reporting.auth.scope import current_scope, scope_label, scoped_municipalities
from reporting.core.clock import now
from reporting.core.display import format_moment_da
from reporting.core.extensions import db
from reporting.core.models import Municipality
from reporting.core.schedule import Period, format_period_da
from reporting.evaluation.source import ExportRequest, _report_query, parse_month, report_records
from reporting.skp.models import Report

bp = Blueprint("effect", __name__, url_prefix="/coordinator/effect")

_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH_MESSAGE = "Skriv måneden som ÅÅÅÅ-MM."
#: Results kept in memory per process (the file cache holds the rest).
MEMORY_ENTRIES = 32
_CODE_VERSION = hashlib.sha256(Path(effect.__file__).read_bytes()).hexdigest()[:16]


class EffectFilter(FlaskForm):
    """The page's filters (GET, no CSRF: nothing changes)."""

    class Meta:
        csrf = False

    kommune = SelectField("Kommune", default="", validate_choice=False)  # checked against the scope
    fra = StringField("Fra og med måned", validators=[Optional(), Regexp(_MONTH, message=_MONTH_MESSAGE)])
    til = StringField("Til og med måned", validators=[Optional(), Regexp(_MONTH, message=_MONTH_MESSAGE)])
    gruppe = SelectField("Gruppe", default=effect.ALL,
                         choices=[SelectChoice(k, v) for k, v in effect.group_labels().items()])


@dataclass
class Computed:
    """One filter's results and what they were computed from."""

    fingerprint: list[Any]
    results: effect.EffectResults
    computed_at: str
    reports: int


_memory: dict[str, Computed] = {}
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def fingerprint(scope: int | None, selection: ExportRequest) -> list[Any]:
    """Count, highest id and latest change of the submitted reports the filter selects."""
    query = _report_query(scope, selection).with_only_columns(
        func.count(Report.id), func.max(Report.id), func.max(Report.updated_at)).order_by(None)
    count, top, changed = db.session.execute(query).one()
    return [int(count or 0), int(top or 0), changed.isoformat() if changed else None]


def _key(scope: int | None, selection: ExportRequest) -> str:
    parts = [_CODE_VERSION, current_app.instance_path, str(db.engine.url), scope, selection.municipality_id,
             str(selection.first or ""), str(selection.last or "")]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _cache_dir() -> Path:
    path = Path(current_app.instance_path) / "effect-cache"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _read_file(key: str) -> Computed | None:
    try:
        data = json.loads((_cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
        return Computed(data["fingerprint"], effect.EffectResults.from_dict(data["results"]), data["computed_at"],
                        data["reports"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_file(key: str, computed: Computed) -> None:
    path = _cache_dir() / f"{key}.json"
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"fingerprint": computed.fingerprint, "results": computed.results.to_dict(),
                   "computed_at": computed.computed_at, "reports": computed.reports}, handle)
    os.replace(tmp, path)


def compute(scope: int | None, selection: ExportRequest) -> effect.EffectResults:
    """The analyses of :mod:`exports.effect` on the reports in scope (the workbook's records)."""
    from forms import get_definition

    definition = get_definition("skp_monthly")

    def loader(version: int) -> Any:
        return definition if version == definition.version else get_definition(definition.key, version)

    collector = effect.EffectCollector(scale_specs(definition), loader)
    return collector.extend(by_course(report_records(scope, selection))).results()


def effect_results(scope: int | None, selection: ExportRequest) -> Computed:
    """The results for the filter, computed only when the reports changed since last time."""
    key = _key(scope, selection)
    current = fingerprint(scope, selection)
    cached = _memory.get(key)
    if cached is not None and cached.fingerprint == current:
        return cached
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        cached = _memory.get(key)
        if cached is None or cached.fingerprint != current:
            cached = _read_file(key)
        if cached is None or cached.fingerprint != current:
            cached = Computed(current, compute(scope, selection), now().isoformat(), current[0])
            _write_file(key, cached)
        if len(_memory) >= MEMORY_ENTRIES and key not in _memory:
            _memory.pop(next(iter(_memory)))
        _memory[key] = cached
    return cached


def clear_memory() -> None:
    """Forget the in-memory results (tests; the file cache is keyed by the data anyway)."""
    _memory.clear()


def _form() -> EffectFilter:
    form = EffectFilter(request.args)
    municipalities = db.session.execute(scoped_municipalities().with_only_columns(Municipality.id, Municipality.name)
                                        .order_by(Municipality.name)).all()
    first = [SelectChoice("", "Hele landet")] if current_scope() is None else []
    form.kommune.choices = first + [SelectChoice(str(m.id), m.name) for m in municipalities]
    if current_scope() is not None and not form.kommune.data:
        form.kommune.data = str(current_scope())
    return form


def _selection(form: EffectFilter) -> ExportRequest | None:
    """The filter as an :class:`ExportRequest` (the workbook's own filter), or None with errors set."""
    if not form.validate():
        return None
    raw = form.kommune.data or ""
    municipality_id = int(raw) if raw.isdigit() else None
    if raw and (municipality_id is None or db.session.scalar(
            scoped_municipalities().with_only_columns(Municipality.id).where(Municipality.id == municipality_id)
    ) is None):
        form.kommune.errors = ["Vælg en kommune fra listen."]
        return None
    try:
        return ExportRequest(municipality_id, parse_month(form.fra.data), parse_month(form.til.data))
    except ValueError:
        form.til.errors = ["Til-måneden skal ligge efter fra-måneden."]
        return None


def chart_data(results: effect.EffectResults, group: str) -> dict[str, Any]:
    """Per scale the levels of ``group`` for the chart: labels, means and CI bounds (as printed)."""
    out: dict[str, Any] = {}
    for key, label in results.scales:
        rows = [r for r in results.levels if r.scale == key and r.group == group]
        out[key] = {
            "label": label,
            "labels": [r.label for r in rows],
            "n": [r.n for r in rows],
            "mean": [effect.rounded(r.mean, "mean") for r in rows],
            "low": [effect.rounded(r.ci_low, "mean") for r in rows],
            "high": [effect.rounded(r.ci_high, "mean") for r in rows],
        }
    return out


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    form = _form()
    selection = _selection(form)
    group = form.gruppe.data if form.gruppe.data in effect.group_labels() else effect.ALL
    computed = None
    if selection is not None:
        computed = effect_results(current_scope(), selection)
    status = 200 if selection is not None else 400
    computed_at = format_moment_da(datetime.fromisoformat(computed.computed_at)) if computed else ""
    return render_template(
        "evaluation/effect.html", form=form, scope=scope_label(), computed=computed,
        results=computed.results if computed else None, group=group, group_label=effect.group_labels()[group],
        chart=chart_data(computed.results, group) if computed else {}, fmt=effect.text_da,
        groups_text=effect.groups_text, method=effect.method_da(), term_labels=effect.TERMS, computed_at=computed_at,
        period_text=_period_text(selection),
    ), status


def _period_text(selection: ExportRequest | None) -> str:
    if selection is None:
        return ""
    first, last = selection.first, selection.last

    def month(p: Period) -> str:
        return format_period_da(p)

    if first and last:
        return f"indberetninger fra {month(first)} til og med {month(last)}"
    if first:
        return f"indberetninger fra {month(first)}"
    if last:
        return f"indberetninger til og med {month(last)}"
    return "alle indsendte indberetninger"


__all__ = ["bp", "chart_data", "clear_memory", "compute", "effect_results", "fingerprint"]
