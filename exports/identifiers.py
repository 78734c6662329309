"""Detect direct identifiers in free text (research reliability-security.md §3.7; decisions §3, §5).

:func:`scan` finds, by pattern only (no models, nothing downloaded):

* ``cpr``: a Danish CPR number ``ddmmyy-xxxx``, with a dash, a space or nothing between the
  parts, whose first six digits are a real day and month (29-02 accepted for years divisible by
  4, since the century is not known). The modulus-11 check is **not** used: numbers without
  it have been issued since 2007 and are valid.
* ``email``: ``local@domain.tld``.
* ``phone``: a Danish 8-digit number (first digit 2-9), optionally ``+45``/``0045`` in front,
  written together or in groups (``12345678``, ``12 34 56 78``, ``1234 5678``, ``+45 12 34 56 78``).
  8-digit numbers that are not phone numbers are reported too; a false positive only keeps a
  text out of an export.
* ``known``: any of the caller's ``known`` terms (e.g. every client nickname, case-insensitive,
  whole words, terms of at least 3 characters).

Digits glued to more digits are not matched (a 12-digit number is neither a CPR nor a phone
number). A number inside a CPR match is not reported again as a phone number.

The wider net (security probe M5), on the NFKC-folded text with every decimal digit as 0-9:
CPR numbers with up to three separator characters between any groups (``010190 - 1234``,
``01.01.90-1234``, ``010190/1234``) and replacement numbers (day + 60, ``610190-1234``); phone
numbers grouped by dots or dashes (``22.34.56.78``, ``22-34-56-78``, ``2234-5678``; a year range
such as ``2009-2010`` is not one); ``jens(at)mail.dk``; dates with a month name or ``d.m.yyyy``
(``date``); a street and house number (``address``); and ``name``: the word after a word for a
person in the client's life (``moster grethe``, ``dr. hansen``, ``nabo``…) and every capitalised
word that does not start a sentence — in Danish almost only names of people and places
(``Grethe``, ``Ribe``). A false positive only keeps a text out of an export.

A :class:`Finding` carries only the kind and the position ``[start, end)`` — never the matched
text — so findings can be logged and counted without copying the identifier anywhere.

The nickname check (``reporting.skp.nicknames``) uses the same ground from here: :func:`fold`, the
separators, :func:`is_birth_date` and the yes/no detectors :func:`looks_like_cpr`,
:func:`looks_like_phone` and :func:`looks_like_email`, which are stricter than :func:`scan` in one
way (a nickname needs no digits: a CPR-shaped run counts even glued to more digits, and any run of
eight digits is a phone number) and looser in none that matters there.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Finding",
    "contains_identifier",
    "describe_da",
    "fold",
    "is_birth_date",
    "looks_like_cpr",
    "looks_like_email",
    "looks_like_phone",
    "scan",
]

Kind = Literal["cpr", "email", "phone", "known", "name", "date", "address"]

_CPR = re.compile(r"(?<!\d)(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{2})[-\s\u2010\u2011\u2013]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}", re.UNICODE)
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)45[\s-]?)?[2-9]\d(?:[ ]?\d\d){3}(?!\d)")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29 February: see is_birth_date
_LABELS_DA = {"cpr": ("CPR-nummer", "CPR-numre"), "email": ("e-mailadresse", "e-mailadresser"),
              "phone": ("telefonnummer", "telefonnumre"), "known": ("kendt navn", "kendte navne"),
              "name": ("muligt navn", "mulige navne"), "date": ("dato", "datoer"),
              "address": ("adresse", "adresser")}

# -- the wider net (security probe M5), on the ground the nickname detectors share (below) -------------
#: Every dash a CPR or phone number may be written with (hyphen-minus, Unicode hyphens, en/em dash, minus).
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_GAP = rf"[\s./{_DASH}]{{0,3}}"
#: CPR with up to three separator characters between any groups (``010190 - 1234``, ``01.01.90-1234``,
#: ``010190/1234``); the day may be a replacement number's (day + 60).
_CPR_WIDE = re.compile(rf"(?<!\d)(?P<d>\d{{2}}){_GAP}(?P<m>\d{{2}}){_GAP}(?P<y>\d{{2}}){_GAP}\d{{4}}(?!\d)")
#: Danish phone numbers in groups separated by a space, dot or dash (``22.34.56.78``, ``2234-5678``).
_PHONE_WIDE = re.compile(rf"(?<![\d+])(?:(?:\+|00)45[\s.{_DASH}]?)?[2-9]\d(?:[ .{_DASH}]?\d\d){{3}}(?!\d)")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\D(?:19|20)\d\d")
_OBFUSCATED_EMAIL = re.compile(r"[\w.-]+\s*(?:\(at\)|\[at\]|\s(?:at|snabel-a)\s)\s*[\w-]+\.[a-z]{2,}", re.IGNORECASE)
_MONTHS = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
_DATE = re.compile(rf"\b\d{{1,2}}\.?\s*(?:{_MONTHS})\s+\d{{4}}\b|\b\d{{1,2}}[./-]\d{{1,2}}[./-](?:\d{{4}}|\d{{2}})\b",
                   re.IGNORECASE)
_STREET = re.compile(r"\b\w+(?:gade|vej|allé|alle|stræde|plads|vænge|parken|torv|boulevard)\s+\d+", re.IGNORECASE)
#: Words for people in a client's life; the word after one is taken for a name (``moster grethe``).
_RELATION = re.compile(
    r"\b(?:moster|faster|morbror|farbror|mormor|morfar|farmor|farfar|mor|far|bror|søster|søn|datter|onkel|tante|"
    r"fætter|kusine|nevø|niece|kæreste|kone|hustru|ægtefælle|samlever|ven|veninde|nabo|læge|doktor|dr|"
    r"psykiater|psykolog|hr|fru)\.?\s+(?!og\b|i\b|på\b|er\b|har\b|som\b|til\b)[^\W\d_]{2,}", re.IGNORECASE)
#: A capitalised word that does not start a sentence: in Danish almost only names of people and
#: places (``Grethe``, ``Ribe``, ``Glostrup``). Short all-capital abbreviations (SKP, CPR) are not names.
_CAPITALISED = re.compile(r"(?<![.!?:;\n]\s)(?<![.!?:;\n])(?<!^)\b[A-ZÆØÅ][^\W\d_]+")


def fold(text: str) -> str:
    """Compatibility forms folded (fullwidth digits and ＝, ligatures) and every decimal digit made 0-9:
    the text every detector here looks at."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in folded)



