"""exports.identifiers: CPR numbers, e-mails, Danish phone numbers and known nicknames in free text."""

from __future__ import annotations

import pytest

from exports.identifiers import Finding, contains_identifier, describe_da, scan


def kinds(text: str, known: tuple[str, ...] = ()) -> list[str]:
    return [f.kind for f in scan(text, known)]


@pytest.mark.parametrize(
    "text",
    ["CPR 010180-1234", "cpr:0101801234", "født 311299-0001", "290204-1234", "010180 1234",
     "nummeret er 150390-4321.", "(070707-7077)"],
)
def test_cpr_numbers_with_and_without_dash_are_found(text):
    assert kinds(text) == ["cpr"]


def test_cpr_without_modulus_11_is_still_found():
    # 010180-1235 fails the old modulus-11 check; such numbers have been issued since 2007.
    digits = [int(c) for c in "0101801235"]
    assert sum(w * d for w, d in zip((4, 3, 2, 7, 6, 5, 4, 3, 2, 1), digits, strict=True)) % 11 != 0
    assert kinds("0101801235") == ["cpr"]


@pytest.mark.parametrize(
    "text",
    ["320180-1234", "011380-1234", "300280-1234", "290201-1234", "000180-1234", "12345678901", "1010801234567",
     "ref 99999999999"],
)
def test_numbers_that_are_not_cpr_numbers_are_not_reported_as_cpr(text):
    assert "cpr" not in kinds(text)


def test_position_points_at_the_identifier_and_the_text_is_not_kept():
    text = "Ring til SKP: lise.hansen@esbjerg.dk eller 23 45 67 89"
    findings = scan(text)
    assert [(f.kind, text[f.start:f.end]) for f in findings] == [
        ("email", "lise.hansen@esbjerg.dk"), ("phone", "23 45 67 89")]
    assert all(set(vars(f)) == {"kind", "start", "end"} for f in findings)
    assert "lise" not in repr(findings) and "23 45" not in repr(findings)


@pytest.mark.parametrize(
    "text",
    ["23456789", "23 45 67 89", "2345 6789", "+45 23456789", "+4523456789", "0045 23 45 67 89", "+45 23 45 67 89"],
)
def test_danish_phone_numbers_in_common_spellings(text):
    assert kinds(text) == ["phone"]


@pytest.mark.parametrize("text", ["1234567", "123456789", "12345678", "05 12 34 56", "kl. 14.30 den 12.03.2009",
                                  "3 timer og 45 minutter", "2009-2010"])
def test_things_that_are_not_danish_phone_numbers(text):
    assert "phone" not in kinds(text)


def test_a_cpr_number_is_not_also_reported_as_a_phone_number():
    assert kinds("010180 1234 og 2301801234") == ["cpr", "cpr"]


@pytest.mark.parametrize("text", ["a@b.dk", "Fornavn.Efternavn+skp@kk.dk", "søren@æblehuset.dk", "x_y@sub.domæne.com"])
def test_email_addresses(text):
    assert kinds(text) == ["email"]


@pytest.mark.parametrize("text", ["@mødested", "kl. 10 @ værestedet", "a@b", "mail til kontoret"])
def test_not_email_addresses(text):
    assert "email" not in kinds(text)


def test_known_nicknames_are_found_case_insensitively_as_whole_words():
    known = ("Bamse", "Lille-Ole", "Jo")  # "Jo" is too short to be scanned for (false alarms on "jo")
    assert kinds("Mødte BAMSE i dag", known) == ["known"]
    assert kinds("lille-ole var glad", known) == ["known"]
    assert kinds("Bamsefar og jo, det gik", known) == []


def test_clean_text_has_no_findings():
    text = "Brugeren åbnede døren og vi drak kaffe. Næste besøg om 2 uger, 45 min."
    assert scan(text) == [] and not contains_identifier(text)


def test_danish_summary_counts_by_kind():
    findings = [Finding("cpr", 0, 10), Finding("phone", 12, 20), Finding("phone", 22, 30)]
    assert describe_da(findings) == "1 CPR-nummer, 2 telefonnumre"
    assert describe_da([]) == "ingen fund"


def test_non_text_is_refused():
    with pytest.raises(TypeError):
        scan(12345678)  # type: ignore[arg-type]


#: Security probe M5 and the export audit §4b: every one of these passed the old scan.
PROBE_TEXTS = [
    "CPR 010190 - 1234", "01.01.90-1234", "01-01-90-1234", "01 01 90 1234", "010190/1234", "cpr 010190/1234",
    "erstatnings-cpr 610190-1234", "610190-1234", "tlf 22-34-56-78", "tlf 2234-5678", "+45 22-34-56-78",
    "tlf 22.34.56.78", "ring på 22.34.56.78", "22-33-44-55", "2233-4455", "tlf. 22.33.44.55",
    "Bor hos moster Grethe i Ribe", "bor hos moster grethe", "født 1. januar 1990", "Vestergade 12, 6760 Ribe",
    "skriv til jens(at)mail.dk", "Han så Dr. Hansen på Psykiatrisk Center Glostrup", "CPR ０１０１９０-１２３４",
]


@pytest.mark.parametrize("text", PROBE_TEXTS)
def test_the_formats_the_probes_found_are_caught(text):
    assert contains_identifier(text), text


@pytest.mark.parametrize("text", PROBE_TEXTS)
def test_no_probe_text_reaches_the_file(text):
    from exports.anonymise import TEXT_WITHHELD, AllowList, Field

    allow = AllowList([Field("q39", "text")], include_free_text=True)
    assert allow.apply({"q39": text}) == {"q39": TEXT_WITHHELD}


@pytest.mark.parametrize("text", ["Han har det bedre og kom til mødet.", "Samtale om økonomi. Aftale om ny tid.",
                                  "Kontakt 3 gange i måneden; SKP ringede."])
def test_ordinary_texts_pass(text):
    assert not contains_identifier(text), scan(text)


#: CPR, phone and e-mail shapes the nickname check refuses (tests/skp/test_nicknames.py has the rest).
NICKNAME_REFUSALS = [
    "0101901234", "010190-1234", "x 010190 - 1234", "01.01.90-1234", "610190-1234", "290200-1234",
    "22 34 56 78", "+45 2234 5678", "0045 22345678", "22-34-56-78", "jens@mail.dk", "ＣＰＲ ０１０１９０-１２３４",
]


def test_the_nickname_check_uses_these_detectors():
    """One source of truth (issue 18): the nickname check imports its CPR, phone and e-mail
    detectors from here rather than keeping copies."""
    from exports import identifiers
    from reporting.skp import nicknames

    for name in ("looks_like_cpr", "looks_like_phone", "looks_like_email"):
        assert getattr(nicknames, name) is getattr(identifiers, name)


@pytest.mark.parametrize("text", NICKNAME_REFUSALS)
def test_what_the_nickname_check_refuses_the_scan_finds(text):
    from exports.identifiers import looks_like_cpr, looks_like_email, looks_like_phone

    assert looks_like_cpr(text) or looks_like_phone(text) or looks_like_email(text), text
    assert {"cpr", "phone", "email"} & set(kinds(text)), (text, scan(text))


def test_birth_dates_with_and_without_the_year():
    from exports.identifiers import is_birth_date

    assert is_birth_date(29, 2) and is_birth_date(29, 2, 0) and not is_birth_date(29, 2, 1)
    assert is_birth_date(61, 1, 90) and is_birth_date(91, 12) and not is_birth_date(92, 1)
    assert not is_birth_date(31, 4) and not is_birth_date(0, 1) and not is_birth_date(1, 13)
