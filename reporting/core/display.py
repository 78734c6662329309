"""Danish display helpers for the coordinator pages (dates, months, shares)."""

from __future__ import annotations

from datetime import datetime

from reporting.core.schedule import COPENHAGEN, Period, format_date_da, format_period_da


def format_instant(instant: datetime | None) -> str:
    """``24.11.2026 kl. 14.05`` in Copenhagen time; empty for None."""
    if instant is None:
        return ""
    return instant.astimezone(COPENHAGEN).strftime("%d.%m.%Y kl. %H.%M")


def format_moment_da(instant: datetime | None) -> str:
    """``24. november 2026 kl. 14.05`` in Copenhagen time: the date as :func:`format_date_da` writes
    it, for pages that show dates and times together; empty for None."""
    if instant is None:
        return ""
    local = instant.astimezone(COPENHAGEN)
    return f"{format_date_da(local.date())} kl. {local:%H.%M}"


def format_period(period: Period) -> str:
    """``november 2026``."""
    return format_period_da(period)


def format_percent(share: float | None) -> str:
    """``87 %`` (Danish spacing), or an en dash when there is nothing to divide."""
    return "–" if share is None else f"{round(share * 100)} %"


HELPERS = {
    "format_instant": format_instant,
    "format_period": format_period,
    "format_date": format_date_da,
    "format_percent": format_percent,
}