def is_birth_date(day: int, month: int, year: int | None = None) -> bool:
    """Whether ``day`` and ``month`` (a CPR number's first four digits) make a calendar date; a
    replacement number's day (day + 60) counts as its day. With the two-digit ``year``, 29 February
    only in years divisible by 4; without it (the nickname check) always, since some century has it.
    Modulus 11 is never checked: numbers issued since 2007 need not pass it."""
    if day > 60:  # erstatningspersonnummer: day + 60
        day -= 60
    if not 1 <= month <= 12 or day < 1 or day > _DAYS[month - 1]:
        return False
    return not (year is not None and month == 2 and day == 29 and year % 4 != 0)


# -- the yes/no detectors of the nickname check (reporting.skp.nicknames) -------------------------------

_SEP = rf"(?:[\s./{_DASH}]{{0,3}})"
# A lookahead so overlapping candidates are all tried: "1" + "0101901234" still finds the CPR.
_CPR_ANYWHERE = re.compile(rf"(?=([0-9]{{2}}){_SEP}([0-9]{{2}}){_SEP}([0-9]{{2}}){_SEP}[0-9]{{4}})")
_DIGIT_RUN = re.compile(rf"[0-9](?:[ {_DASH}]?[0-9])*")
#: Danish numbers have 8 digits; +45/0045 only adds to the run.
PHONE_MIN_DIGITS = 8
_AT = re.compile(r"[^\s@]+@[^\s@]+")


def looks_like_cpr(text: str) -> bool:
    """``ddmmyy-xxxx`` / ``ddmmyyxxxx`` (up to three spaces, dots, slashes or dashes between the
    groups) with a possible birth date (:func:`is_birth_date`, replacement numbers included),
    anywhere in ``text``, even glued to more digits."""
    return any(is_birth_date(int(m.group(1)), int(m.group(2))) for m in _CPR_ANYWHERE.finditer(fold(text)))


