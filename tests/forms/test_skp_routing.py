"""Routing R1-R20 of the SKP monthly report (questionnaire-spec.md §1.10, decisions D3, D9),
case by case on concrete answers, and end-to-end through ``forms.normalise``."""

from __future__ import annotations

from datetime import date

import pytest

import forms
from forms import DEFINITIONS_DIR, applicable_keys, load_definition, normalise

TODAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(DEFINITIONS_DIR / "skp_monthly.toml")


def keys(q: forms.Questionnaire, answers: dict, sections: list[str] | None = None, extra: tuple = ()) -> list[str]:
    return applicable_keys(q, answers, sections=sections, extra=extra)


def shown(q: forms.Questionnaire, answers: dict, *wanted: str, **kwargs) -> None:
    got = keys(q, answers, **kwargs)
    missing = [k for k in wanted if k not in got]
    assert not missing, f"expected applicable: {missing}"


def hidden(q: forms.Questionnaire, answers: dict, *unwanted: str, **kwargs) -> None:
    got = keys(q, answers, **kwargs)
    present = [k for k in unwanted if k in got]
    assert not present, f"expected not applicable: {present}"


# -- Del 1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q6", [3, 4])
def test_r1_homeless_skips_q7(q: forms.Questionnaire, q6: int) -> None:
    hidden(q, {"q6": q6}, "q7")
    shown(q, {"q6": q6}, "q8")


@pytest.mark.parametrize("q6", [1, 2, 5, 6])
def test_r1_other_housing_asks_q7(q: forms.Questionnaire, q6: int) -> None:
    shown(q, {"q6": q6}, "q7", "q8")


def test_r1_q7_is_shown_before_q6_is_answered(q: forms.Questionnaire) -> None:
    shown(q, {}, "q7")


def test_r2_handed_over_asks_q13_then_q15(q: forms.Questionnaire) -> None:
    answers = {"q12": 1}
    shown(q, answers, "q13", "q15", "q16")
    hidden(q, answers, "q14")


def test_r3_not_handed_over_asks_q14_not_q13(q: forms.Questionnaire) -> None:
    shown(q, {"q12": 2}, "q14", "q16")
    hidden(q, {"q12": 2}, "q13")


def test_r4_ved_ikke_goes_to_q15(q: forms.Questionnaire) -> None:
    shown(q, {"q12": 3}, "q15", "q16")
    hidden(q, {"q12": 3}, "q13", "q14")


@pytest.mark.parametrize("q14", [1, 2, 4])
def test_r5_outreach_skips_q15(q: forms.Questionnaire, q14: int) -> None:
    answers = {"q12": 2, "q14": q14}
    hidden(q, answers, "q15", "q15_dato")
    shown(q, answers, "q16")


def test_r6_own_initiative_asks_q15(q: forms.Questionnaire) -> None:
    shown(q, {"q12": 2, "q14": 3}, "q15")


def test_r2_r6_nothing_answered_shows_none_of_q13_q14_q15(q: forms.Questionnaire) -> None:
    hidden(q, {}, "q13", "q14", "q15")
    shown(q, {}, "q16")


def test_q13_answer_is_ignored_when_q12_is_not_1(q: forms.Questionnaire) -> None:
    hidden(q, {"q12": 2, "q13": 14, "q13_andet": "x"}, "q13", "q13_andet")


def test_q14_is_hidden_when_q12_changes_so_its_answer_no_longer_opens_q15(q: forms.Questionnaire) -> None:
    hidden(q, {"q12": 1, "q14": 3}, "q14")  # Q15 still shown, but through Q12 = 1
    hidden(q, {"q14": 3}, "q14", "q15")  # Q12 unanswered: Q14 hidden, so its 3 opens nothing


def test_date_of_q15_q16_q17_only_with_the_date_option(q: forms.Questionnaire) -> None:
    shown(q, {"q12": 3, "q15": 2, "q16": 2, "q17": 2}, "q15_dato", "q16_dato", "q17_dato")
    hidden(q, {"q12": 3, "q15": 1, "q16": 1, "q17": 1}, "q15_dato", "q16_dato", "q17_dato")
    hidden(q, {"q17": 3}, "q17_dato")


