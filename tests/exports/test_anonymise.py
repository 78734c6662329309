"""exports.anonymise: only allowed keys leave; identifying keys never; free text only opted in and clean."""

from __future__ import annotations

import pytest

from exports.anonymise import TEXT_WITHHELD, AllowList, Field, is_never_exported
from exports.derived import course_months

FIELDS = [
    Field("q3", "single", "del1"),
    Field("q7", "multi", "del1"),
    Field("q16", "single", "del1"),
    Field("q16_dato", "date", "del1"),
    Field("q26_tid", "duration_hm", "del3"),
    Field("q26_tlf", "integer", "del3"),
    Field("q6_andet", "text", "del1"),
    Field("q39", "text", "del6"),
    Field("q40", "date", "del7"),
    Field("km_navn", "short_text", "del1"),
    Field("km_email", "short_text", "del1"),
    Field("q1", "short_text", "del1"),
    Field("kaldenavn", "short_text", None),
    Field("q99", "file", "del7"),
]
ANSWERS = {
    "q3": 2, "q7": [2, 3], "q16": 2, "q16_dato": "2008-08-20", "q26_tid": 150, "q26_tlf": 4,
    "q6_andet": "bor hos søsteren", "q39": "Ring til Lise på 23 45 67 89", "q40": "2009-06-03",
    "km_navn": "Hanne Jensen", "km_email": "hj@kommune.dk", "q1": "HJ", "kaldenavn": "Bamse",
}


def test_codes_numbers_and_durations_are_kept_as_stored():
    out = AllowList(FIELDS).apply(ANSWERS)
    assert out["q3"] == 2 and out["q7"] == [2, 3] and out["q26_tid"] == 150 and out["q26_tlf"] == 4


def test_identifying_keys_never_leave_even_when_free_text_is_opted_in():
    allow = AllowList(FIELDS, include_free_text=True)
    out = allow.apply(ANSWERS)
    for key in ("km_navn", "km_email", "q1", "kaldenavn"):
        assert key not in out
        assert allow.decision(key).action == "never"
    assert not {"km_navn", "km_email", "q1", "kaldenavn"} & set(allow.exported_keys())


@pytest.mark.parametrize("key", ["km_myndighed", "KM_TLF", "q2", "q2_nr", "nickname", "kontakt_navn", "bruger_email",
                                 "reporter_initials", "cpr", "fornavn"])
def test_never_keys_by_name_and_by_part(key):
    assert is_never_exported(key)


@pytest.mark.parametrize("key", ["q26_tlf", "q26_moeder", "q30_antal", "q6", "navnlig_kode", "q34_1"])
def test_ordinary_keys_are_not_mistaken_for_identifiers(key):
    assert not is_never_exported(key)


def test_free_text_is_dropped_by_default():
    allow = AllowList(FIELDS)
    out = allow.apply(ANSWERS)
    assert "q6_andet" not in out and "q39" not in out
    assert allow.decision("q39").action == "drop"
    assert "Fritekst er ikke medtaget." in allow.report_da()


def test_opted_in_free_text_is_included_only_when_the_scan_finds_nothing():
    allow = AllowList(FIELDS, include_free_text=True, known_terms=["Bamse"])
    out = allow.apply(ANSWERS)
    assert out["q6_andet"] == "bor hos søsteren"
    assert out["q39"] == TEXT_WITHHELD  # a phone number
    assert allow.apply({"q6_andet": "mødte bamse ved kiosken"})["q6_andet"] == TEXT_WITHHELD  # a known nickname
    assert allow.withheld == {"q39": 1, "q6_andet": 1}
    report = " ".join(allow.report_da())
    assert "q39: 0 tekster medtaget, 1 udeladt" in report
    assert "23 45" not in report and "Lise" not in report and "Bamse" not in report


def test_dates_become_year_month_by_default():
    out = AllowList(FIELDS).apply(ANSWERS)
    assert out["q16_dato"] == "2008-08" and out["q40"] == "2009-06"


def test_dates_can_become_months_since_contact_start_instead():
    allow = AllowList(FIELDS, date_mode="months_since_start")
    out = allow.apply(ANSWERS, anchor_month="2008-08")
    assert out["q16_dato"] == 0 and out["q40"] == 10
    assert all("2008" not in str(v) and "2009" not in str(v) for v in out.values())
    course = course_months(ANSWERS, "2008-10")  # the derived-variables anchor (Q16's month) works too
    assert allow.apply(ANSWERS, anchor_month=course.anchor)["q40"] == 10
    with pytest.raises(ValueError, match="anchor_month"):
        allow.apply(ANSWERS)


def test_unreadable_dates_become_empty_not_raw_text():
    assert AllowList(FIELDS).apply({"q40": "3. juni 2009"}) == {"q40": None}


def test_keys_outside_the_definition_and_unknown_kinds_are_dropped():
    allow = AllowList(FIELDS)
    out = allow.apply({"q3": 1, "hemmelig": "x", "q99": "fil.pdf"})
    assert out == {"q3": 1}
    assert allow.unknown_keys == {"hemmelig": 1}
    assert allow.decision("hemmelig").action == "drop" and allow.decision("q99").action == "drop"
    assert "q99" not in allow.exported_keys()


def test_exported_keys_keep_definition_order():
    assert AllowList(FIELDS, include_free_text=True).exported_keys() == [
        "q3", "q7", "q16", "q16_dato", "q26_tid", "q26_tlf", "q6_andet", "q39", "q40"]


def test_report_lists_never_and_dropped_keys_without_values():
    report = AllowList(FIELDS).report_da()
    assert any("km_navn" in line and "aldrig" in line for line in report)
    assert not any("Hanne" in line or "hj@kommune.dk" in line for line in report)


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError):
        AllowList(FIELDS, date_mode="day")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        AllowList([Field("q3", "single"), Field("q3", "single")])


def test_text_stored_in_a_code_field_does_not_leak():
    allow = AllowList(FIELDS)
    out = allow.apply({"q3": "Lise Hansen", "q7": [1, "x"], "q26_tid": True, "q26_tlf": 3})
    assert out == {"q3": None, "q7": None, "q26_tid": None, "q26_tlf": 3}
    assert allow.invalid == {"q3": 1, "q7": 1, "q26_tid": 1}
    assert any("forkert type" in line and "Lise" not in line for line in allow.report_da())


def test_only_the_applicable_keys_are_considered_and_counted():
    allow = AllowList(FIELDS, include_free_text=True)
    out = allow.apply({**ANSWERS, "ukendt": 1}, only={"q3", "q39"})
    assert out == {"q3": 2, "q39": TEXT_WITHHELD}  # the phone number in q39 is withheld
    assert dict(allow.withheld) == {"q39": 1} and not allow.unknown_keys  # hidden answers are not counted


def test_answers_seen_through_the_asked_keys_hide_the_rest_without_copying():
    from exports.sheets_common import AskedAnswers

    view = AskedAnswers(ANSWERS, frozenset({"q3", "q26_tid", "q99"}))
    assert view.get("q3") == 2 and view.get("q7") is None and view.get("q99", "x") == "x"
    assert dict(view) == {"q3": 2, "q26_tid": 150} and len(view) == 2
    with pytest.raises(KeyError):
        view["q7"]
