"""Nickname checks (decisions.md §3): identifiers are refused, full names warned, ordinary nicknames pass."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reporting.skp.nicknames import (
    MAX_LENGTH,
    MSG_CONTROL,
    MSG_CPR,
    MSG_EMAIL,
    MSG_EMPTY,
    MSG_FORMULA,
    MSG_FULL_NAME,
    MSG_PHONE,
    check_nickname,
    looks_like_cpr,
    normalise,
)

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
separators = st.sampled_from(["", "-", " ", " - ", "–", "  "])
# Surrounding text may end or start with digits: the CPR number must be found anyway.
surroundings = st.text(alphabet="abcæøå ABCÆØÅ0123456789.,!?", max_size=12)


@st.composite
def cpr_like(draw: st.DrawFn) -> str:
    """ddmmyy[sep]xxxx for a real calendar date, any serial (modulus 11 or not), maybe embedded."""
    day = draw(birth_dates)
    serial = draw(st.integers(0, 9999))
    core = f"{day:%d%m%y}{draw(separators)}{serial:04d}"
    if draw(st.booleans()):
        return core
    return draw(surroundings) + core + draw(surroundings)


@st.composite
def danish_phone(draw: st.DrawFn) -> str:
    digits = f"{draw(st.integers(10_000_000, 99_999_999))}"
    layout = draw(st.sampled_from(["8", "2222", "44", "233"]))
    groups, at = [], 0
    for width in map(int, layout):
        groups.append(digits[at:at + width])
        at += width
    number = " ".join(groups) if len(groups) > 1 else digits
    prefix = draw(st.sampled_from(["", "+45 ", "+45", "0045 ", "0045"]))
    return draw(st.sampled_from(["", "Ring ", "tlf. "])) + prefix + number + draw(st.sampled_from(["", " efter 16"]))


animals = st.sampled_from(["hund", "kat", "Hund", "blå bil", "K-fan", "ræv", "Østjyde", "mus", "fugl", "Å-barn"])
ordinary_nicknames = st.builds(
    lambda word, number: f"{word} {number}" if number is not None else word,
    animals,
    st.none() | st.integers(0, 9999),
)

# --------------------------------------------------------------------------------------------
# Refused
# --------------------------------------------------------------------------------------------


@given(cpr_like())
@example("010190-1234")
@example("0101901234")
@example("Hund 010190 1234")
@example("7" + "0101901234")  # a digit before: the number is still found
@example("010190-1233")  # fails modulus 11: still a CPR number
@example("6101901234")  # erstatningspersonnummer (day + 60)
def test_every_cpr_like_string_is_refused(text: str) -> None:
    result = check_nickname(text)
    assert not result.ok
    assert MSG_CPR in result.errors


def test_cpr_with_full_width_digits_is_refused() -> None:
    assert MSG_CPR in check_nickname("０１０１９０-１２３４").errors


@given(danish_phone())
@example("12345678")
@example("12 34 56 78")
@example("+45 12 34 56 78")
@example("0045 1234 5678")
def test_every_danish_phone_number_is_refused(text: str) -> None:
    assert MSG_PHONE in check_nickname(text).errors


@pytest.mark.parametrize("text", ["jens@example.com", "Hund j.h@mail.dk", "x@y"])
def test_email_addresses_are_refused(text: str) -> None:
    assert MSG_EMAIL in check_nickname(text).errors


@pytest.mark.parametrize("text", ["=SUM(A1:A9)", "+hund", "-hund", "@hund", "＝1+1", "  =hund"])
def test_formula_prefixes_are_refused(text: str) -> None:
    assert MSG_FORMULA in check_nickname(text).errors


@pytest.mark.parametrize("text", ["hund\t7", "\x00hund", "hund\u200b7", "hund\u202e7", "hund\n7", "hund\u20287"])
def test_control_and_invisible_characters_are_refused(text: str) -> None:
    assert MSG_CONTROL in check_nickname(text).errors


@pytest.mark.parametrize("text", ["", "   ", "\u00a0", None])
def test_empty_nicknames_are_refused(text: str | None) -> None:
    assert check_nickname(text).errors == (MSG_EMPTY,)


def test_longer_than_the_limit_is_refused_with_the_length() -> None:
    assert check_nickname("a" * MAX_LENGTH).ok
    errors = check_nickname("a" * (MAX_LENGTH + 1)).errors
    assert len(errors) == 1 and f"højst være {MAX_LENGTH} tegn" in errors[0] and f"{MAX_LENGTH + 1} tegn" in errors[0]


# --------------------------------------------------------------------------------------------
# Warned
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Jens Hansen", "Ærø Østergård", "Anne-Marie Åberg", "Jens H.", "Hr. Holm",
                                  "Mette Marie Jensen"])
def test_full_names_warn_but_pass(text: str) -> None:
    result = check_nickname(text)
    assert result.ok and result.warning == MSG_FULL_NAME


# --------------------------------------------------------------------------------------------
# Accepted
# --------------------------------------------------------------------------------------------


@given(ordinary_nicknames)
@example("Hund 7")
@example("K-fan")
@example("blå bil")
@example("Ræven fra 2. sal")
def test_ordinary_nicknames_pass_without_warning(text: str) -> None:
    result = check_nickname(text)
    assert result.ok, result.errors
    assert result.warning is None
    assert result.nickname == text


def test_spaces_are_trimmed_and_collapsed() -> None:
    assert check_nickname("  Hund \u00a0  7 ").nickname == "Hund 7"


@pytest.mark.parametrize("text", ["Hund 1234567", "31-12", "Bus 150", "K 2024"])
def test_short_digit_runs_and_dates_pass(text: str) -> None:
    assert check_nickname(text).ok


@given(st.text(max_size=60))
def test_the_check_never_raises_and_accepts_only_safe_text(text: str) -> None:
    result = check_nickname(text)
    assert result.nickname == normalise(text)
    if result.ok:
        assert 0 < len(result.nickname) <= MAX_LENGTH
        assert result.nickname[0] not in "=+-@"
        assert result.nickname.isprintable()
        assert not looks_like_cpr(result.nickname)
        assert check_nickname(result.nickname) == result  # stable: checking the stored value agrees


@st.composite
def impossible_dates(draw: st.DrawFn) -> tuple[int, int]:
    """(day, month) no calendar has: day 0 or past the month's end, month 0 or above 12."""
    kind = draw(st.sampled_from(["day0", "past_end", "month"]))
    if kind == "day0":
        return 0, draw(st.integers(1, 12))
    if kind == "past_end":
        month = draw(st.sampled_from([2, 4, 6, 9, 11]))
        return draw(st.integers(calendar.monthrange(2000, month)[1] + 1, 31)), month  # 2000: 29/2 is possible
    return draw(st.integers(1, 31)), draw(st.sampled_from([0, *range(13, 100)]))


@given(impossible_dates(), st.integers(0, 99), st.integers(0, 9999))
def test_impossible_dates_are_not_reported_as_cpr(day_month: tuple[int, int], year: int, serial: int) -> None:
    day, month = day_month
    text = f"{day:02d}{month:02d}{year:02d}-{serial:04d}"
    assert not looks_like_cpr(text)
    assert MSG_PHONE in check_nickname(text).errors  # still refused: ten digits are never a nickname