def test_r7_no_first_meeting_skips_q18(q: forms.Questionnaire) -> None:
    hidden(q, {"q17": 3}, "q18", "q18_beskriv")
    shown(q, {"q17": 3}, "q19")
    shown(q, {"q17": 2}, "q18")
    shown(q, {"q17": 1}, "q18")


def test_r7_e18_reasked_q17_and_q18_outside_del1(q: forms.Questionnaire) -> None:
    later = ["del3", "del4"]
    assert "q17" not in keys(q, {}, sections=later)
    got = keys(q, {"q17": 2}, sections=later, extra=("q17", "q18"))
    assert got[:3] == ["q17", "q17_dato", "q18"]
    assert "q16" not in got and "q19" not in got
    assert "q18" not in keys(q, {"q17": 3}, sections=later, extra=("q17", "q18"))


def test_r8_q18_description_only_for_code_1(q: forms.Questionnaire) -> None:
    shown(q, {"q18": 1}, "q18_beskriv")
    for code in (2, 3, 4):
        hidden(q, {"q18": code}, "q18_beskriv")


def test_r9_personality_disorders_and_other_diagnosis(q: forms.Questionnaire) -> None:
    shown(q, {"q19": [4]}, "q19_pf")
    hidden(q, {"q19": [4]}, "q19_andet")
    shown(q, {"q19": [5]}, "q19_andet")
    hidden(q, {"q19": [5]}, "q19_pf")
    shown(q, {"q19": [1, 4, 5]}, "q19_pf", "q19_andet")
    hidden(q, {"q19": [77]}, "q19_pf", "q19_andet")
    hidden(q, {}, "q19_pf", "q19_andet")


def test_r10_d3_q9_gates_nothing(q: forms.Questionnaire) -> None:
    assert keys(q, {"q9": 1}) == keys(q, {"q9": 2}) == keys(q, {})


# -- Del 4 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q32", [0, 77])
def test_r11_no_admission_skips_q32a_c(q: forms.Questionnaire, q32: int) -> None:
    hidden(q, {"q32": q32}, "q32a", "q32b", "q32c")
    shown(q, {"q32": q32}, "q33")


@pytest.mark.parametrize("q32", [1, 2])
def test_r12_admission_asks_q32a_c(q: forms.Questionnaire, q32: int) -> None:
    shown(q, {"q32": q32}, "q32a", "q32b", "q32c")


def test_r12_q32a_c_hidden_until_q32_is_answered(q: forms.Questionnaire) -> None:
    hidden(q, {}, "q32a", "q32b", "q32c")


# -- Del 6 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q38_1", [1, 2, 3])
def test_r13_q38_2_when_relatives_can_help(q: forms.Questionnaire, q38_1: int) -> None:
    shown(q, {"q38_1": q38_1}, "q38_2")


@pytest.mark.parametrize("q38_1", [0, 77, None])
def test_r13_q38_2_not_when_slet_ikke_or_ved_ikke(q: forms.Questionnaire, q38_1: int | None) -> None:
    answers = {} if q38_1 is None else {"q38_1": q38_1}
    hidden(q, answers, "q38_2")
    shown(q, answers, "q38_1", "q38_3", "q38_4", "q38_5", "q38_6")


# -- Del 7 ---------------------------------------------------------------------------------


def test_r14_r16_purpose_fulfilled_opens_q42_and_the_ticked_follow_ups(q: forms.Questionnaire) -> None:
    answers = {"q41": 4, "q42": [1, 3]}
    shown(q, answers, "q42", "q43", "q45", "q47")
    hidden(q, answers, "q44", "q46")


@pytest.mark.parametrize(("ticked", "opens"), [(1, "q43"), (2, "q44"), (3, "q45"), (4, "q46")])
def test_r16_each_option_opens_its_own_follow_up(q: forms.Questionnaire, ticked: int, opens: str) -> None:
    got = keys(q, {"q41": 4, "q42": [ticked]})
    assert [k for k in ("q43", "q44", "q45", "q46") if k in got] == [opens]


