"""The reporting schedule: which parts a monthly report contains, its deadline and its status.

Pure functions over plain values (no Flask, no database), so the form, the server validation,
the worker's list, reminders, the dashboard and the export all decide the same way
(decisions.md §3, questionnaire-spec.md §2.1-§2.5, E15, E18).

Time: a report covers one calendar month ``M`` (a :class:`Period`) and is due by the end of day
``day`` (default 15) of month ``M+1``, Europe/Copenhagen. Every instant passed in must be
timezone-aware; naive datetimes are refused with :class:`ValueError`. Instants are returned in
UTC.

Course membership: a course runs from its intake month to its closing month (inclusive; open
courses have no end). Asking for the parts of a month outside that range raises
:class:`NotInCourse` (a :class:`ValueError`); test with :meth:`CourseFacts.covers` first when
the month comes from user input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
DEFAULT_DEADLINE_DAY = 15

#: Months between periodic measurements (Del 2, Del 5, Del 6), counted from the anchor month.
PERIODIC_INTERVAL = 4

#: The timing class of each part of the SKP report (spec §2.3, D4: Del 5 is periodic).
SECTION_TIMING: dict[str, str] = {
    "del1": "intake",
    "del2": "periodic",
    "del3": "monthly",
    "del4": "monthly",
    "del5": "periodic",
    "del6": "periodic",
    "del7": "closing",
}
SECTIONS: tuple[str, ...] = tuple(SECTION_TIMING)

#: Del 1 questions re-asked in later reports while Q17 = 3 "Intet 1. samværsmøde" (E18).
Q17_REASK: frozenset[str] = frozenset({"q17", "q18"})
#: Q17 = 3 "Intet 1. samværsmøde": Q17/Q18 are asked again the next month (E18).
Q17_NO_MEETING = 3

_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_MIN_INDEX = 1 * 12  # 0001-01
_MAX_INDEX = 9999 * 12 + 11  # 9999-12


def _require_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return value


def _require_aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def _local_midnight(day: date) -> datetime:
    """00:00 Copenhagen time at the start of ``day``, in UTC (midnight is never skipped by DST)."""
    return datetime.combine(day, time(0), tzinfo=COPENHAGEN).astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Period
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A calendar month, ``YYYY-MM``; years 0001-9999.

    Ordered, hashable and immutable. ``p + n`` and ``p - n`` move by ``n`` months, ``p - q`` is
    the number of months from ``q`` to ``p``. Bad values raise :class:`ValueError`.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        _require_int("year", self.year)
        _require_int("month", self.month)
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1-9999, got {self.year}")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse exactly ``YYYY-MM`` (as in URLs, forms and exports)."""
        if not isinstance(text, str):
            raise ValueError(f"period must be text 'YYYY-MM', got {text!r}")
        match = _PERIOD_RE.fullmatch(text)
        if match is None:
            raise ValueError(f"period must look like 'YYYY-MM', got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month a calendar date lies in. A datetime is refused: use :meth:`containing`."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"Period.of needs a date (use Period.containing for instants), got {day!r}")
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, instant: datetime) -> Period:
        """The month an aware instant lies in, on the Copenhagen calendar."""
        local = _require_aware("instant", instant).astimezone(COPENHAGEN)
        return cls(local.year, local.month)

    @classmethod
    def _from_index(cls, index: int) -> Period:
        if not _MIN_INDEX <= index <= _MAX_INDEX:
            raise ValueError("period out of range 0001-01 … 9999-12")
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    # -- views --------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """Months since year 0 (``year*12 + month - 1``); differences are months between."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        if self.month == 12:
            return date(self.year, 12, 31)
        return date(self.year, self.month + 1, 1) - timedelta(days=1)

    @property
    def starts_at(self) -> datetime:
        """00:00 Copenhagen time on the first day, in UTC."""
        return _local_midnight(self.first_day)

    @property
    def ends_at(self) -> datetime:
        """The instant the month has ended: 00:00 Copenhagen time on the next month's first day."""
        return _local_midnight(self.last_day + timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Period('{self}')"

    # -- arithmetic ---------------------------------------------------------------------------

    def __add__(self, months: object) -> Period:
        if isinstance(months, bool) or not isinstance(months, int):
            return NotImplemented
        return Period._from_index(self.index + months)

    __radd__ = __add__

    @overload
    def __sub__(self, other: Period) -> int: ...
    @overload
    def __sub__(self, other: int) -> Period: ...
    def __sub__(self, other: object) -> Period | int:
        if isinstance(other, Period):
            return self.index - other.index
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return Period._from_index(self.index - other)


def months_between(start: Period, end: Period) -> int:
    """Months from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    return end.index - start.index


# --------------------------------------------------------------------------------------------
# Which parts are due
# --------------------------------------------------------------------------------------------


class NotInCourse(ValueError):
    """The month lies before the course's intake month or after its closing month."""


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What the schedule needs to know about one course (kontaktforløb).

    ``intake``: month of the intake report (the course's first month).
    ``contact_start``: the Q16 date when Q16 == 2, else ``None`` (anchor falls back to the
    intake month, E15). It may lie before the intake month (course already running).
    ``closing``: month of the report that closed the course (Del 7), ``None`` while open.
    ``q17_pending``: the latest submitted answers have Q17 = 3 (no first meeting yet, E18).
    """

    intake: Period
    contact_start: date | None = None
    closing: Period | None = None
    q17_pending: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.intake, Period):
            raise ValueError(f"intake must be a Period, got {self.intake!r}")
        if self.contact_start is not None and (
            isinstance(self.contact_start, datetime) or not isinstance(self.contact_start, date)
        ):
            raise ValueError(f"contact_start must be a date or None, got {self.contact_start!r}")
        if self.closing is not None:
            if not isinstance(self.closing, Period):
                raise ValueError(f"closing must be a Period or None, got {self.closing!r}")
            if self.closing < self.intake:
                raise ValueError(f"closing month {self.closing} is before the intake month {self.intake}")

    @property
    def anchor(self) -> Period:
        """The month the 4-month cycle counts from: contact start (Q16) month, else intake month."""
        return Period.of(self.contact_start) if self.contact_start is not None else self.intake

    @property
    def is_closed(self) -> bool:
        return self.closing is not None

    def covers(self, period: Period) -> bool:
        """Whether a report for ``period`` belongs to this course (intake … closing, inclusive)."""
        return self.intake <= period and (self.closing is None or period <= self.closing)


@dataclass(frozen=True, slots=True)
class DueParts:
    """The parts of one report.

    ``sections``: part keys ``del1`` … ``del7``. ``reask``: question keys asked outside their
    own section (Q17/Q18 while Q17 = 3). ``timings``: the timing classes that apply
    (``intake``, ``monthly``, ``periodic``, ``closing``) — a definition section is due iff
    its ``timing`` is in this set. ``k``: months from the anchor month to the period.
    """

    sections: frozenset[str]
    reask: frozenset[str] = field(default_factory=frozenset)
    timings: frozenset[str] = field(default_factory=frozenset)
    k: int = 0

    @property
    def is_intake(self) -> bool:
        return "intake" in self.timings

    @property
    def is_periodic(self) -> bool:
        return "periodic" in self.timings

    @property
    def is_closing(self) -> bool:
        return "closing" in self.timings

    def __contains__(self, key: object) -> bool:
        """``"del2" in parts`` or ``"q17" in parts``."""
        return key in self.sections or key in self.reask


def due_parts(course: CourseFacts, period: Period, closing: bool = False) -> DueParts:
    """Which parts the report of ``course`` for ``period`` contains (decisions.md §3).

    ``closing`` is True when the worker closes the course in this report (Del 7 filled) before
    the course's ``closing`` month is recorded; the report of ``course.closing`` closes it too.

    Raises :class:`NotInCourse` if ``period`` is outside intake … closing, and
    :class:`ValueError` if ``closing=True`` contradicts an already recorded, different closing
    month.
    """
    if not isinstance(period, Period):
        raise ValueError(f"period must be a Period, got {period!r}")
    if not course.covers(period):
        raise NotInCourse(f"{period} is not part of the course {course.intake} … {course.closing or ''}")
    if closing and course.closing is not None and course.closing != period:
        raise ValueError(f"the course already closes in {course.closing}, not in {period}")

    is_intake = period == course.intake
    is_closing = closing or period == course.closing
    k = period - course.anchor
    is_periodic = is_intake or is_closing or (k > 0 and k % PERIODIC_INTERVAL == 0)

    timings = {"monthly"}
    if is_intake:
        timings.add("intake")
    if is_periodic:
        timings.add("periodic")
    if is_closing:
        timings.add("closing")
    sections = frozenset(key for key, timing in SECTION_TIMING.items() if timing in timings)
    reask = Q17_REASK if course.q17_pending and not is_intake else frozenset()
    return DueParts(sections=sections, reask=reask, timings=frozenset(timings), k=k)


def expected_periods(course: CourseFacts, until: Period) -> list[Period]:
    """Every month a report is expected for: intake … closing month, or … ``until`` if open.

    ``until`` also bounds a closed course (a closing month later than ``until`` is cut at
    ``until``); an ``until`` before the intake gives an empty list.
    """
    last = until if course.closing is None else min(course.closing, until)
    return [course.intake + n for n in range(last - course.intake + 1)]


# --------------------------------------------------------------------------------------------
# Deadlines and status
# --------------------------------------------------------------------------------------------


def _check_day(day: object) -> int:
    day = _require_int("deadline day", day)
    if not 1 <= day <= 31:
        raise ValueError(f"deadline day must be 1-31, got {day}")
    return day


def deadline_date(period: Period, day: int = DEFAULT_DEADLINE_DAY) -> date:
    """The last day to report ``period``: ``day`` of the following month (clamped to its end)."""
    day = _check_day(day)
    following = period + 1
    return date(following.year, following.month, min(day, following.last_day.day))


def deadline_end(period: Period, day: int = DEFAULT_DEADLINE_DAY) -> datetime:
    """The instant the deadline has passed: 00:00 Copenhagen time after the deadline date, in UTC."""
    return _local_midnight(deadline_date(period, day) + timedelta(days=1))


StatusKind = Literal["not_due", "due", "on_time", "late", "missing"]

_FIXED_LABELS: dict[str, str] = {
    "not_due": "Ikke forfalden endnu",
    "due": "Skal indberettes",
    "on_time": "Indberettet til tiden",
    "missing": "Mangler",
}

#: Position on the unsubmitted path (not_due → due → missing); status never moves back.
UNSUBMITTED_ORDER: dict[str, int] = {"not_due": 0, "due": 1, "missing": 2}


@dataclass(frozen=True, slots=True)
class Status:
    """Status of one (course, month) report. ``days_late`` is set only for ``late`` (≥ 1)."""

    kind: StatusKind
    deadline: date
    days_late: int | None = None

    @property
    def submitted(self) -> bool:
        return self.kind in ("on_time", "late")

    @property
    def overdue(self) -> bool:
        """Deadline passed without a report in time (late or missing)."""
        return self.kind in ("late", "missing")

    @property
    def label(self) -> str:
        """Danish label for lists and dashboards."""
        if self.kind == "late":
            n = self.days_late
            return f"Indberettet {n} {'dag' if n == 1 else 'dage'} for sent"
        return _FIXED_LABELS[self.kind]


def report_status(
    period: Period,
    submitted_at: datetime | None,
    now: datetime,
    day: int = DEFAULT_DEADLINE_DAY,
) -> Status:
    """Status of the report for ``period`` at instant ``now``.

    A submitted report is ``on_time`` (submitted before :func:`deadline_end`) or ``late``
    (``days_late`` = Copenhagen date of submission − deadline date), whatever ``now`` is —
    including a report submitted before its month ended (e.g. an early closing report).
    Unsubmitted: ``not_due`` until the month has ended in Copenhagen, then ``due`` until the
    deadline has passed, then ``missing``. Naive datetimes raise :class:`ValueError`.
    """
    now = _require_aware("now", now)
    if submitted_at is not None:
        submitted_at = _require_aware("submitted_at", submitted_at)
    deadline = deadline_date(period, day)
    if submitted_at is not None:
        if submitted_at < deadline_end(period, day):
            return Status("on_time", deadline)
        local_day = submitted_at.astimezone(COPENHAGEN).date()
        return Status("late", deadline, days_late=(local_day - deadline).days)
    if now < period.ends_at:
        return Status("not_due", deadline)
    if now < deadline_end(period, day):
        return Status("due", deadline)
    return Status("missing", deadline)


# --------------------------------------------------------------------------------------------
# Danish formatting (Babel is imported lazily to keep this module light)
# --------------------------------------------------------------------------------------------


def format_date_da(day: date) -> str:
    """``15. september 2008``."""
    from babel.dates import format_date

    return format_date(day, "d. MMMM y", locale="da")


def format_period_da(period: Period) -> str:
    """``august 2008``."""
    from babel.dates import format_date

    return format_date(period.first_day, "LLLL y", locale="da")


def q17_pending_after(answers: Mapping[str, Any], pending: bool) -> bool:
    """``CourseFacts.q17_pending`` for the next month, after a submitted report with ``answers`` (E18).

    Fold it over a course's submitted reports in month order, starting from False: the latest answer
    to Q17 decides, and a report that did not ask Q17 leaves ``pending`` as it was.
    """
    return answers["q17"] == Q17_NO_MEETING if "q17" in answers else pending