def looks_like_phone(text: str) -> bool:
    """Eight or more digits in one run, possibly split by single spaces or dashes (``12 34 56 78``,
    ``+45 1234 5678``, ``0045 12345678``), anywhere in ``text``."""
    return any(sum(ch.isdigit() for ch in run) >= PHONE_MIN_DIGITS for run in _DIGIT_RUN.findall(fold(text)))


def looks_like_email(text: str) -> bool:
    """Something ``@`` something, anywhere in ``text``."""
    return _AT.search(fold(text)) is not None


def _is_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\n\"'(-–" or before.endswith("...")


def _wider(text: str) -> list[Finding]:
    """What the first patterns miss: see the module docstring."""
    found: list[Finding] = []
    for match in _CPR_WIDE.finditer(text):
        if is_birth_date(int(match["d"]), int(match["m"]), int(match["y"])):
            found.append(Finding("cpr", match.start(), match.end()))
    for match in _PHONE_WIDE.finditer(text):
        if not _YEAR_RANGE.fullmatch(match.group()) and not any(f.start <= match.start() < f.end for f in found):
            found.append(Finding("phone", match.start(), match.end()))
    found += [Finding("email", m.start(), m.end()) for m in _OBFUSCATED_EMAIL.finditer(text)]
    found += [Finding("date", m.start(), m.end()) for m in _DATE.finditer(text)]
    found += [Finding("address", m.start(), m.end()) for m in _STREET.finditer(text)]
    found += [Finding("name", m.start(), m.end()) for m in _RELATION.finditer(text)]
    for match in _CAPITALISED.finditer(text):
        word = match.group()
        if word.isupper() and len(word) <= 4:
            continue
        if not _is_sentence_start(text, match.start()):
            found.append(Finding("name", match.start(), match.end()))
    return found


@dataclass(frozen=True)
class Finding:
    """A possible identifier at ``text[start:end]``; the text itself is deliberately not kept."""

    kind: Kind
    start: int
    end: int


def scan(text: str, known: Iterable[str] = (), *, names: bool = True) -> list[Finding]:
    """All findings in ``text``, ordered by position (see the module docstring).

    ``names=False`` keeps to the narrow patterns (CPR, e-mail, phone, known terms) and skips the
    wider net, whose findings' positions refer to the NFKC-folded text."""
    if not isinstance(text, str):
        raise TypeError("scan() expects a str")
    findings: list[Finding] = []
    cpr_spans: list[tuple[int, int]] = []
    for match in _CPR.finditer(text):
        day = int(match["d"])  # the narrow pattern: a real day, not a replacement number's (the wider net has those)
        if day <= 31 and is_birth_date(day, int(match["m"]), int(match["y"])):
            findings.append(Finding("cpr", match.start(), match.end()))
            cpr_spans.append(match.span())
    for match in _EMAIL.finditer(text):
        findings.append(Finding("email", match.start(), match.end()))
    for match in _PHONE.finditer(text):
        start, end = match.span()
        if not any(start < b and a < end for a, b in cpr_spans):
            findings.append(Finding("phone", start, end))
    terms = sorted({t.strip() for t in known if t and len(t.strip()) >= 3}, key=len, reverse=True)
    if terms:
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.IGNORECASE)
        for match in pattern.finditer(text):
            findings.append(Finding("known", match.start(), match.end()))
    if names:
        folded = fold(text)
        seen = {(f.start, f.end) for f in findings}
        findings += [f for f in _wider(folded) if (f.start, f.end) not in seen
                     and not any(g.start <= f.start < g.end and g.kind == f.kind for g in findings)]
    findings.sort(key=lambda f: (f.start, f.end, f.kind))
    return findings


def contains_identifier(text: str, known: Iterable[str] = ()) -> bool:
    """Whether :func:`scan` finds anything."""
    return bool(scan(text, known))


def describe_da(findings: Iterable[Finding]) -> str:
    """Danish summary by kind, e.g. "1 CPR-nummer, 2 telefonnumre" (no positions, no text)."""
    counts = Counter(f.kind for f in findings)
    parts = []
    for kind in ("cpr", "email", "phone", "known", "name", "date", "address"):
        n = counts.get(kind, 0)
        if n:
            singular, plural = _LABELS_DA[kind]
            parts.append(f"{n} {singular if n == 1 else plural}")
    return ", ".join(parts) if parts else "ingen fund"
