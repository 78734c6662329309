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

A :class:`Finding` carries only the kind and the position ``[start, end)`` — never the matched
text — so findings can be logged and counted without copying the identifier anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Finding", "contains_identifier", "describe_da", "scan"]

Kind = Literal["cpr", "email", "phone", "known"]

_CPR = re.compile(r"(?<!\d)(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{2})[-\s\u2010\u2011\u2013]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}", re.UNICODE)
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)45[\s-]?)?[2-9]\d(?:[ ]?\d\d){3}(?!\d)")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_LABELS_DA = {"cpr": ("CPR-nummer", "CPR-numre"), "email": ("e-mailadresse", "e-mailadresser"),
              "phone": ("telefonnummer", "telefonnumre"), "known": ("kendt navn", "kendte navne")}


@dataclass(frozen=True)
class Finding:
    """A possible identifier at ``text[start:end]``; the text itself is deliberately not kept."""

    kind: Kind
    start: int
    end: int


def _is_cpr_date(day: str, month: str, year: str) -> bool:
    d, m, y = int(day), int(month), int(year)
    if not 1 <= m <= 12 or d < 1 or d > _DAYS[m - 1]:
        return False
    return not (m == 2 and d == 29 and y % 4 != 0)


def scan(text: str, known: Iterable[str] = ()) -> list[Finding]:
    """All findings in ``text``, ordered by position (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError("scan() expects a str")
    findings: list[Finding] = []
    cpr_spans: list[tuple[int, int]] = []
    for match in _CPR.finditer(text):
        if _is_cpr_date(match["d"], match["m"], match["y"]):
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
    findings.sort(key=lambda f: (f.start, f.end, f.kind))
    return findings


def contains_identifier(text: str, known: Iterable[str] = ()) -> bool:
    """Whether :func:`scan` finds anything."""
    return bool(scan(text, known))


def describe_da(findings: Iterable[Finding]) -> str:
    """Danish summary by kind, e.g. "1 CPR-nummer, 2 telefonnumre" (no positions, no text)."""
    counts = Counter(f.kind for f in findings)
    parts = []
    for kind in ("cpr", "email", "phone", "known"):
        n = counts.get(kind, 0)
        if n:
            singular, plural = _LABELS_DA[kind]
            parts.append(f"{n} {singular if n == 1 else plural}")
    return ", ".join(parts) if parts else "ingen fund"
