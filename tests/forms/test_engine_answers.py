"""Normalising submitted form data: stored types, dropped hidden answers, Danish errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import forms
from forms import applicable_keys, load_definition, normalise, to_formdata

TODAY = date(2024, 6, 1)
VALID = {
    "q1": ["3"], "q1_andet": ["  hos sin søster  "], "q2": ["3", "2"], "q2_andet": ["naboen"],
    "q3": ["1"], "q4": ["2"], "q5": ["77"], "q6": ["2"], "q6_dato": ["05-03-2021"], "q7": ["1"],
    "q8": ["ABC"], "q10_tid_timer": ["2"], "q10_tid_minutter": ["30"], "q10_antal": ["4"],
    "q11_1": ["2"], "q11_2": ["0"], "q11_3": ["77"], "q12": ["3"], "q13": ["0"],
    "q14": ["Godt forløb\r\nNy linje"], "q20": ["2024-05-31"], "q21": ["1"], "q22": ["1"],
}  # fmt: skip


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(Path(__file__).parent / "fixtures" / "good.toml")


def submit(q: forms.Questionnaire, data: dict, **kwargs) -> forms.Result:
    return normalise(q, data, today=TODAY, **kwargs)


def errors_of(q: forms.Questionnaire, data: dict, key: str, **kwargs) -> list[str]:
    return submit(q, data, **kwargs).errors.get(key, [])


def test_a_complete_answer_is_stored_with_the_vocabulary_types(q: forms.Questionnaire) -> None:
    result = submit(q, VALID)
    assert result.errors == {}
    assert result.ok
    assert result.answers == {
        "q1": 3, "q1_andet": "hos sin søster", "q2": [2, 3], "q2_andet": "naboen",
        "q3": 1, "q4": 2, "q5": 77, "q6": 2, "q6_dato": "2021-03-05", "q7": 1, "q8": "ABC",
        "q10_tid": 150, "q10_antal": 4, "q11_1": 2, "q11_2": 0, "q11_3": 77, "q12": 3, "q13": 0,
        "q14": "Godt forløb\nNy linje", "q20": "2024-05-31", "q21": [1], "q22": 1,
    }  # fmt: skip
    assert list(result.answers) == [k for k in q.answer_keys() if k in result.answers], "document order"


def test_answers_to_hidden_questions_are_dropped(q: forms.Questionnaire) -> None:
    data = {**VALID, "q1": ["2"], "q3": ["2"], "q12": ["0"]}
    answers = submit(q, data).answers
    for hidden in ("q1_andet", "q2", "q2_andet", "q4", "q5", "q13"):
        assert hidden not in answers


def test_answers_of_sections_not_due_are_dropped(q: forms.Questionnaire) -> None:
    answers = submit(q, VALID, sections=["del2"]).answers
    assert set(answers) == {"q10_tid", "q10_antal", "q11_1", "q11_2", "q11_3", "q12", "q13", "q14"}


def test_extra_questions_are_kept_outside_their_section(q: forms.Questionnaire) -> None:
    answers = submit(q, VALID, sections=["del2"], extra=["q6", "q7"]).answers
    assert {k: answers[k] for k in ("q6", "q6_dato", "q7")} == {"q6": 2, "q6_dato": "2021-03-05", "q7": 1}


def test_submit_requires_every_visible_required_answer_and_nothing_else(q: forms.Questionnaire) -> None:
    result = submit(q, {"q1": ["1"], "q3": ["2"]}, sections=["del1"])
    assert result.errors == {
        "q2": ["Vælg mindst ét svar."],
        "q6": ["Skriv en dato, eller vælg »Før 1.6. 2007« eller »Intet møde endnu«."],
        "q7": ["Vælg et svar."],
    }
    assert result.answers == {"q1": 1, "q3": 2}


def test_required_messages_by_type(q: forms.Questionnaire) -> None:
    errors = submit(q, {}, sections=["del2", "del3"]).errors
    assert errors == {
        "q10_tid": ["Skriv timer og minutter."],
        "q10_antal": ["Skriv et helt tal."],
        "q11_1": ["Vælg et svar."],
        "q11_3": ["Vælg et svar."],
        "q12": ["Skriv et helt tal."],
        "q20": ["Skriv en dato."],
    }


def test_a_chosen_date_option_requires_the_date(q: forms.Questionnaire) -> None:
    assert errors_of(q, {"q6": ["2"]}, "q6_dato", sections=["del1"]) == ["Skriv en dato."]
    assert errors_of(q, {"q6": ["1"]}, "q6_dato", sections=["del1"]) == []


def test_follow_up_texts_are_optional(q: forms.Questionnaire) -> None:
    assert "q1_andet" not in submit(q, {**VALID, "q1_andet": [""]}).errors


def test_a_draft_keeps_what_is_valid_and_still_reports_invalid_input(q: forms.Questionnaire) -> None:
    result = submit(q, {"q1": ["1"], "q12": ["tre"], "q10_antal": ["4"]}, mode="draft")
    assert result.answers == {"q1": 1, "q10_antal": 4}
    assert result.errors == {"q12": ["Skriv et helt tal mellem 0 og 9.999."]}


def test_an_empty_draft_is_fine(q: forms.Questionnaire) -> None:
    assert submit(q, {}, mode="draft") == forms.Result({}, {})


def test_an_invalid_answer_counts_as_unanswered_for_later_rules(q: forms.Questionnaire) -> None:
    result = submit(q, {"q12": ["-1"], "q13": ["2"]}, sections=["del2"], mode="draft")
    assert "q13" not in result.answers
    assert "q12" in result.errors


def test_exclusive_options_cannot_be_combined(q: forms.Questionnaire) -> None:
    assert errors_of(q, {**VALID, "q2": ["1", "2"]}, "q2") == [
        "Du kan ikke kombinere »Bor alene« med andre svar."
    ]
    assert errors_of(q, {**VALID, "q2": ["2", "8"]}, "q2") == [
        "Du kan ikke kombinere »Uoplyst« med andre svar."
    ]
    assert submit(q, {**VALID, "q2": ["1"]}).answers["q2"] == [1]
    assert submit(q, {**VALID, "q2": ["1", "1"]}).answers["q2"] == [1], "a repeated value is one answer"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"q1": ["9"]}, "Vælg et af de viste svar."),
        ({"q1": ["1", "2"]}, "Vælg kun ét svar."),
        ({"q1": ["Egen bolig"]}, "Vælg et af de viste svar."),
        ({"q1": ["01"]}, None),
        ({"q1": [" 1 "]}, None),
    ],
)
def test_codes_must_be_among_the_question_codes(
    q: forms.Questionnaire, data: dict, message: str | None
) -> None:
    assert errors_of(q, {**VALID, **data}, "q1") == ([message] if message else [])


@pytest.mark.parametrize(
    ("text", "stored"),
    [("0", 0), (" 12 ", 12), ("500", 500), ("501", None), ("-1", None), ("1.5", None), ("1,5", None),
     ("1e3", None), ("١٢", None), ("1_000", None), ("+3", None), ("9" * 50, None)],
)  # fmt: skip
def test_integers_are_whole_numbers_within_bounds(
    q: forms.Questionnaire, text: str, stored: int | None
) -> None:
    result = submit(q, {**VALID, "q10_antal": [text]})
    if stored is None:
        assert result.errors["q10_antal"] == ["Skriv et helt tal mellem 0 og 500."]
    else:
        assert result.answers["q10_antal"] == stored


def test_integers_without_a_max_get_a_sane_upper_bound(q: forms.Questionnaire) -> None:
    assert submit(q, {**VALID, "q12": ["9999"]}).answers["q12"] == 9999
    assert errors_of(q, {**VALID, "q12": ["10000"]}, "q12") == ["Skriv et helt tal mellem 0 og 9.999."]


@pytest.mark.parametrize(
    ("hours", "minutes", "stored"),
    [("2", "30", 150), ("", "45", 45), ("3", "", 180), ("0", "0", 0), (" 1 ", "05", 65), ("744", "0", 44640)],
)
def test_hours_and_minutes_are_stored_as_minutes(
    q: forms.Questionnaire, hours: str, minutes: str, stored: int
) -> None:
    data = {**VALID, "q10_tid_timer": [hours], "q10_tid_minutter": [minutes]}
    assert submit(q, data).answers["q10_tid"] == stored


@pytest.mark.parametrize(
    ("hours", "minutes", "message"),
    [
        ("1", "60", "Skriv minutter som et helt tal mellem 0 og 59."),
        ("1", "-5", "Skriv minutter som et helt tal mellem 0 og 59."),
        ("to", "0", "Skriv timer som et helt tal mellem 0 og 744."),
        ("745", "0", "Skriv timer som et helt tal mellem 0 og 744."),
        ("1,5", "", "Skriv timer som et helt tal mellem 0 og 744."),
    ],
)
def test_hours_and_minutes_are_checked(
    q: forms.Questionnaire, hours: str, minutes: str, message: str
) -> None:
    data = {**VALID, "q10_tid_timer": [hours], "q10_tid_minutter": [minutes]}
    assert errors_of(q, data, "q10_tid") == [message]


def test_blank_hours_and_minutes_are_unanswered(q: forms.Questionnaire) -> None:
    data = {**VALID, "q10_tid_timer": [" "], "q10_tid_minutter": [""]}
    assert errors_of(q, data, "q10_tid") == ["Skriv timer og minutter."]
    assert "q10_tid" not in submit(q, data, mode="draft").answers


@pytest.mark.parametrize(
    ("text", "stored"),
    [("2024-05-31", "2024-05-31"), ("31-05-2024", "2024-05-31"), ("31.05.2024", "2024-05-31"),
     ("1.6.2007", "2007-06-01"), ("01062007", "2007-06-01"), ("31/05/2024", "2024-05-31"),
     ("2025-05-31", "2025-05-31"), ("1900-01-01", "1900-01-01")],
)  # fmt: skip
def test_dates_are_read_in_danish_and_iso_form(q: forms.Questionnaire, text: str, stored: str) -> None:
    assert submit(q, {**VALID, "q20": [text]}).answers["q20"] == stored


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31-02-2024", "Datoen 31-02-2024 findes ikke. Skriv datoen som dd-mm-åååå."),
        ("2024-13-01", "Datoen 2024-13-01 findes ikke. Skriv datoen som dd-mm-åååå."),
        ("1. juni 2024", "Skriv datoen som dd-mm-åååå."),
        ("31-05-24", "Skriv datoen som dd-mm-åååå."),
        ("31-05.2024", "Skriv datoen som dd-mm-åååå."),
        ("31-12-1899", "Datoen må ikke ligge før 1900."),
        ("2025-06-03", "Datoen må højst ligge et år ude i fremtiden."),
    ],
)
def test_impossible_dates_are_refused(q: forms.Questionnaire, text: str, message: str) -> None:
    assert errors_of(q, {**VALID, "q20": [text]}, "q20") == [message]


@pytest.mark.parametrize("text", ["hej\x00", "a\x1b[31mrød", "tab\x7f", "\x08"])
def test_control_characters_are_refused(q: forms.Questionnaire, text: str) -> None:
    message = "Teksten indeholder kontroltegn, som ikke er tilladt. Fjern dem og prøv igen."
    assert errors_of(q, {**VALID, "q14": [text]}, "q14") == [message]


def test_line_breaks_and_tabs_are_allowed_in_long_text_only(q: forms.Questionnaire) -> None:
    assert submit(q, {**VALID, "q14": ["a\tb\r\nc\rd"]}).answers["q14"] == "a\tb\nc\nd"
    assert errors_of(q, {**VALID, "q8": ["A\tB"]}, "q8") != []
    assert errors_of(q, {**VALID, "q8": ["A\nB"]}, "q8") != []


def test_text_is_stripped_and_blank_text_is_unanswered(q: forms.Questionnaire) -> None:
    result = submit(q, {**VALID, "q8": ["  "], "q14": ["\n  x  \n"]})
    assert "q8" not in result.answers
    assert result.answers["q14"] == "x"


def test_text_length_is_limited(q: forms.Questionnaire) -> None:
    assert submit(q, {**VALID, "q8": ["x" * 100]}).answers["q8"] == "x" * 100
    assert errors_of(q, {**VALID, "q8": ["x" * 101]}, "q8") == ["Skriv højst 100 tegn (du har skrevet 101)."]
    assert errors_of(q, {**VALID, "q14": ["x" * 4001]}, "q14") == [
        "Skriv højst 4.000 tegn (du har skrevet 4.001)."
    ]


def test_a_field_sent_twice_is_refused(q: forms.Questionnaire) -> None:
    assert errors_of(q, {**VALID, "q12": ["1", "2"]}, "q12") == ["Skriv kun ét svar i feltet."]


def test_unknown_field_names_are_ignored(q: forms.Questionnaire) -> None:
    assert (
        submit(q, {**VALID, "csrf_token": ["x"], "q99": ["1"], "q2_1": ["1"]}).answers
        == submit(q, VALID).answers
    )


def test_a_werkzeug_multidict_works_like_a_dict_of_lists(q: forms.Questionnaire) -> None:
    multidict = MultiDict([(key, value) for key, values in VALID.items() for value in values])
    assert submit(q, multidict) == submit(q, VALID)


def test_single_strings_are_accepted_in_place_of_lists(q: forms.Questionnaire) -> None:
    data = {key: values[0] for key, values in VALID.items() if len(values) == 1}
    assert submit(q, data, mode="draft").answers["q12"] == 3


def test_values_that_are_not_strings_are_refused_not_crashed_on(q: forms.Questionnaire) -> None:
    result = submit(q, {**VALID, "q1": [None], "q12": [3], "q14": [b"bytes"]})
    assert set(result.errors) == {"q1", "q12", "q14"}


def test_the_mode_must_be_known(q: forms.Questionnaire) -> None:
    with pytest.raises(ValueError):
        normalise(q, {}, mode="final")  # type: ignore[arg-type]


def test_errors_come_in_document_order(q: forms.Questionnaire) -> None:
    result = submit(q, {"q12": ["x"], "q1": ["9"], "q20": ["nu"]})
    keys = list(result.errors)
    assert keys == [k for k in q.answer_keys() if k in result.errors]


def test_stored_answers_fill_the_form_again(q: forms.Questionnaire) -> None:
    answers = submit(q, VALID).answers
    data = to_formdata(q, answers)
    assert data["q10_tid_timer"] == ["2"] and data["q10_tid_minutter"] == ["30"]
    assert data["q6_dato"] == ["05-03-2021"]
    assert data["q2"] == ["2", "3"]
    assert data.getlist("q14") == ["Godt forløb\nNy linje"]
    assert submit(q, data).answers == answers


def test_to_formdata_skips_unknown_keys(q: forms.Questionnaire) -> None:
    assert to_formdata(q, {"q99": 1, "q1": 1}) == {"q1": ["1"]}


# -- properties -------------------------------------------------------------------------------

FIELD_NAMES = [*VALID, "q10_tid", "q99", "q2_1", ""]
# Arbitrary text, and values near the valid ones so that rules and ranges are exercised too.
submitted_text = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(
        ["0", "1", "2", "3", "8", "77", "-1", " 1 ", "59", "60", "744", "29-02-2024", "29-02-2023"]
    ),
)
form_data = st.dictionaries(st.sampled_from(FIELD_NAMES), st.lists(submitted_text, max_size=3))
due_sections = st.none() | st.lists(st.sampled_from(["del1", "del2", "del3"]), unique=True)
TYPES = {"single": int, "integer": int, "duration_hm": int, "date": str, "text": str, "short_text": str}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=form_data, mode=st.sampled_from(["submit", "draft"]), sections=due_sections)
def test_normalise_never_raises_and_stores_only_applicable_typed_answers(
    q: forms.Questionnaire, data: dict, mode: str, sections: list[str] | None
) -> None:
    result = submit(q, data, mode=mode, sections=sections)
    assert set(result.answers) <= set(applicable_keys(q, result.answers, sections))
    assert not set(result.answers) & set(result.errors)
    for key, value in result.answers.items():
        kind = q.slot(key).kind
        if kind == "multi":
            assert value == sorted(set(value)) and value and all(type(c) is int for c in value)
        else:
            assert type(value) is TYPES[kind]
        if kind in ("single", "multi"):
            assert set(value if kind == "multi" else [value]) <= set(q.slot(key).codes)
    for messages in result.errors.values():
        assert messages and all(isinstance(m, str) and m.endswith(".") for m in messages)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=form_data, sections=due_sections)
def test_stored_answers_survive_a_round_trip_through_the_form(
    q: forms.Questionnaire, data: dict, sections: list[str] | None
) -> None:
    answers = submit(q, data, mode="draft", sections=sections).answers
    again = submit(q, to_formdata(q, answers), mode="draft", sections=sections)
    assert (again.answers, again.errors) == (answers, {})


OPTIONAL_PARTS = """
[questionnaire]
key = "t"
version = 1
title = "T"

[[sections]]
key = "s"
title = "S"
waves = ["followup"]

[[sections.questions]]
key = "g"
type = "group"
label = "Gruppe"
required = false

[[sections.questions.fields]]
key = "g_antal"
type = "integer"
label = "Antal"

[[sections.questions]]
key = "d"
type = "date_or_before"
label = "Dato"
required = false
choices = [{ code = 1, label = "Før" }, { code = 2, label = "Efter", date = true }]
"""


def test_an_optional_group_makes_its_fields_optional_and_an_optional_date_stays_optional() -> None:
    q = forms.parse_definition(OPTIONAL_PARTS)
    assert submit(q, {"d": ["2"]}).errors == {}
    assert submit(q, {"d": ["2"], "d_dato": ["1-1-2020"], "g_antal": ["3"]}).answers == {
        "g_antal": 3, "d": 2, "d_dato": "2020-01-01",
    }  # fmt: skip
    assert q.section_keys("followup") == ["s"] and q.section_keys("baseline") == []
