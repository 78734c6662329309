"""Nickname (kaldenavn) checks: a client must never be recognisable from the name a worker gives it.

Pure functions over text, no Flask, no database (decisions.md §3). :func:`check_nickname`
returns the normalised nickname, the blocking problems and an optional warning, all as Danish
messages that explain why:

- refused: empty, longer than :data:`MAX_LENGTH`, a control or invisible character, a first
  character that a spreadsheet reads as a formula (``= + - @``), something that looks like a
  CPR number, an e-mail address or a phone number (also inside longer text);
- warned (the worker may proceed after confirming): it looks like a full name.

The CPR, phone and e-mail detectors (``looks_like_*``) live in :mod:`exports.identifiers`, beside
the export's free-text scan, which builds on the same ground (folding, separators, birth dates);
this module uses them.

CPR numbers are recognised by shape and a possible birth date only, never by modulus 11: many
valid CPR numbers since 2007 fail the modulus check. Replacement numbers
(erstatningspersonnumre, day + 60) count as CPR numbers too. The detectors err on the side of
refusing: a nickname needs no long run of digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from exports.identifiers import fold, looks_like_cpr, looks_like_email, looks_like_phone

__all__ = [
    "MAX_LENGTH",
    "NicknameCheck",
    "check_nickname",
    "has_control_character",
    "looks_like_cpr",
    "looks_like_email",
    "looks_like_full_name",
    "looks_like_phone",
    "normalise",
    "starts_like_formula",
]

MAX_LENGTH = 40

#: First characters a spreadsheet may treat as the start of a formula (CSV/formula injection).
FORMULA_PREFIXES = frozenset("=+-@")

ADVICE = "Vælg et kaldenavn, som kun du kan koble til klienten, fx »Hund 7« eller »blå bil«."

MSG_EMPTY = "Skriv et kaldenavn."
MSG_TOO_LONG = "Kaldenavnet må højst være {max} tegn langt. Det har nu {n} tegn."
MSG_CONTROL = (
    "Kaldenavnet indeholder et usynligt tegn eller et kontroltegn. "
    "Skriv det igen med almindelige bogstaver, tal og mellemrum."
)
MSG_FORMULA = (
    "Kaldenavnet må ikke begynde med =, +, - eller @, fordi et regneark kan læse det som en formel, "
    "når data bliver udtrukket."
)
MSG_CPR = "Kaldenavnet ligner et CPR-nummer. Skriv aldrig klientens CPR-nummer. " + ADVICE
MSG_EMAIL = "Kaldenavnet ligner en e-mailadresse. Skriv aldrig klientens kontaktoplysninger. " + ADVICE
MSG_PHONE = "Kaldenavnet ligner et telefonnummer. Skriv aldrig klientens kontaktoplysninger. " + ADVICE
MSG_FULL_NAME = (
    "Kaldenavnet ligner et fuldt navn. Klienten må ikke kunne genkendes ud fra kaldenavnet, "
    "så brug aldrig klientens rigtige navn. " + ADVICE
)


@dataclass(frozen=True, slots=True)
class NicknameCheck:
    """``nickname`` is the normalised text that would be stored; ``errors`` block, ``warning`` asks."""

    nickname: str
    errors: tuple[str, ...] = ()
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[^\S\r\n\t\v\f\x1c-\x1f\x85\u2028\u2029]+")  # runs of spaces; control characters stay


def normalise(text: str) -> str:
    """NFC, spaces trimmed at both ends and collapsed inside. Control characters are kept (and refused)."""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip(" ")


# --------------------------------------------------------------------------------------------
# Detectors: CPR numbers, phone numbers and e-mail addresses are found by the same code as the
# export's free-text scan (exports.identifiers), so the two cannot drift apart.
# --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")


def looks_like_full_name(text: str) -> bool:
    """Two or more capitalised words (``Jens Hansen``, ``Ærø Østergård``, ``Jens H.``, ``Hr. Holm``)."""
    names = 0
    for word in _WORD.findall(text):
        letters = word.rstrip(".")
        if letters[0].isupper() and (len(letters) >= 2 or word.endswith(".")):
            names += 1
    return names >= 2


def has_control_character(text: str) -> bool:
    """Control, format (zero-width, bidi), private-use, unassigned characters or line separators."""
    return any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in text)


def starts_like_formula(text: str) -> bool:
    folded = fold(text[:1])
    return bool(folded) and folded[0] in FORMULA_PREFIXES


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------


def check_nickname(text: str | None) -> NicknameCheck:
    """All problems with ``text`` as a nickname, with the normalised value to store."""
    nickname = normalise(text or "")
    if not nickname:
        return NicknameCheck(nickname, (MSG_EMPTY,))
    errors: list[str] = []
    if len(nickname) > MAX_LENGTH:
        errors.append(MSG_TOO_LONG.format(max=MAX_LENGTH, n=len(nickname)))
    if has_control_character(nickname):
        errors.append(MSG_CONTROL)
    if starts_like_formula(nickname):
        errors.append(MSG_FORMULA)
    if looks_like_cpr(nickname):
        errors.append(MSG_CPR)
    elif looks_like_phone(nickname):  # a CPR number is also a long run of digits: one message is enough
        errors.append(MSG_PHONE)
    if looks_like_email(nickname):
        errors.append(MSG_EMAIL)
    warning = MSG_FULL_NAME if looks_like_full_name(nickname) else None
    return NicknameCheck(nickname, tuple(errors), warning)
