"""Tests in this folder run in headless Chromium (fixtures ``browser``, ``page``, ``live_server``
live in tests/conftest.py so that other folders can use them too)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
