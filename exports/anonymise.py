"""Which answer keys may leave the service, and in what form (decisions.md §5; spec §7.3; research §3.2, §3.5).

:class:`AllowList` is built from the answer fields of a questionnaire definition (key and value
kind, see :func:`exports.definitions.answer_fields`) and decides per key:

* **never** — whatever the caller asks: the Kommunal myndighed block (``km_*``, E04/D6),
  nicknames, reporter initials and names (``q1``, ``q2``, ``q2_nr``, ``kaldenavn`` …), e-mail
  and address fields, CPR. A key is "never" when it is one of :data:`NEVER_KEYS`, starts with
  ``km_``, or has a ``_``-separated part in :data:`NEVER_KEY_PARTS` (``navn``, ``email``,
  ``initialer`` …; ``q26_tlf``, a count of phone contacts, is not caught: ``tlf`` is not a part).
* **keep** — codes (single, grid item, date_or_before choice), lists of codes (multi), integers
  and durations (int minutes). A value of another type there (a stray text) is dropped and
  counted in :attr:`AllowList.invalid`, so a storage bug cannot leak text through a code column.
* **month** — dates (``date``; ``q16_dato``, ``q40`` …): reduced to ``YYYY-MM``
  (``date_mode="year_month"``) or to whole months since the course's contact-start month
  (``date_mode="months_since_start"``; the caller passes that anchor per course). One mode per
  export, never both (together they rebuild the start month); the day never leaves.
* **free_text** — ``text``/``short_text`` answers and "beskriv" follow-ups: dropped, unless the
  caller opted in with ``include_free_text=True``; then each text is scanned
  (:func:`exports.identifiers.scan`, with the caller's ``known_terms`` such as every nickname)
  and written only if nothing is found — otherwise the cell gets :data:`TEXT_WITHHELD`.
* **drop** — any key the allow-list does not know (deny by default), and unknown value kinds.

:meth:`AllowList.apply` filters one answer dict; it counts withheld texts and unknown keys, and
:meth:`AllowList.report_da` turns decisions and counts into lines for the "Om udtrækket" sheet
(key names and counts only, never a value).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from exports.derived import month_index, month_text
from exports.identifiers import scan

__all__ = [
    "NEVER_KEYS",
    "NEVER_KEY_PARTS",
    "TEXT_WITHHELD",
    "AllowList",
    "Decision",
    "Field",
    "is_never_exported",
]

Action = Literal["keep", "month", "free_text", "drop", "never"]
DateMode = Literal["year_month", "months_since_start"]

#: Keys that never leave, whatever their kind (spec §1.2-1.3: Q1 initials, Q2 nickname, Q2_NR
#: system number, the KM block; plus the names the web layer uses for the same things).
NEVER_KEYS = frozenset({
    "q1", "q2", "q2_nr", "km", "km_myndighed", "km_navn", "km_tlf", "km_email",
    "kaldenavn", "nickname", "initialer", "initials", "navn", "name", "email", "e_mail",
    "systemnummer", "system_number", "client_number", "klientnummer", "cpr", "cpr_nr",
})
#: A key with one of these ``_``-separated parts never leaves (``kontakt_navn``, ``bruger_email`` …).
NEVER_KEY_PARTS = frozenset({
    "navn", "name", "kaldenavn", "nickname", "fornavn", "efternavn", "initialer", "initials",
    "email", "mail", "cpr", "adresse", "address",
})
#: Written instead of a free text in which the scan found a possible identifier.
TEXT_WITHHELD = "[tekst udeladt: mulig identifikator]"

_KEEP_KINDS = frozenset({"single", "multi", "integer", "duration_hm"})
_TEXT_KINDS = frozenset({"text", "short_text"})
_KEY_PARTS = re.compile(r"[_\-.\s]+")


@dataclass(frozen=True)
class Field:
    """An answer key and how its value is stored (the definition's slot kind)."""

    key: str
    kind: str
    section: str | None = None


@dataclass(frozen=True)
class Decision:
    """What happens to one key in this export, with the reason in Danish."""

    key: str
    action: Action
    reason: str


def is_never_exported(key: str) -> bool:
    """Whether ``key`` names something that may never leave the service (see the module docstring)."""
    lowered = key.lower()
    if lowered in NEVER_KEYS or lowered.startswith("km_"):
        return True
    return any(part in NEVER_KEY_PARTS for part in _KEY_PARTS.split(lowered))


class AllowList:
    """The per-export decision for every answer key (see the module docstring)."""

    def __init__(
        self,
        fields: Iterable[Field],
        *,
        include_free_text: bool = False,
        date_mode: DateMode = "year_month",
        known_terms: Iterable[str] = (),
        quasi_keys: Iterable[str] = (),
    ) -> None:
        """``quasi_keys``: answer keys released only generalised, as quasi-identifier columns
        (:mod:`exports.disclosure`); they get no answer column of their own."""
        if date_mode not in ("year_month", "months_since_start"):
            raise ValueError("date_mode must be 'year_month' or 'months_since_start'")
        self.include_free_text = include_free_text
        self.date_mode = date_mode
        self._known = tuple(known_terms)
        self._quasi = frozenset(quasi_keys)
        self.decisions: dict[str, Decision] = {}
        for field in fields:
            if field.key in self.decisions:
                raise ValueError(f"answer key {field.key!r} is listed twice")
            self.decisions[field.key] = self._decide(field)
        self.withheld: Counter[str] = Counter()
        self.included_texts: Counter[str] = Counter()
        self.unknown_keys: Counter[str] = Counter()
        self.invalid: Counter[str] = Counter()

    def _decide(self, field: Field) -> Decision:
        if is_never_exported(field.key):
            return Decision(field.key, "never", "Identificerende oplysning (navn, initialer, kontaktdata, "
                                                "kaldenavn eller Kommunal myndighed); udleveres aldrig.")
        if field.key in self._quasi:
            return Decision(field.key, "drop", "Kvasi-identifikator: udleveres kun generaliseret, på arket Forløb.")
        if field.kind in _KEEP_KINDS:
            return Decision(field.key, "keep", "Kode eller tal.")
        if field.kind == "date":
            if self.date_mode == "year_month":
                return Decision(field.key, "month", "Dato reduceret til år-måned (ÅÅÅÅ-MM).")
            return Decision(field.key, "month", "Dato reduceret til antal måneder siden kontaktstart.")
        if field.kind in _TEXT_KINDS:
            if self.include_free_text:
                return Decision(field.key, "free_text", "Fritekst medtaget efter valg; tekster med mulige "
                                                        "identifikatorer er udeladt.")
            return Decision(field.key, "drop", "Fritekst udelades (kan indeholde navne).")
        return Decision(field.key, "drop", f"Ukendt værditype {field.kind!r}; udelades.")

    def exported_keys(self) -> list[str]:
        """Keys that get a column in the export, in definition order."""
        return [k for k, d in self.decisions.items() if d.action in ("keep", "month", "free_text")]

    def decision(self, key: str) -> Decision:
        """The decision for ``key``; keys outside the allow-list are dropped."""
        found = self.decisions.get(key)
        if found is not None:
            return found
        if is_never_exported(key):
            return Decision(key, "never", "Identificerende oplysning; udleveres aldrig.")
        return Decision(key, "drop", "Ukendt nøgle (ikke i spørgeskemaets definition); udelades.")

    def apply(self, answers: Mapping[str, Any], *, anchor_month: object = None,
              only: Container[str] | None = None) -> dict[str, Any]:
        """The exportable part of one answer dict, values transformed per decision.

        ``only``: the keys to consider (the applicable ones); others are ignored as if absent.

        ``anchor_month``: the course's contact-start month — a month index such as
        :attr:`exports.derived.CourseMonths.anchor`, or a month value (``"YYYY-MM"``, a date, a
        ``Period``) — required in ``months_since_start`` mode when the answers hold a date. Keys
        without a value are left out of the result.
        """
        out: dict[str, Any] = {}
        decisions = self.decisions
        for key, value in answers.items():
            if only is not None and key not in only:
                continue
            decision = decisions.get(key)
            if decision is None:
                self.unknown_keys[key] += 1
                continue
            if value is None or decision.action in ("drop", "never"):
                continue
            if decision.action == "keep":
                out[key] = self._code_or_number(key, value)
            elif decision.action == "month":
                out[key] = self.reduce_date(value, anchor_month)
            elif decision.action == "free_text":
                out[key] = self._free_text(key, value)
        return out

    def reduce_date(self, value: object, anchor_month: object = None) -> str | int | None:
        """A date as ``YYYY-MM`` or as months since ``anchor_month`` (per ``date_mode``); None if unreadable."""
        index = month_index(value)
        if index is None:
            return None
        if self.date_mode == "year_month":
            return month_text(index)
        anchor = anchor_month if type(anchor_month) is int else month_index(anchor_month)
        if anchor is None:
            raise ValueError("months_since_start needs the course's contact-start month (anchor_month)")
        return index - anchor

    def _code_or_number(self, key: str, value: object) -> int | list[int] | None:
        """A kept value must be an int or a list of ints; anything else (a stray text in a code
        field) is dropped and counted, so a storage bug cannot leak text through a code column."""
        if type(value) is int:
            return value
        if isinstance(value, list | tuple) and all(type(v) is int for v in value):
            return list(value)
        self.invalid[key] += 1
        return None

    def _free_text(self, key: str, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        if scan(value, self._known):
            self.withheld[key] += 1
            return TEXT_WITHHELD
        self.included_texts[key] += 1
        return value

    def report_da(self) -> list[str]:
        """Lines for "Om udtrækket": date mode, free-text policy, excluded keys, counts (no values)."""
        lines = []
        if self.date_mode == "year_month":
            lines.append("Datoer er reduceret til år-måned (ÅÅÅÅ-MM); dag i måneden udleveres ikke.")
        else:
            lines.append("Datoer er angivet som antal måneder siden forløbets kontaktstart.")
        text_keys = [k for k, d in self.decisions.items() if d.action == "free_text"]
        if self.include_free_text:
            lines.append(
                "Fritekst er medtaget efter koordinatorens valg for: " + (", ".join(text_keys) or "ingen felter")
                + ". Hver tekst er scannet for CPR-numre, e-mailadresser, telefonnumre og kendte kaldenavne; "
                "tekster med fund er erstattet af '" + TEXT_WITHHELD + "'."
            )
            for key in text_keys:
                lines.append(f"{key}: {self.included_texts[key]} tekster medtaget, {self.withheld[key]} udeladt.")
        else:
            lines.append("Fritekst er ikke medtaget.")
        never = [k for k, d in self.decisions.items() if d.action == "never"]
        dropped = [k for k, d in self.decisions.items() if d.action == "drop" and k not in self._quasi]
        quasi = [k for k in self.decisions if k in self._quasi]
        if quasi:
            lines.append("Kvasi-identifikatorer udleveres kun generaliseret på arket Forløb, ikke som svar: "
                         + ", ".join(quasi) + ".")
        if never:
            lines.append("Udleveres aldrig (identificerende): " + ", ".join(never) + ".")
        if dropped:
            lines.append("Udeladt: " + ", ".join(dropped) + ".")
        if self.invalid:
            lines.append(
                f"{sum(self.invalid.values())} værdier af forkert type i kodefelter er udeladt: "
                + ", ".join(sorted(self.invalid)) + "."
            )
        if self.unknown_keys:
            lines.append(
                f"{sum(self.unknown_keys.values())} svar med nøgler uden for spørgeskemaets definition er udeladt."
            )
        return lines
