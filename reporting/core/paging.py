"""Page numbers from the query string, kept within the pages that exist."""

from __future__ import annotations

from flask import request


def page_count(count: int, size: int) -> int:
    return max((count + size - 1) // size, 1)


def requested_page(count: int, size: int) -> int:
    """``?page=`` clamped to 1…last page: a huge or malformed number shows the last or first page,
    never an OFFSET the database cannot hold (security-probe.md L2)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), page_count(count, size))
