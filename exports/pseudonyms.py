"""Export pseudonyms for clients, workers and other record ids (decisions.md §5, D11; research §3.6).

Two schemes, one interface (:class:`Pseudonymizer`):

* **keyed** (``Pseudonymizer.keyed(secret)``): ``HMAC-SHA256(secret, domain || kind || id)``. The
  secret is per evaluation, kept by the service apart from the database and ``SECRET_KEY``, at
  least 32 bytes. The same id gets the same pseudonym in every export made with that secret, so
  an evaluator can link deliveries; without the secret a pseudonym cannot be computed or
  reversed (an unkeyed hash of a small sequential number could be enumerated by anyone).
* **random per export** (``Pseudonymizer.per_export()``): the same HMAC under a fresh random
  256-bit key that exists only in this object and is never exposed; links hold within one
  export file only. Once the object is gone, nobody can reproduce the mapping.

Format: a kind prefix and 9 characters of Crockford base32 (digits and capitals without
I, L, O, U, so nothing reads as 0/1 or forms words easily): ``K7F3A9C2D1`` for a client,
``M…`` for a worker (medarbejder), ``F…`` for a course (forløb), ``S…`` for a caseworker
(sagsbehandler), ``E…`` for a unit (enhed). 9 characters carry 45 bits; within one export a
collision (two ids, one pseudonym) is detected and raises :class:`PseudonymCollision` rather than
silently merging two people (for 10,000 ids: about once in 700,000 exports).

Identifiers are converted with ``str()``: the int 42 and the text ``"42"`` are the same id. The
caller chooses which id to pass (the database id or the system number ``K-00042``) and must keep
that choice stable across exports of one evaluation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

__all__ = [
    "KINDS",
    "MIN_SECRET_BYTES",
    "PseudonymCollision",
    "Pseudonymizer",
    "new_evaluation_secret",
]

#: Pseudonym kinds and their one-letter prefixes.
KINDS: dict[str, str] = {
    "client": "K",  # klient / bruger
    "worker": "M",  # SKP-medarbejder
    "course": "F",  # kontaktforløb
    "caseworker": "S",  # sagsbehandler (survey respondent)
    "unit": "E",  # enhed
}
MIN_SECRET_BYTES = 32
BODY_LENGTH = 9
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_DOMAIN = b"skp-indberetning/export-pseudonym/v1\x00"


class PseudonymCollision(RuntimeError):
    """Two different ids got the same pseudonym within one export (practically never; 45 bits)."""


def new_evaluation_secret() -> bytes:
    """A fresh 256-bit secret for a new evaluation (store it apart from the database; destroy it
    when the evaluation ends)."""
    return secrets.token_bytes(MIN_SECRET_BYTES)


_BODY_MASK = (1 << 5 * BODY_LENGTH) - 1
_KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}


def _body(digest: bytes) -> int:
    """The bits of ``digest`` that the pseudonym's characters carry (5 per character)."""
    return int.from_bytes(digest[:8], "big") & _BODY_MASK  # 64 bits ≥ 5 bits × 9


def _canonical(text: str) -> int | str:
    """The id as stored for the collision check: a plain decimal as an int (half the memory of a str)."""
    if text.isdigit() and text.isascii() and (text == "0" or text[0] != "0"):
        return int(text)
    return text


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 32)
        chars.append(_ALPHABET[rest])
    return "".join(chars)


class Pseudonymizer:
    """Maps ids to pseudonyms under one key. Use :meth:`keyed` or :meth:`per_export` to build one.

    >>> p = Pseudonymizer.keyed(b"x" * 32)
    >>> p.client(42) == p.client("42") == Pseudonymizer.keyed(b"x" * 32).client(42)
    True
    >>> p.client(42)[0], len(p.client(42))
    ('K', 10)
    """

    __slots__ = ("_key", "_last", "_seen", "mode")

    def __init__(self, key: bytes, mode: Literal["keyed", "per_export"]) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"the pseudonym key must be at least {MIN_SECRET_BYTES} bytes")
        self._key = bytes(key)
        self.mode = mode
        # (body << 3 | kind) -> id: one small int key per id, so memory stays low for 100k+ ids.
        self._seen: dict[int, int | str] = {}
        self._last: dict[str, tuple[object, str]] = {}  # kind -> (id, pseudonym): rows repeat an id in runs

    @classmethod
    def keyed(cls, secret: bytes | str) -> Pseudonymizer:
        """Stable pseudonyms for one evaluation. ``secret``: ≥ 32 bytes (a str is UTF-8 encoded,
        e.g. a stored ``secrets.token_urlsafe(32)``)."""
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        return cls(key, "keyed")

    @classmethod
    def per_export(cls) -> Pseudonymizer:
        """Pseudonyms valid in one export only: a fresh random key that is never exposed."""
        return cls(secrets.token_bytes(MIN_SECRET_BYTES), "per_export")

    def __repr__(self) -> str:  # never show the key
        return f"<Pseudonymizer mode={self.mode}>"

    def pseudonym(self, kind: str, ident: object) -> str:
        """The pseudonym of ``ident`` of ``kind`` (a key of :data:`KINDS`).

        Raises ValueError for an unknown kind or an empty/None/bool id, and
        :class:`PseudonymCollision` if another id of the same kind already got this pseudonym
        from this object.
        """
        last = self._last.get(kind)
        if last is not None and last[0] == ident and type(last[0]) is type(ident):
            return last[1]
        prefix = KINDS.get(kind)
        if prefix is None:
            raise ValueError(f"unknown pseudonym kind {kind!r}; known: {', '.join(KINDS)}")
        if ident is None or isinstance(ident, bool):
            raise ValueError(f"cannot pseudonymise {ident!r}")
        text = str(ident)
        if not text:
            raise ValueError("cannot pseudonymise an empty id")
        message = _DOMAIN + kind.encode() + b"\x00" + text.encode("utf-8")
        body = _body(hmac.new(self._key, message, hashlib.sha256).digest())
        canonical = _canonical(text)
        previous = self._seen.setdefault(body << 3 | _KIND_INDEX[kind], canonical)
        if previous != canonical:
            raise PseudonymCollision(f"two {kind} ids map to the same pseudonym; use another key")
        result = prefix + _encode(body, BODY_LENGTH)
        self._last[kind] = (ident, result)
        return result

    def client(self, ident: object) -> str:
        return self.pseudonym("client", ident)

    def worker(self, ident: object) -> str:
        return self.pseudonym("worker", ident)

    def course(self, ident: object) -> str:
        return self.pseudonym("course", ident)

    def caseworker(self, ident: object) -> str:
        return self.pseudonym("caseworker", ident)

    def unit(self, ident: object) -> str:
        return self.pseudonym("unit", ident)

    def describe(self) -> str:
        """Danish text for the "Om udtrækket" sheet: the scheme, never the key."""
        if self.mode == "keyed":
            return (
                "Nøglede pseudonymer (HMAC-SHA256 med en hemmelig nøgle for evalueringen): samme klient, "
                "medarbejder og forløb har samme pseudonym i alle udtræk fra denne evaluering. Pseudonymerne "
                "kan ikke føres tilbage til systemets numre uden nøglen, som kun tjenesten har."
            )
        return (
            "Tilfældige pseudonymer for dette udtræk (ny tilfældig nøgle, som er slettet): pseudonymerne "
            "kan kun kobles inden for denne fil, ikke med andre udtræk."
        )
