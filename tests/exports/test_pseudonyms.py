"""exports.pseudonyms: keyed pseudonyms are stable per evaluation key; per-export ones are not."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from exports.pseudonyms import KINDS, PseudonymCollision, Pseudonymizer, new_evaluation_secret

SECRET = bytes(range(32))
PATTERN = re.compile(r"[KMFSE][0-9A-HJKMNP-TV-Z]{9}")


def test_keyed_pseudonyms_are_stable_across_exports_of_one_evaluation():
    first, second = Pseudonymizer.keyed(SECRET), Pseudonymizer.keyed(SECRET)
    assert first.client(42) == second.client(42)
    assert first.worker("u-7") == second.worker("u-7")


def test_a_different_evaluation_key_gives_unrelated_pseudonyms():
    other = Pseudonymizer.keyed(bytes(range(1, 33)))
    assert Pseudonymizer.keyed(SECRET).client(42) != other.client(42)


def test_per_export_pseudonyms_differ_between_exports_but_link_within_one():
    one, two = Pseudonymizer.per_export(), Pseudonymizer.per_export()
    assert one.client(42) == one.client(42)
    assert one.client(42) != two.client(42)
    assert one.mode == "per_export"
    assert one._key.hex() not in repr(one) and repr(one._key) not in repr(one)


def test_format_is_a_short_readable_code_with_a_kind_prefix():
    p = Pseudonymizer.keyed(SECRET)
    codes = {kind: p.pseudonym(kind, 1) for kind in KINDS}
    assert codes["client"].startswith("K") and codes["worker"].startswith("M")
    for code in codes.values():
        assert PATTERN.fullmatch(code), code


def test_kinds_are_separate_domains():
    p = Pseudonymizer.keyed(SECRET)
    assert p.client(5)[1:] != p.worker(5)[1:]


def test_pseudonym_is_the_documented_hmac_and_not_a_plain_hash():
    """Without the key nobody can compute it: it must equal HMAC(key, …), not SHA-256 of the id."""
    p = Pseudonymizer.keyed(SECRET)
    digest = hmac.new(SECRET, b"skp-indberetning/export-pseudonym/v1\x00client\x00" + b"42", hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    body = ""
    for _ in range(9):
        number, rest = divmod(number, 32)
        body += alphabet[rest]
    assert p.client(42) == "K" + body
    unkeyed = hashlib.sha256(b"42").hexdigest().upper()
    assert body not in unkeyed


def test_the_id_never_appears_in_the_pseudonym():
    p = Pseudonymizer.keyed(SECRET)
    assert "00042" not in p.client("K-00042")
    assert len({p.client(i) for i in range(5000)}) == 5000  # no collisions among 5000 ids


def test_short_or_missing_keys_and_bad_ids_are_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        Pseudonymizer.keyed(b"short")
    p = Pseudonymizer.keyed(new_evaluation_secret())
    for bad in (None, "", True):
        p.client(1)  # the id just seen (remembered for runs of rows) must not let a lookalike through
        with pytest.raises(ValueError):
            p.client(bad)
    with pytest.raises(ValueError, match="unknown pseudonym kind"):
        p.pseudonym("nickname", 1)


def test_text_secret_is_accepted_when_long_enough():
    assert Pseudonymizer.keyed("x" * 43).client(1) == Pseudonymizer.keyed(b"x" * 43).client(1)


def test_a_collision_within_one_export_is_an_error_not_a_silent_merge(monkeypatch):
    import exports.pseudonyms as module

    monkeypatch.setattr(module, "_body", lambda digest: 0)  # every id gets the same pseudonym
    p = Pseudonymizer.keyed(SECRET)
    p.client(1)
    p.worker(2)  # another kind has its own prefix: no collision
    assert p.client(1) == p.client("1") == "K" + "0" * 9  # the same id again is fine
    for other in (2, "01", "x"):  # "01" is not the id 1
        with pytest.raises(PseudonymCollision):
            p.client(other)


def test_description_names_the_scheme_in_danish_without_the_key():
    keyed = Pseudonymizer.keyed(SECRET).describe()
    assert "HMAC" in keyed and SECRET.hex() not in keyed
    assert "kun kobles inden for denne fil" in Pseudonymizer.per_export().describe()


def test_runs_of_the_same_id_and_alternating_kinds_keep_their_pseudonyms():
    p = Pseudonymizer.keyed(SECRET)
    fresh = Pseudonymizer.keyed(SECRET)
    seen = [(kind, ident, p.pseudonym(kind, ident)) for ident in (7, 7, 8, 7) for kind in ("client", "course")]
    assert all(pseudonym == fresh.pseudonym(kind, ident) for kind, ident, pseudonym in seen)
    assert p.client(7) != p.course(7) and p.client(7) != p.client(8)