def test_r16_all_four_ticked(q: forms.Questionnaire) -> None:
    shown(q, {"q41": 4, "q42": [1, 2, 3, 4]}, "q43", "q44", "q45", "q46")


@pytest.mark.parametrize("q41", [1, 2, 3, 5, 6, 7, 8])
def test_r15_other_reasons_skip_q42_q46(q: forms.Questionnaire, q41: int) -> None:
    answers = {"q41": q41, "q42": [1, 2, 3, 4], "q43": [1], "q44": [1], "q45": [1], "q46": [1]}
    hidden(q, answers, "q42", "q43", "q44", "q45", "q46")
    shown(q, answers, "q47", "q48", "q49", "q52")


def test_r15_q42_hidden_until_q41_is_answered(q: forms.Questionnaire) -> None:
    hidden(q, {"q42": [1]}, "q42", "q43")


@pytest.mark.parametrize("q48", [1, 5])
def test_r17_meetings_held_asks_the_split(q: forms.Questionnaire, q48: int) -> None:
    shown(q, {"q48": q48}, "q49", "q50", "q51")


def test_r18_no_meeting_asks_only_the_total(q: forms.Questionnaire) -> None:
    shown(q, {"q48": 0}, "q49", "q52")
    hidden(q, {"q48": 0}, "q50", "q51")
    hidden(q, {}, "q50", "q51")


def test_r19_q49_routes_nowhere(q: forms.Questionnaire) -> None:
    assert keys(q, {"q48": 2, "q49": 0}) == keys(q, {"q48": 2, "q49": 7})


R20 = [
    ("q6", 5, "q6_andet"), ("q10", [5], "q10_andet"), ("q13", 14, "q13_andet"), ("q14", 4, "q14_andet"),
    ("q18", 1, "q18_beskriv"), ("q19", [5], "q19_andet"), ("q27", [6], "q27_andet"), ("q31", [10], "q31_andet"),
    ("q41", 7, "q41_hvorfor"), ("q41", 8, "q41_andet"), ("q43", [5], "q43_andet"), ("q44", [7], "q44_andet"),
    ("q45", [9], "q45_andet"), ("q46", [6], "q46_andet"),
]  # fmt: skip
# What else must be answered for the question owning the follow-up to be shown at all.
CONTEXT = {"q13": {"q12": 1}, "q14": {"q12": 2}, "q43": {"q41": 4, "q42": [1, 2, 3, 4]}}
CONTEXT |= {"q44": CONTEXT["q43"], "q45": CONTEXT["q43"], "q46": CONTEXT["q43"]}


@pytest.mark.parametrize(("question", "value", "follow_up"), R20, ids=[f for _, _, f in R20])
def test_r20_follow_up_text_only_with_its_option(
    q: forms.Questionnaire, question: str, value: int | list[int], follow_up: str
) -> None:
    context = CONTEXT.get(question, {})
    shown(q, {**context, question: value}, follow_up)
    other = [1] if isinstance(value, list) else (1 if value != 1 else 2)
    hidden(q, {**context, question: other}, follow_up)
    hidden(q, context, follow_up)


# -- Sections due ----------------------------------------------------------------------------


def test_only_the_due_sections_apply(q: forms.Questionnaire) -> None:
    monthly = keys(q, {}, sections=["del3", "del4"])
    assert monthly[0] == "q26_tid" and monthly[-1] == "q32"
    assert not any(k in monthly for k in ("q3", "q20_1", "q33", "q37_1", "q40"))


# -- End to end through normalise ------------------------------------------------------------


