"""Serves Det Fælles Designsystem (npm package ``dkfds``) from ``node_modules``, never from the repo."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

from reporting.access import public

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.route("/dkfds/<path:filename>")
@public
def dkfds(filename: str):  # type: ignore[no-untyped-def]
    return send_from_directory(current_app.config["DKFDS_DIR"], filename, max_age=3600)
