"""Skip logic: the shared rule cases through both evaluators, and which answer keys apply."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import forms
from forms import applicable_keys, evaluate, load_definition, visible_answers

HERE = Path(__file__).parent
CASES_FILE = HERE / "rules_cases.json"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))
SKIPLOGIC = Path(forms.__file__).parent / forms.SKIPLOGIC_JS
RUNNER = HERE / "run_rules_cases.mjs"


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(HERE / "fixtures" / "good.toml")


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_shared_case_in_python(case: dict) -> None:
    assert evaluate(case["rule"], case["answers"]) is case["expected"]


def test_shared_cases_in_the_browser_evaluator() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node is not installed; the browser mirror of the rules cannot be checked")
        pytest.skip("node is not installed")
    completed = subprocess.run(
        [node, str(RUNNER), str(SKIPLOGIC), str(CASES_FILE)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    results = json.loads(completed.stdout)
    mismatches = [
        f"{case['why']}: expected {case['expected']}, skiplogic.js gave {result}"
        for case, result in zip(CASES, results, strict=True)
        if result is not case["expected"]
    ]
    assert not mismatches, "\n".join(mismatches)


def test_no_rule_always_holds() -> None:
    assert evaluate(None, {}) is True


def test_a_malformed_rule_is_a_bug_not_false() -> None:
    with pytest.raises(ValueError):
        evaluate({"q": "q1", "eq": 1, "ne": 2}, {"q1": 1})
    with pytest.raises(ValueError):
        evaluate({"eq": 1}, {})


def test_every_key_applies_when_nothing_is_answered_except_the_conditional_ones(
    q: forms.Questionnaire,
) -> None:
    assert applicable_keys(q, {}) == [
        "q1", "q2", "q3", "q6", "q7", "q8",
        "q10_tid", "q10_antal", "q11_1", "q11_3", "q12", "q14",
        "q20", "q21",
    ]  # fmt: skip


def test_not_on_an_unanswered_question_shows(q: forms.Questionnaire) -> None:
    assert "q2" in applicable_keys(q, {})
    assert "q2" not in applicable_keys(q, {"q1": 2})
    assert "q2" in applicable_keys(q, {"q1": 1})


def test_a_hidden_question_counts_as_unanswered_down_the_chain(q: forms.Questionnaire) -> None:
    chain = {"q3": 1, "q4": 2, "q5": 1}
    assert {"q4", "q5"} <= set(applicable_keys(q, chain))
    # q3 = 2 hides q4; q4's stale answer must not keep q5 visible.
    keys = applicable_keys(q, {**chain, "q3": 2})
    assert "q4" not in keys
    assert "q5" not in keys


def test_follow_ups_apply_only_with_their_option(q: forms.Questionnaire) -> None:
    assert "q1_andet" not in applicable_keys(q, {"q1": 1})
    assert "q1_andet" in applicable_keys(q, {"q1": 3})
    assert "q2_andet" in applicable_keys(q, {"q1": 1, "q2": [2, 3]})
    assert "q2_andet" not in applicable_keys(q, {"q1": 2, "q2": [2, 3]}), "q2 is hidden, so is its follow-up"


def test_the_date_applies_only_with_a_date_option(q: forms.Questionnaire) -> None:
    assert "q6_dato" in applicable_keys(q, {"q6": 2})
    assert "q6_dato" not in applicable_keys(q, {"q6": 1})
    assert "q6_dato" not in applicable_keys(q, {})


def test_grid_items_carry_their_own_rules(q: forms.Questionnaire) -> None:
    assert "q11_2" in applicable_keys(q, {"q11_1": 2})
    assert "q11_2" not in applicable_keys(q, {"q11_1": 0})
    assert "q11_2" not in applicable_keys(q, {"q11_1": 77})


def test_nested_rules_across_sections(q: forms.Questionnaire) -> None:
    assert "q22" in applicable_keys(q, {"q21": [1], "q12": 2})
    assert "q22" in applicable_keys(q, {"q21": [1], "q3": 1})
    assert "q22" not in applicable_keys(q, {"q21": [1], "q3": 2, "q12": 1})
    assert "q22" not in applicable_keys(q, {"q21": [2], "q12": 5})


def test_only_due_sections_apply(q: forms.Questionnaire) -> None:
    assert applicable_keys(q, {}, sections=["del2"]) == [
        "q10_tid",
        "q10_antal",
        "q11_1",
        "q11_3",
        "q12",
        "q14",
    ]
    assert applicable_keys(q, {}, sections=[]) == []


def test_a_question_of_a_section_not_due_counts_as_unanswered(q: forms.Questionnaire) -> None:
    # q22 depends on q3 (del1); when del1 is not due, q3 is not part of this report.
    answers = {"q21": [1], "q3": 1, "q12": 0}
    assert "q22" in applicable_keys(q, answers)
    assert "q22" not in applicable_keys(q, answers, sections=["del2", "del3"])


def test_extra_questions_are_asked_outside_their_section_with_their_rules(q: forms.Questionnaire) -> None:
    keys = applicable_keys(q, {"q6": 2}, sections=["del2"], extra=["q6", "q7"])
    assert keys[:3] == ["q6", "q6_dato", "q7"]
    assert "q1" not in keys
    assert applicable_keys(q, {"q6": 3}, sections=["del2"], extra=["q6", "q7"])[:1] == ["q6"]
    assert "q7" not in applicable_keys(q, {"q6": 3}, sections=["del2"], extra=["q6", "q7"])


def test_visible_answers_drop_the_hidden_ones(q: forms.Questionnaire) -> None:
    answers = {"q1": 2, "q2": [1], "q3": 2, "q4": 1, "q12": 0, "q13": 4, "unknown": 1}
    assert visible_answers(q, answers) == {"q1": 2, "q3": 2, "q12": 0}


def test_a_remembered_pattern_keeps_strict_equality(q: forms.Questionnaire) -> None:
    assert "q4" in applicable_keys(q, {"q3": 1})
    # Same pattern as far as Python's == goes (1 == True == 1.0), but not for the rules.
    for lookalike in (True, 1.0, "1", [1]):
        assert "q4" not in applicable_keys(q, {"q3": lookalike}), lookalike
    assert "q4" in applicable_keys(q, {"q3": 1})


def test_answers_no_rule_reads_share_a_pattern_and_still_come_out_right(q: forms.Questionnaire) -> None:
    first = applicable_keys(q, {"q3": 1, "q7": 1})
    first.append("mutated by the caller")
    assert applicable_keys(q, {"q3": 1, "q7": 2}) == applicable_keys(q, {"q3": 1})
    assert "mutated by the caller" not in applicable_keys(q, {"q3": 1, "q7": 1})


def test_the_memo_of_the_monthly_report_agrees_with_a_fresh_evaluation_on_random_reports() -> None:
    import random

    from forms.rules import ApplicabilityMemo, applicable_set, rule_keys
    from forms.sample import sample_answers

    skp = forms.get_definition("skp_monthly")
    sections = [s.key for s in skp.sections]
    rng = random.Random(8)
    for _ in range(300):
        due = rng.sample(sections, rng.randint(1, len(sections)))
        extra = ["q17", "q18"] if rng.random() < 0.3 else []
        answers = sample_answers(skp, due, extra, rng=rng)
        if rng.random() < 0.3:  # a stored value of the wrong type on a key a rule reads
            key = rng.choice(rule_keys(skp))
            answers[key] = rng.choice([True, 1.0, "1", None, [], 0])
        fresh = ApplicabilityMemo(skp).keys(answers, due, extra)[0]
        assert applicable_keys(skp, answers, due, extra) == list(fresh)
        assert applicable_set(skp, answers, due, extra) == set(fresh)


def test_the_memo_stays_bounded(q: forms.Questionnaire) -> None:
    from forms.rules import ApplicabilityMemo

    memo = ApplicabilityMemo(q, max_entries=8)
    for count in range(50):
        assert ("q13" in memo.keys({"q12": count})[1]) == (count > 0)
        assert len(memo._known) <= 8
