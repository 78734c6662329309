"""The caseworker survey definition against questionnaire-spec.md §6.2 (adopted by D13)."""

from __future__ import annotations

import pytest

import forms
from forms import DEFINITIONS_DIR, applicable_keys, load_definition, normalise

B_ITEMS = ["b1", "b2", "b3", "b4", "b5", "b6"]
F_ITEMS = ["f1", "f2", "f3", "f4"]
SCALE_A = [(5, "Meget godt"), (4, "Godt"), (3, "Hverken godt eller dårligt"), (2, "Dårligt"), (1, "Meget dårligt"),
           (77, "Ved ikke")]  # fmt: skip
SCALE_B = [(5, "I meget høj grad"), (4, "I høj grad"), (3, "I nogen grad"), (2, "I mindre grad"), (1, "Slet ikke"),
           (77, "Ved ikke")]  # fmt: skip
SCALE_OF = {
    "b1": "A",
    "b2": "A",
    "b3": "A",
    "b4": "A",
    "b5": "B",
    "b6": "A",
    "f1": "B",
    "f2": "B",
    "f3": "B",
    "f4": "B",
}


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(DEFINITIONS_DIR / "caseworker.toml")


def wave_keys(q: forms.Questionnaire, wave: str) -> list[str]:
    return applicable_keys(q, {}, sections=q.section_keys(wave))


def test_key_version_and_intro(q: forms.Questionnaire) -> None:
    assert (q.key, q.version) == ("caseworker", 1)
    assert q.instruction.startswith(
        "Spørgeskemaet handler om koordineringen af sagsforløb for borgere med sindslidelse"
    )
    assert q.instruction.endswith("Svar ud fra dine egne erfaringer som sagsbehandler.")
    assert forms.get_definition("caseworker", 1).key == "caseworker"


def test_every_section_has_waves_and_no_timing(q: forms.Questionnaire) -> None:
    for section in q.sections:
        assert section.timing is None
        assert section.waves and set(section.waves) <= {"baseline", "followup"}


def test_baseline_asks_b1_b6_and_the_comment(q: forms.Questionnaire) -> None:
    assert wave_keys(q, "baseline") == [*B_ITEMS, "kommentar"]


def test_followup_asks_b1_b6_f1_f4_and_the_comment(q: forms.Questionnaire) -> None:
    assert wave_keys(q, "followup") == [*B_ITEMS, *F_ITEMS, "kommentar"]


def test_f_items_only_at_followup(q: forms.Questionnaire) -> None:
    for key in F_ITEMS:
        assert q.section_of(key).waves == ("followup",)
    for key in [*B_ITEMS, "kommentar"]:
        assert set(q.section_of(key).waves) == {"baseline", "followup"}


@pytest.mark.parametrize("key", B_ITEMS + F_ITEMS)
def test_items_use_scale_a_or_b(q: forms.Questionnaire, key: str) -> None:
    question = q.question(key)
    assert question.type == "single" and question.required
    expected = SCALE_A if SCALE_OF[key] == "A" else SCALE_B
    assert [(c.code, c.label) for c in question.choices] == expected
    assert [c.code for c in question.choices if c.missing_kind] == [77]
    assert question.choice(77).missing_kind == "ved_ikke"


def test_scales_are_named_choice_lists(q: forms.Questionnaire) -> None:
    lists = {name: [(c.code, c.label) for c in choices] for name, choices in q.choice_lists.items()}
    assert sorted(lists.values()) == sorted([SCALE_A, SCALE_B])


def test_item_wording_spot_checks(q: forms.Questionnaire) -> None:
    assert q.question("b2").label == "Hvordan vurderer du koordineringen internt i din egen forvaltning i disse sager?"
    assert q.question("b2").label_seed == (
        "Hvordan vurderer du koordineringen internt i Socialforvaltningen (SOF) i disse sager?"
    )


def test_screen_texts_name_no_municipalitys_administration(q: forms.Questionnaire) -> None:
    """Every municipality answers the survey: Copenhagen's "Socialforvaltningen (SOF)" stays seed text."""
    screen = [q.title, q.instruction or ""] + [question.label for question in q.questions()]
    assert not [text for text in screen if "SOF" in text or "forvaltningen (" in text.lower()
                or "Socialforvaltningen" in text]
    assert q.question("f4").label == (
        "I hvilken grad har redskaberne (udrettedagsorden og netværkskort) forbedret din koordinering af sagsforløb?"
    )


def test_comment_is_optional_text(q: forms.Questionnaire) -> None:
    comment = q.question("kommentar")
    assert (comment.type, comment.required) == ("text", False)
    assert comment.label == "Har du kommentarer til koordineringen af sagsforløb?"


def test_baseline_submission_drops_followup_items(q: forms.Questionnaire) -> None:
    data = {key: ["4"] for key in B_ITEMS + F_ITEMS}
    result = normalise(q, data, sections=q.section_keys("baseline"))
    assert result.errors == {}
    assert result.answers == {key: 4 for key in B_ITEMS}
    followup = normalise(q, {**data, "b3": ["77"]}, sections=q.section_keys("followup"))
    assert followup.errors == {}
    assert followup.answers == {key: 4 for key in B_ITEMS + F_ITEMS} | {"b3": 77}


def test_scales_run_lowest_to_highest_on_screen_d16() -> None:
    q = forms.get_definition("caseworker")
    for question in q.questions():
        if question.choices:
            codes = [c.code for c in question.screen_choices]
            assert codes == [1, 2, 3, 4, 5, 77], question.key
            assert [c.code for c in question.choices][0] == 5  # listed (codebook) order unchanged
