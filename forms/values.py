"""Parsing one submitted field into its stored value, with a Danish message when it cannot be.

Every parser takes the submitted strings of one form field (``getlist``) and returns a
:class:`Parsed`: a value, nothing (blank), or error messages. Parsers never raise on input.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from forms.model import Question

DEFAULT_INTEGER_MAX = 9999
#: A month has at most 31 × 24 hours.
DEFAULT_DURATION_MAX = 31 * 24 * 60
TEXT_MAX = {"text": 4000, "short_text": 100}
EARLIEST_DATE = date(1900, 1, 1)
FUTURE_TOLERANCE = timedelta(days=366)

_INT_RE = re.compile(r"-?[0-9]{1,9}")
_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DANISH_RE = re.compile(r"([0-9]{1,2})([-./])([0-9]{1,2})\2([0-9]{4})")
_COMPACT_RE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")

MSG_CHOOSE_SHOWN = "Vælg et af de viste svar."
MSG_ONE_ANSWER = "Vælg kun ét svar."
MSG_ONE_VALUE = "Skriv kun ét svar i feltet."
MSG_UNREADABLE = "Svaret kunne ikke læses. Skriv det igen."
MSG_DATE_FORMAT = "Skriv datoen som dd-mm-åååå."
MSG_DATE_AND_CODE = "Skriv enten en dato eller vælg »{label}«, ikke begge."
MONTHS_DA = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)
MSG_CONTROL_CHARS = "Teksten indeholder kontroltegn, som ikke er tilladt. Fjern dem og prøv igen."
REQUIRED_MESSAGES = {
    "single": "Vælg et svar.",
    "multi": "Vælg mindst ét svar.",
    "integer": "Skriv et helt tal.",
    "duration_hm": "Skriv timer og minutter.",
    "date": "Skriv en dato.",
    "text": "Skriv et svar.",
    "short_text": "Skriv et svar.",
}


@dataclass(frozen=True)
class Parsed:
    """A stored value, or None for a blank field; ``errors`` when the input cannot be stored."""

    value: Any = None
    errors: tuple[str, ...] = ()


BLANK = Parsed()


def _fail(message: str) -> Parsed:
    return Parsed(errors=(message,))


def _number(n: int) -> str:
    """Danish thousands separator: 4.000."""
    return f"{n:,}".replace(",", ".")


def _strings(values: list[Any]) -> list[str] | None:
    """The non-blank submitted strings, stripped; None if something other than text was sent."""
    if not all(isinstance(v, str) for v in values):
        return None
    return [v.strip() for v in values if v.strip()]


def _one_string(values: list[Any]) -> tuple[str | None, Parsed | None]:
    strings = _strings(values)
    if strings is None:
        return None, _fail(MSG_UNREADABLE)
    if len(strings) > 1:
        return None, _fail(MSG_ONE_VALUE)
    return (strings[0] if strings else None), None


def _as_int(text: str) -> int | None:
    return int(text) if _INT_RE.fullmatch(text) else None


def parse_code(question: Question, values: list[Any]) -> Parsed:
    """A single choice (radios): one of the question's codes."""
    strings = _strings(values)
    if strings is None:
        return _fail(MSG_CHOOSE_SHOWN)
    if not strings:
        return BLANK
    if len(set(strings)) > 1:
        return _fail(MSG_ONE_ANSWER)
    code = _as_int(strings[0])
    if code is None or code not in question.codes:
        return _fail(MSG_CHOOSE_SHOWN)
    return Parsed(code)


def parse_codes(question: Question, values: list[Any]) -> Parsed:
    """A multiple choice (checkboxes): a sorted list of distinct codes, exclusive ones alone."""
    strings = _strings(values)
    if strings is None:
        return _fail(MSG_CHOOSE_SHOWN)
    codes = {_as_int(s) for s in strings}
    if not codes:
        return BLANK
    if None in codes or not codes <= set(question.codes):
        return _fail(MSG_CHOOSE_SHOWN)
    if len(codes) > 1:
        for choice in question.choices:
            if choice.exclusive and choice.code in codes:
                return _fail(f"Du kan ikke kombinere »{choice.label}« med andre svar.")
    return Parsed(sorted(c for c in codes if c is not None))


def integer_bounds(question: Question) -> tuple[int, int]:
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else max(DEFAULT_INTEGER_MAX, low)
    return low, high


def parse_integer(question: Question, values: list[Any]) -> Parsed:
    text, failed = _one_string(values)
    if failed or text is None:
        return failed or BLANK
    low, high = integer_bounds(question)
    number = _as_int(text)
    if number is None or not low <= number <= high:
        return _fail(f"Skriv et helt tal mellem {_number(low)} og {_number(high)}.")
    return Parsed(number)


def duration_bounds(question: Question) -> tuple[int, int]:
    """Bounds in minutes (``min``/``max`` of a duration_hm are minutes)."""
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else max(DEFAULT_DURATION_MAX, low)
    return max(low, 0), high


def _hours_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{_number(hours)} timer" + (f" og {rest} minutter" if rest else "")


