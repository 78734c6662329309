"""Run-time settings an administrator may change: reminder days, escalation day, audit retention,
and whether every user must use a second factor.

Each setting is text in the ``setting`` table and parsed on read; a missing row gives the default.
:func:`parse` refuses bad values with a Danish :class:`SettingError` message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reporting.core.extensions import UTCDateTime, db
from reporting.core.models import utcnow

REMINDER_DAYS = "reminder_days"
ESCALATION_DAY = "escalation_day"
AUDIT_RETENTION_MONTHS = "audit_retention_months"
MFA_FOR_EVERYONE = "mfa_for_everyone"
YES_NO = (("nej", "Nej"), ("ja", "Ja"))


class Setting(db.Model):
    """A run-time setting by key; absent keys take their default from the specs below."""

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class SettingError(ValueError):
    """A value cannot be used for the setting; the message is Danish and safe to show."""


def _day(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= 31:
        raise SettingError("Skriv en dag i måneden mellem 1 og 31.")
    return int(text)


def _days(text: str) -> tuple[int, ...]:
    parts = [part for part in text.replace(";", ",").split(",") if part.strip()]
    if not parts:
        raise SettingError("Skriv mindst én dag, fx 10, 14.")
    return tuple(sorted({_day(part) for part in parts}))


def _months(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= 240:
        raise SettingError("Skriv et antal måneder mellem 1 og 240.")
    return int(text)


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value not in {"ja", "nej"}:
        raise SettingError("Vælg ja eller nej.")
    return value == "ja"


def _default_escalation_day() -> str:
    return str(min(int(current_app.config.get("DEADLINE_DAY", 15)) + 1, 28))


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    hint: str
    parse: Callable[[str], object]
    default: Callable[[], str]
    #: (value, label) pairs when the setting is a choice (shown as a select), else None (a text field).
    choices: tuple[tuple[str, str], ...] | None = None

    def render(self, value: object) -> str:
        if isinstance(value, bool):
            return "ja" if value else "nej"
        return ", ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(REMINDER_DAYS, "Påmindelsesdage",
                    "Dage i måneden, hvor medarbejdere med forfaldne indberetninger får en påmindelse, fx 10, 14.",
                    _days, lambda: "10, 14"),
        SettingSpec(ESCALATION_DAY, "Dag for oversigt til koordinatorer",
                    "Dagen i måneden, hvor koordinatorer får antallet af overskredne indberetninger pr. medarbejder.",
                    _day, _default_escalation_day),
        SettingSpec(AUDIT_RETENTION_MONTHS, "Opbevaring af log (måneder)",
                    "Loghændelser ældre end dette slettes af det daglige job purge-audit.",
                    _months, lambda: "24"),
        SettingSpec(MFA_FOR_EVERYONE, "Totrinslogin for alle",
                    "Ja: alle brugere skal logge ind med en engangskode fra en app (totrinslogin), ikke kun "
                    "koordinatorer og administratorer. Gælder fra brugerens næste login.",
                    _yes_no, lambda: "nej", YES_NO),
    )
}


def parse(key: str, raw: str) -> object:
    """The parsed value of ``raw`` for setting ``key``; :class:`SettingError` when it is refused."""
    return SPECS[key].parse(raw)


def get(key: str) -> object:
    """The current value of a setting (parsed); the default when no valid value is stored."""
    spec = SPECS[key]
    row = db.session.get(Setting, key)
    if row is not None:
        try:
            return spec.parse(row.value)
        except SettingError:
            current_app.logger.warning("stored setting %s is invalid; using the default", key)
    return spec.parse(spec.default())


def put(key: str, raw: str, user_id: int | None) -> object:
    """Validate and store a setting (flushed, not committed); returns the parsed value."""
    spec = SPECS[key]
    value = spec.parse(raw)
    row = db.session.get(Setting, key) or Setting(key=key)
    row.value, row.updated_by_id = spec.render(value), user_id
    db.session.add(row)
    db.session.flush()
    return value


def reminder_days() -> tuple[int, ...]:
    return get(REMINDER_DAYS)  # type: ignore[return-value]


def escalation_day() -> int:
    return get(ESCALATION_DAY)  # type: ignore[return-value]


def audit_retention_months() -> int:
    return get(AUDIT_RETENTION_MONTHS)  # type: ignore[return-value]


def mfa_for_everyone() -> bool:
    return get(MFA_FOR_EVERYONE)  # type: ignore[return-value]
