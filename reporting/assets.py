"""Serves Det Fælles Designsystem (npm package ``dkfds``) from ``node_modules``, never from the repo."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory

import forms
from reporting.auth.access import public

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.route("/dkfds/<path:filename>")
@public
def dkfds(filename: str):  # type: ignore[no-untyped-def]
    return send_from_directory(current_app.config["DKFDS_DIR"], filename, max_age=3600)


@bp.route("/js/skiplogic.js")
@public
def skiplogic():  # type: ignore[no-untyped-def]
    """The browser mirror of the skip-logic rules, shipped with the questionnaire engine."""
    return send_from_directory(Path(forms.__file__).parent / "static", "skiplogic.js", max_age=3600)


CHARTJS_DIR = Path(__file__).resolve().parent.parent / "node_modules/chart.js/dist"


@bp.route("/chartjs/<path:filename>")
@public
def chartjs(filename: str):  # type: ignore[no-untyped-def]
    """Chart.js (npm ``chart.js``, installed by ``make``) for the compliance chart."""
    return send_from_directory(current_app.config.get("CHARTJS_DIR") or CHARTJS_DIR, filename, max_age=3600)