CLOSING_SUBMISSION = {
    # Del 3 / Del 4
    "q26_tid_timer": ["2"], "q26_tid_minutter": ["15"], "q26_tlf": ["3"], "q26_moeder": ["1"],
    "q26_forgaeves": ["0"], "q27": ["1", "6"], "q27_andet": ["Via naboen"], "q28": ["8"], "q29": ["5"],
    "q30_tid_timer": ["1"], "q30_tid_minutter": ["0"], "q30_antal": ["2"], "q31": ["0"],
    "q32": ["0"], "q32a": ["1"], "q32b": ["3"], "q32c": ["4"],  # hidden by R11
    # Del 7
    "q40": ["30-04-2024"], "q41": ["2"],
    "q42": ["1", "2"], "q43": ["1"], "q44": ["7"], "q44_andet": ["tandlæge"],  # hidden by R15
    "q41_hvorfor": ["ferie"],  # hidden: Q41 is not 7
    "q47": ["12"], "q48": ["0"], "q49": ["4"], "q50": ["4"], "q51": ["0"],  # Q50/Q51 hidden by R18
    "q52": [""],
}  # fmt: skip


def test_normalise_drops_answers_to_hidden_questions(q: forms.Questionnaire) -> None:
    result = normalise(q, CLOSING_SUBMISSION, sections=["del3", "del4", "del7"], today=TODAY)
    assert result.errors == {}
    assert result.answers == {
        "q26_tid": 135, "q26_tlf": 3, "q26_moeder": 1, "q26_forgaeves": 0, "q27": [1, 6],
        "q27_andet": "Via naboen", "q28": 8, "q29": 5, "q30_tid": 60, "q30_antal": 2, "q31": [0],
        "q32": 0, "q40": "2024-04-30", "q41": 2, "q47": 12, "q48": 0, "q49": 4,
    }  # fmt: skip


def test_normalise_keeps_the_branch_that_applies(q: forms.Questionnaire) -> None:
    data = {**CLOSING_SUBMISSION, "q32": ["1"], "q41": ["4"], "q48": ["3"], "q49": ["4"], "q50": ["3"], "q51": ["1"]}
    answers = normalise(q, data, sections=["del3", "del4", "del7"], today=TODAY).answers
    assert (answers["q32a"], answers["q32b"], answers["q32c"]) == (1, 3, 4)
    assert (answers["q42"], answers["q43"], answers["q44"], answers["q44_andet"]) == ([1, 2], [1], [7], "tandlæge")
    assert (answers["q50"], answers["q51"]) == (3, 1)
    assert "q41_hvorfor" not in answers and "q45" not in answers


def test_normalise_intake_routing_and_required(q: forms.Questionnaire) -> None:
    data = {
        "q3": ["1"], "q4": ["2"], "q5": ["1"], "q6": ["3"], "q7": ["1"], "q8": ["1"], "q9": ["2"],
        "q11": ["2"], "q12": ["2"], "q13": ["7"], "q14": ["1"], "q15": ["2"], "q15_dato": ["01-05-2024"],
        "q16": ["2"], "q16_dato": ["02-05-2024"], "q17": ["3"], "q18": ["1"], "q18_beskriv": ["metadon"],
        "q19": ["4"],
    }  # fmt: skip
    result = normalise(q, data, sections=["del1"], today=TODAY)
    for dropped in ("q7", "q13", "q15", "q15_dato", "q18", "q18_beskriv"):
        assert dropped not in result.answers, dropped
    assert result.answers["q16_dato"] == "2024-05-02"
    assert list(result.errors) == ["q19_pf"], "Q19 = 4 makes Q19_PF required; Q10 is optional"


def test_normalise_q38_2_hidden_is_not_required(q: forms.Questionnaire) -> None:
    grid = {f"q38_{i}": ["2"] for i in range(1, 7)}
    result = normalise(q, {**grid, "q38_1": ["0"]}, sections=["del6"], today=TODAY, mode="draft")
    assert "q38_2" not in result.answers and result.answers["q38_1"] == 0
    submitted = normalise(q, {**grid, "q38_1": ["77"], "q38_2": []}, sections=["del6"], today=TODAY)
    assert "q38_2" not in submitted.errors
    assert "q38_2" in normalise(q, {**grid, "q38_1": ["3"], "q38_2": []}, sections=["del6"], today=TODAY).errors