def parse_duration(question: Question, hours_values: list[Any], minutes_values: list[Any]) -> Parsed:
    """Hours and minutes fields to whole minutes; a blank part counts as 0 if the other is given."""
    hours_text, hours_failed = _one_string(hours_values)
    minutes_text, minutes_failed = _one_string(minutes_values)
    if hours_failed or minutes_failed:
        return hours_failed or minutes_failed or BLANK
    if hours_text is None and minutes_text is None:
        return BLANK
    low, high = duration_bounds(question)
    hours = _as_int(hours_text or "0")
    minutes = _as_int(minutes_text or "0")
    errors = []
    if hours is None or not 0 <= hours <= high // 60:
        errors.append(f"Skriv timer som et helt tal mellem 0 og {_number(high // 60)}.")
    if minutes is None or not 0 <= minutes <= 59:
        errors.append("Skriv minutter som et helt tal mellem 0 og 59.")
    if errors or hours is None or minutes is None:
        return Parsed(errors=tuple(errors))
    total = hours * 60 + minutes
    if not low <= total <= high:
        return _fail(f"Den samlede tid skal være mellem {_hours_minutes(low)} og {_hours_minutes(high)}.")
    return Parsed(total)


def _read_date(text: str) -> tuple[int, int, int] | None:
    if match := _ISO_RE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DANISH_RE.fullmatch(text):
        day, _, month, year = match.groups()
    elif match := _COMPACT_RE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    return int(year), int(month), int(day)


def format_day_da(day: date) -> str:
    """``date(2007, 6, 1)`` -> "1. juni 2007"."""
    return f"{day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class DateBounds:
    """The dates a date field accepts. ``declared``: the question names its own range (D17), so a
    date outside it gets one message naming the range; otherwise the general plausibility checks
    (not before 1900, at most a year ahead) apply with their own messages."""

    earliest: date
    latest: date
    declared: bool = False

    def refusal(self, day: date) -> str | None:
        """The Danish message for a date outside the bounds, or None."""
        if self.earliest <= day <= self.latest:
            return None
        if self.declared:
            return f"Datoen skal ligge mellem {format_day_da(self.earliest)} og {format_day_da(self.latest)}."
        if day < self.earliest:
            return "Datoen må ikke ligge før 1900."
        return "Datoen må højst ligge et år ude i fremtiden."


def date_bounds(question: Question | None, today: date, report_month: date | None = None) -> DateBounds:
    """The bounds of a date answer of ``question`` (a date, or the date of a date_or_before).

    ``earliest`` from the definition, else 1900; ``latest = "report_month"`` is the end of the
    report month when one is given (any day of it), else a year from ``today``.
    """
    latest = today + FUTURE_TOLERANCE
    if question is None:
        return DateBounds(EARLIEST_DATE, latest)
    if question.latest == "report_month" and report_month is not None:
        latest = month_end(report_month)
    declared = question.earliest is not None or question.latest is not None
    return DateBounds(question.earliest or EARLIEST_DATE, latest, declared)


def parse_date(values: list[Any], today: date, bounds: DateBounds | None = None) -> Parsed:
    """ISO ``åååå-mm-dd`` or ``dd-mm-åååå`` (also with . or /, or ``ddmmåååå``) to ISO, within
    ``bounds`` (default: from 1900 to a year after ``today``)."""
    text, failed = _one_string(values)
    if failed or text is None:
        return failed or BLANK
    parts = _read_date(text)
    if parts is None:
        return _fail(MSG_DATE_FORMAT)
    try:
        day = date(*parts)
    except ValueError:
        return _fail(f"Datoen {text} findes ikke. {MSG_DATE_FORMAT}")
    refusal = (bounds or date_bounds(None, today)).refusal(day)
    if refusal:
        return _fail(refusal)
    return Parsed(day.isoformat())


def parse_date_choice(question: Question, values: list[Any], date_values: list[Any]) -> Parsed:
    """The code of a date_or_before (D17): a ticked option (check boxes under the date), else the
    date option when a date is written (or its code posted), else blank.

    The date itself is parsed as the ``<key>_dato`` answer; a date with a ticked option is refused.
    """
    strings = _strings(values)
    dates = _strings(date_values)
    if strings is None or dates is None:
        return _fail(MSG_CHOOSE_SHOWN)
    codes = {_as_int(s) for s in strings}
    if None in codes or not codes <= set(question.codes):
        return _fail(MSG_CHOOSE_SHOWN)
    ticked = [c for c in question.entry_choices if c.code in codes]
    if len(ticked) > 1:
        return _fail(MSG_ONE_ANSWER)
    if ticked and dates:
        return _fail(MSG_DATE_AND_CODE.format(label=ticked[0].label))
    if ticked:
        return Parsed(ticked[0].code)
    if dates or codes:
        return Parsed(question.date_codes[0])
    return BLANK


def required_message(question: Question, kind: str) -> str:
    """What an unanswered required answer is told (a date_or_before names its options)."""
    if question.type == "date_or_before" and kind == "single":
        options = " eller ".join(f"»{c.label}«" for c in question.entry_choices)
        return f"Skriv en dato, eller vælg {options}." if options else REQUIRED_MESSAGES["date"]
    return REQUIRED_MESSAGES[kind]


def _has_control_characters(text: str, allowed: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


def parse_text(values: list[Any], kind: str) -> Parsed:
    """Free text: stripped, NFC, line breaks as \\n; control characters and overlong text refused."""
    text, failed = _one_string(values)
    if failed or text is None:
        return failed or BLANK
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    allowed = "\n\t" if kind == "text" else ""
    if _has_control_characters(text, allowed):
        return _fail(MSG_CONTROL_CHARS)
    limit = TEXT_MAX[kind]
    if len(text) > limit:
        return _fail(f"Skriv højst {_number(limit)} tegn (du har skrevet {_number(len(text))}).")
    return Parsed(text)


def format_date_input(iso: object) -> str:
    """A stored ISO date as the Danish input text dd-mm-åååå (anything else unchanged)."""
    if isinstance(iso, str) and (match := _ISO_RE.fullmatch(iso)):
        year, month, day = match.groups()
        return f"{int(day):02d}-{int(month):02d}-{year}"
    return str(iso)
