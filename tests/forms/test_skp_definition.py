"""The SKP monthly report definition against an independent transcription of the spec.

The tables below were typed from questionnaire-spec.md §1 (yaml blocks) and §1.11 (compact
index), §3 (E07-E09, E19, E20, E23, E31) and decisions.md §2 (D12, D14) — not generated from
forms/definitions/skp_monthly.toml — so a slip in either shows up as a difference here.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

import forms
from forms import DEFINITIONS_DIR, load_definition

PATH = DEFINITIONS_DIR / "skp_monthly.toml"

ALL = "all"

# key -> (type, codes in printed order). Grid: codes of the shared scale. Group: no codes.
QUESTIONS: dict[str, tuple[str, list[int]]] = {
    # Del 1 (intake). Q1, Q2 and the Kommunal myndighed block are system-supplied (E04-E06).
    "q3": ("single", [1, 2, 3]),
    "q4": ("single", [1, 2, 3, 4, 5, 6, 7]),
    "q5": ("single", [1, 2, 3, 4, 5, 6]),
    "q6": ("single", [1, 2, 3, 4, 5, 6]),
    "q7": ("multi", [1, 2, 3, 4, 5, 6, 7, 8]),
    "q8": ("single", [1, 2, 3, 4]),
    "q9": ("single", [1, 2, 3, 4]),
    "q10": ("multi", [1, 2, 3, 4, 5]),
    "q11": ("single", [1, 2, 3]),
    "q12": ("single", [1, 2, 3]),
    "q13": ("single", list(range(1, 16))),
    "q14": ("single", [1, 2, 3, 4]),
    "q15": ("date_or_before", [1, 2]),
    "q16": ("date_or_before", [1, 2]),
    "q17": ("date_or_before", [1, 2, 3]),
    "q18": ("single", [1, 2, 3, 4]),
    "q19": ("multi", [1, 2, 3, 4, 5, 77, 0]),
    "q19_pf": ("multi", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0]),  # E20: codes not printed
    # Del 2 (periodic)
    "q20": ("grid", [0, 1, 2, 3, 77]),
    "q21": ("multi", [1, 2, 3, 4, 5, 6, 7, 0, 77]),  # 0 added (E23/D12)
    "q22": ("single", [2, 1, 0, 77]),
    "q23": ("single", [4, 3, 2, 1, 0, 77]),
    "q24": ("single", [4, 3, 2, 1, 0, 77]),
    "q25": ("single", [4, 3, 2, 1, 0, 77]),
    # Del 3 (monthly)
    "q26": ("group", []),
    "q27": ("multi", [1, 2, 3, 4, 5, 6]),
    "q28": ("single", [1, 2, 3, 4, 5, 6, 7, 8, 9]),
    "q29": ("single", [1, 2, 3, 4, 5]),
    # Del 4 (monthly)
    "q30": ("group", []),
    "q31": ("multi", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0]),
    "q32": ("single", [1, 2, 0, 77]),
    "q32a": ("single", [1, 2]),
    "q32b": ("single", [1, 2, 3]),
    "q32c": ("single", [1, 2, 4, 3, 77]),  # printed 1, 2, 2, 3, 77; second (2) -> 4 (E31/D14)
    # Del 5 (periodic, D4)
    "q33": ("single", [3, 2, 1, 0, 77]),
    "q34": ("grid", [0, 1, 2, 3, 77]),
    "q35": ("single", [3, 2, 1, 0, 77]),
    "q36": ("single", [3, 2, 1, 0, 77]),
    # Del 6 (periodic)
    "q37": ("grid", [0, 1, 2, 3, 77]),
    "q38": ("grid", [3, 2, 1, 0, 77]),  # printed column order reversed (E34)
    "q39": ("text", []),
    # Del 7 (closing)
    "q40": ("date", []),
    "q41": ("single", [1, 2, 3, 4, 5, 6, 7, 8]),
    "q42": ("multi", [1, 2, 3, 4]),
    "q43": ("multi", [1, 2, 4, 5]),  # code 3 not printed (E40)
    "q44": ("multi", [1, 2, 3, 4, 5, 6, 7]),
    "q45": ("multi", [1, 2, 3, 4, 5, 6, 7, 8, 9]),
    "q46": ("multi", [1, 2, 3, 4, 5, 6]),
    "q47": ("integer", []),
    "q48": ("integer", []),
    "q49": ("integer", []),
    "q50": ("integer", []),
    "q51": ("integer", []),
    "q52": ("text", []),
}

SECTIONS: dict[str, tuple[str, list[str]]] = {
    "del1": ("intake", [f"q{n}" for n in range(3, 20)] + ["q19_pf"]),
    "del2": ("periodic", ["q20", "q21", "q22", "q23", "q24", "q25"]),
    "del3": ("monthly", ["q26", "q27", "q28", "q29"]),
    "del4": ("monthly", ["q30", "q31", "q32", "q32a", "q32b", "q32c"]),
    "del5": ("periodic", ["q33", "q34", "q35", "q36"]),
    "del6": ("periodic", ["q37", "q38", "q39"]),
    "del7": ("closing", [f"q{n}" for n in range(40, 53)]),
}

GRID_ITEMS = {
    "q20": [f"q20_{i}" for i in range(1, 7)],
    "q34": [f"q34_{i}" for i in range(1, 5)],
    "q37": [f"q37_{i}" for i in range(1, 8)],
    "q38": [f"q38_{i}" for i in range(1, 7)],
}

GROUP_FIELDS = {
    "q26": [
        ("q26_tid", "duration_hm"),
        ("q26_tlf", "integer"),
        ("q26_moeder", "integer"),
        ("q26_forgaeves", "integer"),
    ],
    "q30": [("q30_tid", "duration_hm"), ("q30_antal", "integer")],
}

# (question, code) -> missing kind. E07: every "Uoplyst"; E09: every "Ved ikke" and Q19's 77.
MISSING = {
    ("q3", 3): "uoplyst", ("q4", 7): "uoplyst", ("q5", 6): "uoplyst", ("q6", 6): "uoplyst",
    ("q7", 8): "uoplyst", ("q8", 4): "uoplyst", ("q13", 15): "uoplyst",
    ("q11", 3): "ved_ikke", ("q12", 3): "ved_ikke", ("q18", 4): "ved_ikke",
    ("q19", 77): "ikke_kendt",
    ("q20", 77): "ved_ikke", ("q21", 77): "ved_ikke", ("q22", 77): "ved_ikke", ("q23", 77): "ved_ikke",
    ("q24", 77): "ved_ikke", ("q25", 77): "ved_ikke", ("q32", 77): "ved_ikke", ("q32c", 77): "ved_ikke",
    ("q33", 77): "ved_ikke", ("q34", 77): "ved_ikke", ("q35", 77): "ved_ikke", ("q36", 77): "ved_ikke",
    ("q37", 77): "ved_ikke", ("q38", 77): "ved_ikke",
}  # fmt: skip

# E08 (Q7), E19 (Q19), E20 (Q19_PF), E23 (Q21), spec §1.6 (Q31). No other option is exclusive.
EXCLUSIVE = {"q7": {1, 8}, "q19": {0, 77}, "q19_pf": {0}, "q21": {0, 77}, "q31": {0}}

# Codes not printed in the seed: Q21 0 (E23/D12), Q32c 4 (E31/D14), every Q19_PF code (E20).
ADDED = {("q21", 0): "E23", ("q32c", 4): "E31"} | {("q19_pf", c): "E20" for c in [*range(1, 11), 0]}

# R20: "beskriv"/"Andet" options open a free-text follow-up (plus Q19 (5), R9).
OTHER_TEXT = {
    ("q6", 5): "q6_andet", ("q10", 5): "q10_andet", ("q13", 14): "q13_andet", ("q14", 4): "q14_andet",
    ("q18", 1): "q18_beskriv", ("q19", 5): "q19_andet", ("q27", 6): "q27_andet", ("q31", 10): "q31_andet",
    ("q41", 7): "q41_hvorfor", ("q41", 8): "q41_andet", ("q43", 5): "q43_andet", ("q44", 7): "q44_andet",
    ("q45", 9): "q45_andet", ("q46", 6): "q46_andet",
}  # fmt: skip

# Blank is legitimate only here (free-text comments; Q10 "eventuelle", zero ticks allowed).
OPTIONAL = {"q10", "q27", "q39", "q52"}  # q27: D18, no tick = no contact attempts

SCALES = {
    "tillid": GRID_ITEMS["q34"],
    "vaergemaal": GRID_ITEMS["q38"],
    "psykisk_tilstand": GRID_ITEMS["q20"],
    "livskvalitet": GRID_ITEMS["q37"],
}


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(PATH)


def coded(q: forms.Questionnaire) -> list[forms.Question]:
    return [question for question in q.questions() if question.choices]


def with_fields(q: forms.Questionnaire) -> list[forms.Question]:
    """The questions as listed, followed by the fields of the groups."""
    return [*q.questions(), *(sub for group in q.questions() for sub in group.fields)]


def test_key_and_version(q: forms.Questionnaire) -> None:
    assert (q.key, q.version) == ("skp_monthly", 1)
    assert q.title == "Isbryderprojekt: Dokumentation og effektmåling"
    assert forms.get_definition("skp_monthly", 1).key == "skp_monthly"


def test_sections_timing_and_membership(q: forms.Questionnaire) -> None:
    assert [s.key for s in q.sections] == list(SECTIONS)
    for section in q.sections:
        timing, keys = SECTIONS[section.key]
        assert section.timing == timing, section.key
        assert [question.key for question in section.questions] == keys, section.key


def test_section_timing_matches_the_schedule(q: forms.Questionnaire) -> None:
    from reporting.core.schedule import SECTION_TIMING

    assert {s.key: s.timing for s in q.sections} == SECTION_TIMING


def test_every_question_has_the_right_type_and_exactly_the_printed_codes(q: forms.Questionnaire) -> None:
    got = {question.key: (question.type, list(question.codes)) for question in q.questions()}
    assert got == QUESTIONS


def test_system_items_are_not_form_questions(q: forms.Questionnaire) -> None:
    keys = set(q.answer_keys())
    for absent in ("dato", "q1", "q2", "q2_nr", "km", "km_myndighed", "km_navn", "km_tlf", "km_email"):
        assert absent not in keys


def test_grid_items_and_group_fields(q: forms.Questionnaire) -> None:
    for key, items in GRID_ITEMS.items():
        assert [item.key for item in q.question(key).items] == items
    for key, fields in GROUP_FIELDS.items():
        assert [(f.key, f.type) for f in q.question(key).fields] == fields
        assert all(f.min == 0 for f in q.question(key).fields)


def test_every_answer_key(q: forms.Questionnaire) -> None:
    expected: list[str] = []
    for key in QUESTIONS:
        if key in GRID_ITEMS:
            expected += GRID_ITEMS[key]
        elif key in GROUP_FIELDS:
            expected += [f for f, _ in GROUP_FIELDS[key]]
        else:
            expected.append(key)
            expected += [text for (owner, _), text in OTHER_TEXT.items() if owner == key]
            if QUESTIONS[key][0] == "date_or_before":
                expected.append(f"{key}_dato")
    assert q.answer_keys() == expected


def test_d12_and_d14_codes(q: forms.Questionnaire) -> None:
    q21_none = q.question("q21").choice(0)
    assert q21_none is not None
    assert (q21_none.label, q21_none.exclusive, q21_none.added) == ("Ingen af ovenstående", True, "E23")
    q32c = q.question("q32c")
    assert q32c.choice(4).label_seed == "Nej, brugeren blev udskrevet uden at der er udarbejdet en aftale."
    assert (q32c.choice(4).added, q32c.choice(4).printed) == ("E31", True)  # printed text, new code (D14)
    assert q32c.choice(2).label == "Ja, der er udarbejdet en koordinationsplan."
    assert q32c.choice(3).label_seed == "Nej, brugeren er stadigvæk indlagt."


def test_missing_kinds_e07_e09(q: forms.Questionnaire) -> None:
    got = {(question.key, c.code): c.missing_kind for question in coded(q) for c in question.choices if c.missing_kind}
    assert got == MISSING
    for (key, code), _kind in MISSING.items():
        label = q.question(key).choice(code).label
        assert label.rstrip(".") in ("Uoplyst", "Ved ikke", "Diagnoseforhold ikke kendt af SKP"), (key, label)


def test_every_ved_ikke_and_uoplyst_option_is_a_missing_value(q: forms.Questionnaire) -> None:
    for question in coded(q):
        for choice in question.choices:
            if choice.label.rstrip(".") in ("Ved ikke", "Uoplyst") or "ikke kendt" in choice.label:
                assert choice.missing_kind is not None, (question.key, choice.code)


def test_exclusive_options_e08_e19_e20_e23(q: forms.Questionnaire) -> None:
    got = {
        question.key: {c.code for c in question.choices if c.exclusive}
        for question in coded(q)
        if any(c.exclusive for c in question.choices)
    }
    assert got == EXCLUSIVE


def test_added_codes_are_marked(q: forms.Questionnaire) -> None:
    got = {(question.key, c.code): c.added for question in coded(q) for c in question.choices if c.added}
    assert got == ADDED


def test_follow_up_texts_r20(q: forms.Questionnaire) -> None:
    got = {(question.key, c.code): c.other_text for question in coded(q) for c in question.choices if c.other_text}
    assert got == OTHER_TEXT
    for key in OTHER_TEXT.values():
        slot = q.slot(key)
        assert (slot.kind, slot.required) == ("text", False)


def test_date_options(q: forms.Questionnaire) -> None:
    for key in ("q15", "q16", "q17"):
        question = q.question(key)
        assert question.date_codes == (2,)
        assert question.choice(1).label == "Før 1.6.2007"  # D17: a check box under the date
        assert (question.earliest, question.latest) == (date(2007, 6, 1), "report_month")
    assert q.question("q15").choice(1).label_seed == "Før 1.6. 2007"
    assert [c.code for c in q.question("q17").entry_choices] == [1, 3]


def test_required_unless_blank_is_legitimate(q: forms.Questionnaire) -> None:
    optional = {question.key for question in q.questions() if not question.required}
    assert optional == OPTIONAL
    for key in ("q26", "q30"):
        assert all(f.required for f in q.question(key).fields)


def test_scales(q: forms.Questionnaire) -> None:
    got = {s.key: list(s.items) for s in q.scales}
    assert got == SCALES
    for scale in q.scales:
        assert (scale.reverse, scale.scoring, scale.min_fraction, scale.missing_codes) == (
            (), "prorated_sum", 0.5, (77,),
        )  # fmt: skip


def test_grids_share_named_choice_lists(q: forms.Questionnaire) -> None:
    lists = {
        key: q.question(key).choice_list for key in ("q20", "q34", "q37", "q38", "q33", "q35", "q36", "q24", "q25")
    }
    assert lists["q20"] == lists["q34"] == lists["q37"] is not None
    assert lists["q33"] == lists["q35"] == lists["q36"] is not None
    assert lists["q24"] == lists["q25"] is not None
    assert lists["q38"] not in (None, lists["q20"]), "Q38 keeps its reversed printed order (E34)"
    grid_labels = [c.label for c in q.question("q20").choices]
    assert grid_labels == ["Slet ikke", "I ringe grad", "I nogen grad", "I høj grad", "Ved ikke"]
    assert [c.label for c in q.question("q33").choices][2] == "I mindre grad"  # E21


def test_every_question_cites_the_seed(q: forms.Questionnaire) -> None:
    pattern = re.compile(r"S002:\d{4}(-\d{4})?")
    for question in with_fields(q):
        assert question.source and pattern.fullmatch(question.source), question.key
        first = int(question.source[5:9])
        assert 3685 <= first <= 4328, question.key


def _displayed_texts(q: forms.Questionnaire) -> list[tuple[str, str]]:
    texts = [(s.key, s.title) for s in q.sections]
    for question in with_fields(q):
        texts.append((question.key, question.label))
        texts += [(question.key, question.hint)] if question.hint else []
        texts += [(question.key, c.label) for c in question.choices]
        texts += [(item.key, item.label) for item in question.items]
    return texts


def test_no_printed_jump_instruction_is_displayed(q: forms.Questionnaire) -> None:
    for key, text in _displayed_texts(q):
        lowered = text.lower()
        for instruction in ("gå til sp", "go til sp", "næste side", "(hvis afkrydset)", "hvis ikke ”slet ikke"):
            assert instruction not in lowered, (key, text)


def test_typographic_normalisations(q: forms.Questionnaire) -> None:
    for key, text in _displayed_texts(q):
        assert "\u00a0" not in text and "\u2010" not in text and "\u2019" not in text, key
        assert "  " not in text and text == text.strip(), key


def test_pure_typos_fixed_in_display_only(q: forms.Questionnaire) -> None:
    q9 = q.question("q9")
    assert q9.label.startswith("Hvilket hovedkarakteristikum har den")
    assert q9.label_seed.startswith("Hvilket hovedkarakteristikum ar den")  # E10
    assert q.question("q12").choice(3).label == "Ved ikke"  # E11
    assert q.question("q17").choice(1).label_seed == "Før 1.6. 207"  # E17, shown "Før 1.6.2007"
    assert q.question("q17").label_seed.endswith("(der er tale om den dato, hvor SKP'en får sagen overdraget)")  # E16
    assert q.question("q25").choice(4).label == "Dagligt eller næsten dagligt"  # E25
    assert q.question("q28").choice(1).label.startswith("Ingen kontakt:")  # E29, printed "1: Ingen …"
    assert q.question("q48").label_seed.endswith("gå til spørgsmål 31.")  # E43
    assert q.question("q49").label == "Angiv antallet af forgæves fremmøder:"  # E44


def test_grammar_kept_as_printed_d7(q: forms.Questionnaire) -> None:
    q37 = {item.key: item.label for item in q.question("q37").items}
    assert q37["q37_5"] == "At han/hun fysiske rammer i boligen er i orden."  # E35
    assert q37["q37_6"] == "At han/hun er interesseret i at forbedre deres livssituation."
    q38 = {item.key: item for item in q.question("q38").items}
    assert q38["q38_2"].label == "Der et godt samarbejde mellem de pårørende og de professionelle."  # E36
    assert q38["q38_6"].label.endswith("sociale myndigheder?")
    assert q.question("q22").choice(2).label.startswith("Der er p.t. en umiddelbare fare")  # E24


def test_labels_verbatim_spot_checks(q: forms.Questionnaire) -> None:
    assert q.question("q6").choice(4).label == "Funktionelt hjemløs (har eget hjem men bor der ikke)"
    assert q.question("q13").choice(7).label == "Anden SKP"  # E12
    assert q.question("q19").choice(77).label == "Diagnoseforhold ikke kendt af SKP"
    assert q.question("q21").choice(7).label == "”liv i sengen”, fx rotter, maddiker el. andre dyr"
    assert q.question("q31").choice(0).label_seed == "Ingen/ intet"
    assert q.question("q34").items[1].label == "De kollegaer/ samarbejdspartnere, du anbefaler."  # E33
    assert q.question("q41").choice(4).label == "Forløbet er afsluttet, idet formålet med SKP-indsatsen er indfriet"
    assert q.question("q44").choice(6).label == "Brug af alkohol – og misbrugsbehandling"  # E41
    assert q.question("q26_tid").label_seed == "Hvor lang tid har du brugt med denne bruger i alt i denne måned (ca.)"


def test_notes_name_the_resolutions(q: forms.Questionnaire) -> None:
    expected = {
        "q7": "E08", "q9": "E10", "q12": "E11", "q13": "E12", "q17": "E17", "q18": "E09", "q19": "E19",
        "q19_pf": "E20", "q20": "E22", "q21": "E23", "q25": "E25", "q28": "E29", "q32": "E30",
        "q32c": "E31", "q37": "E35", "q38": "E36", "q41": "E38", "q42": "E39", "q43": "E40",
        "q48": "E43", "q49": "E44", "q50": "E43", "q51": "E43",
    }  # fmt: skip
    for key, resolution in expected.items():
        assert resolution in (q.question(key).note or ""), key
