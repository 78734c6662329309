"""The codebook: one variable per export column, with Danish texts and rules in words."""

from __future__ import annotations

from pathlib import Path

import pytest

import forms
from forms import codebook, describe_rule, load_definition


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(Path(__file__).parent / "fixtures" / "good.toml")


@pytest.fixture(scope="module")
def variables(q: forms.Questionnaire) -> dict[str, forms.Variable]:
    return {v.name: v for v in codebook(q)}


def test_variables_follow_the_answer_keys_with_one_variable_per_multi_code(q: forms.Questionnaire) -> None:
    names = [v.name for v in codebook(q)]
    assert names[:8] == ["q1", "q1_andet", "q2_1", "q2_2", "q2_3", "q2_8", "q2_0", "q2_andet"]
    assert "q2" not in names
    assert names[-3:] == ["q21_1", "q21_2", "q22"]
    assert len(names) == len(set(names))


def test_a_single_lists_its_codes_labels_and_missing_kinds(variables: dict[str, forms.Variable]) -> None:
    q3 = variables["q3"]
    assert q3.type == "single"
    assert q3.label == "Er sagen overdraget fra en anden?"
    assert [(c.code, c.label) for c in q3.codes] == [(1, "Ja"), (2, "Nej"), (77, "Ved ikke")]
    assert [(c.code, c.missing_kind) for c in q3.missing] == [(77, "ved_ikke")]


def test_a_multi_code_is_a_zero_one_variable_that_remembers_its_option(
    variables: dict[str, forms.Variable],
) -> None:
    unknown = variables["q2_8"]
    assert unknown.type == "multi_code"
    assert unknown.label == "Hvem bor brugeren sammen med? – Uoplyst"
    assert [(c.code, c.label) for c in unknown.codes] == [(0, "Ikke valgt"), (1, "Valgt")]
    assert unknown.option == forms.CodeLabel(8, "Uoplyst", missing_kind="uoplyst", exclusive=True)
    assert unknown.answer_key == "q2"


def test_rules_are_written_in_danish(variables: dict[str, forms.Variable]) -> None:
    assert variables["q4"].rule == "Vises hvis spørgsmål 3 = 1 (Ja)"
    assert variables["q13"].rule == "Vises hvis spørgsmål 12 > 0"
    assert variables["q11_2"].rule == "Vises hvis spørgsmål 11_1 = 1 (Lidt) eller 2 (Meget)"
    assert variables["q2_1"].rule == "Vises hvis ikke (spørgsmål 1 = 2 (Hjemløs))"
    assert variables["q22"].rule == (
        "Vises hvis spørgsmål 21 har 1 (Kontakt til familie) afkrydset og "
        "(spørgsmål 12 ≥ 2 eller spørgsmål 3 er besvaret og ≠ 2 (Nej))"
    )
    assert variables["q3"].rule is None


def test_follow_ups_show_with_their_option_and_are_free_text(variables: dict[str, forms.Variable]) -> None:
    andet = variables["q1_andet"]
    assert andet.free_text is True
    assert andet.type == "text"
    assert andet.rule == "Vises hvis spørgsmål 1 = 3 (Et andet sted)"
    assert variables["q2_andet"].rule.endswith("og spørgsmål 2 har 3 (Andre) afkrydset")
    assert variables["q6_dato"].rule == "Vises hvis spørgsmål 6 = 2 (1.6.2007 eller derefter)"
    assert variables["q14"].free_text and variables["q8"].free_text
    assert not variables["q12"].free_text


def test_timing_section_and_scale_membership(variables: dict[str, forms.Variable]) -> None:
    assert (variables["q1"].section, variables["q1"].timing) == ("del1", "intake")
    assert variables["q12"].timing_text == "Hver måned"
    assert variables["q20"].timing_text == "Ved udskrivning"
    assert variables["q11_1"].scales == ("trivsel",)
    assert variables["q11_1"].type == "grid_item"
    assert variables["q11_1"].label == "Hvordan har brugeren det? – Har pårørende, der hjælper"
    assert variables["q12"].scales == ()


def test_notes_carry_resolutions_additions_and_the_printed_text(variables: dict[str, forms.Variable]) -> None:
    assert "E08: 1 and 8 exclusive." in variables["q2_1"].notes
    assert "Svarmuligheden 0 »Ingen af ovenstående« er tilføjet (E23) og er ikke trykt i skemaet." in variables[
        "q2_0"].notes
    assert "Trykt tekst: Angiv datoen for kontakstart" in variables["q6"].notes
    assert variables["q10_tid"].notes == ("Minutter i alt (timer × 60 + minutter).",)
    assert variables["q1"].source == "S002:3747-3754"


def test_waves_stand_in_for_timing_in_the_caseworker_survey() -> None:
    caseworker = forms.get_definition("caseworker")
    by_name = {v.name: v for v in codebook(caseworker)}
    assert by_name["f1"].timing is None
    assert by_name["f1"].timing_text == "Opfølgning"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"q": "q3", "ne": 1}, "spørgsmål 3 er besvaret og ≠ 1 (Ja)"),
        ({"q": "q6", "answered": True}, "spørgsmål 6 er besvaret"),
        ({"q": "q6", "answered": False}, "spørgsmål 6 er ikke besvaret"),
        ({"q": "q12", "lte": 3}, "spørgsmål 12 ≤ 3"),
        ({"q": "q10_tid", "gte": 60}, "spørgsmål 10_tid ≥ 60"),
        ({"any": [{"q": "q3", "eq": 1}, {"all": [{"q": "q12", "lt": 1}, {"q": "q12", "gt": -1}]}]},
         "spørgsmål 3 = 1 (Ja) eller (spørgsmål 12 < 1 og spørgsmål 12 > -1)"),
    ],
)  # fmt: skip
def test_describe_rule(q: forms.Questionnaire, rule: dict, words: str) -> None:
    assert describe_rule(q, rule) == words
