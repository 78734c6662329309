"""Absolute links for e-mails, built from ``BASE_URL`` (works in requests and in CLI jobs alike)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: object) -> str:
    """``BASE_URL`` + the path of ``endpoint``; never the host of the current request (Host header)."""
    base = urlsplit(current_app.config.get("BASE_URL") or "http://127.0.0.1:5000")
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def first_available(*endpoints: str) -> str:
    """The first endpoint the app serves (a feature may not be installed yet), else ``main.index``."""
    return next((e for e in endpoints if e in current_app.view_functions), "main.index")
