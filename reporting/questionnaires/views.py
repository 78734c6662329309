"""Read-only preview of the questionnaires for coordinators and evaluators ("Spørgeskemaer").

Each questionnaire section by section with every code, flag and rule in Danish words, and the
codebook of exported variables, so the transcription can be checked against the seed forms.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from forms import Questionnaire, codebook, describe_rule, load_shipped
from forms.codebook import TIMING_TEXTS, WAVE_TEXTS
from reporting.auth.access import roles

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")

TYPE_TEXTS = {
    "single": "Ét svar",
    "multi": "Flere svar mulige",
    "grid": "Skema: ét svar pr. udsagn",
    "integer": "Heltal",
    "duration_hm": "Timer og minutter (gemmes som minutter)",
    "date": "Dato",
    "date_or_before": "Før 1.6.2007 eller en dato",
    "text": "Fritekst",
    "short_text": "Kort tekst",
    "group": "Gruppe af delspørgsmål",
}
MISSING_TEXTS = {"ved_ikke": "«ved ikke»", "uoplyst": "«uoplyst»", "ikke_kendt": "«ikke kendt»"}


def _latest() -> dict[str, Questionnaire]:
    latest: dict[str, Questionnaire] = {}
    for (key, _version), definition in sorted(load_shipped().items()):
        latest[key] = definition
    return latest


def _definition_or_404(key: str) -> Questionnaire:
    definition = _latest().get(key)
    if definition is None:
        abort(404)
    return definition


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    return render_template("questionnaires/index.html", definitions=list(_latest().values()))


@bp.route("/<key>")
@roles("coordinator")
def show(key: str):  # type: ignore[no-untyped-def]
    definition = _definition_or_404(key)
    return render_template(
        "questionnaires/show.html", q=definition, type_texts=TYPE_TEXTS, timing_texts=TIMING_TEXTS,
        wave_texts=WAVE_TEXTS, missing_texts=MISSING_TEXTS, rule_text=lambda rule: describe_rule(definition, rule),
    )


@bp.route("/<key>/codebook")
@roles("coordinator")
def codebook_view(key: str):  # type: ignore[no-untyped-def]
    definition = _definition_or_404(key)
    return render_template("questionnaires/codebook.html", q=definition, variables=codebook(definition),
                           missing_texts=MISSING_TEXTS)
