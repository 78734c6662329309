"""Loading definitions: the good fixture loads, every broken fixture is refused with a located code."""

from __future__ import annotations

from pathlib import Path

import pytest

import forms
from forms import DefinitionError, load_definition, load_shipped, parse_definition

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "broken"
GOOD = FIXTURES / "good.toml"


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(GOOD)


def problems_of(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    return [(p.code, p.location) for p in caught.value.problems]


def test_good_fixture_loads_with_its_header(q: forms.Questionnaire) -> None:
    assert (q.key, q.version, q.title) == ("fixture", 2, "Testskema")
    assert q.instruction == "Udfyld skemaet for sidste måned."
    assert [s.key for s in q.sections] == ["del1", "del2", "del3"]
    assert [s.timing for s in q.sections] == ["intake", "monthly", "closing"]


def test_answer_keys_cover_follow_ups_items_fields_and_dates_in_document_order(
    q: forms.Questionnaire,
) -> None:
    assert q.answer_keys() == [
        "q1", "q1_andet", "q2", "q2_andet", "q3", "q4", "q5", "q6", "q6_dato", "q7", "q8",
        "q10_tid", "q10_antal", "q11_1", "q11_2", "q11_3", "q12", "q13", "q14",
        "q20", "q21", "q22",
    ]  # fmt: skip


def test_lookups_find_questions_fields_sections_and_slots(q: forms.Questionnaire) -> None:
    assert q.question("q10_antal").max == 500
    assert q.section_of("q10_antal").key == "del2"
    assert q.section("del3").title == "Del 3: Udskrivning"
    assert q.slot("q11_2").item.label == "Samarbejder godt med de pårørende"
    assert q.slot("q1_andet").role == "other_text"
    assert q.slot("q6_dato").kind == "date"
    assert [s.key for s in q.scales_of("q11_1")] == ["trivsel"]
    with pytest.raises(KeyError):
        q.question("q99")


def test_named_choice_lists_are_resolved_with_missing_kinds(q: forms.Questionnaire) -> None:
    q3 = q.question("q3")
    assert q3.choice_list == "ja_nej"
    assert q3.codes == (1, 2, 77)
    assert q3.choice(77).missing_kind == "ved_ikke"
    assert q3.choice(True) is None, "a bool is not a code"


def test_defaults_and_flags(q: forms.Questionnaire) -> None:
    assert q.question("q1").required is True
    assert q.question("q8").required is False
    q2 = q.question("q2")
    assert [c.code for c in q2.choices if c.exclusive] == [1, 8, 0]
    assert q2.choice(0).added == "E23"
    assert q.question("q6").date_codes == (2,)


def test_the_model_is_read_only(q: forms.Questionnaire) -> None:
    with pytest.raises(AttributeError):
        q.key = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        q.question("q4").show_if["eq"] = 2  # type: ignore[index]


def test_every_shipped_definition_loads() -> None:
    shipped = load_shipped()
    assert ("skp_monthly", 1) in shipped
    assert ("caseworker", 1) in shipped


def test_get_definition_picks_the_highest_version_unless_asked(tmp_path: Path) -> None:
    forms.clear_cache()
    assert forms.get_definition("skp_monthly").key == "skp_monthly"
    assert forms.get_definition("skp_monthly", 1) is forms.get_definition("skp_monthly")
    with pytest.raises(LookupError):
        forms.get_definition("skp_monthly", 999)
    with pytest.raises(LookupError):
        forms.get_definition("no_such_questionnaire")


def test_load_shipped_finds_files_in_subfolders_and_refuses_a_repeated_version(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "v1.toml").write_text(text.replace("version = 2", "version = 1"), encoding="utf-8")
    (tmp_path / "v2.toml").write_text(text, encoding="utf-8")
    assert sorted(load_shipped(tmp_path)) == [("fixture", 1), ("fixture", 2)]
    (tmp_path / "copy.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_shipped(tmp_path)
    assert caught.value.codes == ["DEF004"]


Q1 = "sections[0].questions[0] (q1)"
Q2 = "sections[0].questions[1] (q2)"


@pytest.mark.parametrize(
    ("fixture", "code", "location"),
    [
        ("def000_not_toml", "DEF000", "(file)"),
        ("def001_unknown_field", "DEF001", Q1),
        ("def001_field_of_other_type", "DEF001", Q2),
        ("def002_missing_label", "DEF002", f"{Q1}.choices[1]"),
        ("def002_missing_choices", "DEF002", Q1),
        ("def003_wrong_type", "DEF003", f"{Q1}.required"),
        ("def003_code_as_string", "DEF003", f"{Q1}.choices[0].code"),
        ("def004_duplicate_key", "DEF004", Q2),
        ("def004_duplicate_question", "DEF004", "sections[0].questions[2] (q2)"),
        ("def005_unknown_list", "DEF005", f"{Q1}.choices"),
        ("def006_unknown_type", "DEF006", f"{Q2}.type"),
        ("def007_unknown_timing", "DEF007", "sections[0].timing"),
        ("def007_unknown_missing_kind", "DEF007", f"{Q1}.choices[1].missing_kind"),
        ("def008_duplicate_code", "DEF008", f"{Q1}.choices[1]"),
        ("def009_invalid_key", "DEF009", "sections[0].questions[1].key"),
        ("def010_exclusive_on_single", "DEF010", f"{Q1}.choices[0]"),
        ("def011_unknown_scale_item", "DEF011", "scales[0] (s).items[1]"),
        ("rule001_unknown_key", "RULE001", f"{Q2}.show_if"),
        ("rule001_nested", "RULE001", f"{Q2}.show_if.all[1].not"),
        ("rule002_forward", "RULE002", f"{Q1}.show_if"),
        ("rule002_itself", "RULE002", f"{Q2}.show_if"),
        ("rule003_has_on_single", "RULE003", f"{Q2}.show_if"),
        ("rule003_gt_on_multi", "RULE003", "sections[0].questions[2] (q2).show_if"),
        ("rule004_unknown_code", "RULE004", f"{Q2}.show_if.in"),
        ("rule005_two_ops", "RULE005", f"{Q2}.show_if"),
        ("rule005_unknown_op", "RULE005", f"{Q2}.show_if"),
        ("rule005_string_operand", "RULE005", f"{Q2}.show_if.eq"),
        ("rule005_bool_operand", "RULE005", f"{Q2}.show_if.eq"),
        ("rule005_empty_any", "RULE005", f"{Q2}.show_if.any"),
    ],
)
def test_each_broken_fixture_is_refused_with_its_code_and_location(
    fixture: str, code: str, location: str
) -> None:
    assert problems_of(BROKEN / f"{fixture}.toml") == [(code, location)]


def test_every_problem_of_a_file_is_reported_not_just_the_first() -> None:
    assert sorted(problems_of(BROKEN / "many.toml")) == sorted([
        ("DEF007", "sections[0].timing"),
        ("DEF001", Q1),
        ("DEF008", f"{Q1}.choices[1]"),
        ("DEF006", f"{Q2}.type"),
        ("DEF005", "sections[0].questions[2] (q4).choices"),
        ("RULE002", "sections[0].questions[2] (q4).show_if"),
        ("RULE003", "sections[0].questions[3] (q5).show_if"),
    ])  # fmt: skip


def test_the_error_message_names_the_file_and_lists_every_problem() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(BROKEN / "rule004_unknown_code.toml")
    text = str(caught.value)
    assert "rule004_unknown_code.toml" in text
    assert "RULE004 sections[0].questions[1] (q2).show_if.in: 3 is not a code of q1 (codes: 1, 2)" in text


BASE = """
[questionnaire]
key = "t"
version = 1
title = "T"

[[sections]]
key = "del1"
title = "Del 1"
"""


def question(body: str) -> str:
    """A definition whose first question is q1 with ``body``."""
    return BASE + '\n[[sections.questions]]\nkey = "q1"\nlabel = "Q"\n' + body


def then(key: str, body: str) -> str:
    """A further question after q1."""
    return f'\n[[sections.questions]]\nkey = "{key}"\nlabel = "X"\n{body}'


GRID = 'type = "grid"\nchoices = [{ code = 1, label = "A" }]\n'
SHOW_IF_Q1_EQ_1 = 'type = "text"\nshow_if = { q = "q1", eq = 1 }'


@pytest.mark.parametrize(
    ("body", "code", "why"),
    [
        ('type = "multi"\nchoices = [{ code = 1, label = "A", other_text = "q1_1" }]', "DEF004",
         "other_text collides with the export column of code 1"),
        ('type = "duration_hm"' + then("q1_timer", 'type = "integer"'), "DEF004", "the hours field of q1"),
        (GRID + 'items = [{ key = "q1", label = "I" }]', "DEF004", "an item named like its grid"),
        ('type = "grid"\nchoices = [{ code = 1, label = "A", other_text = "q1_x" }]\n'
         'items = [{ key = "q1_1", label = "I" }]', "DEF010", "other_text in a grid"),
        ('type = "date_or_before"\nchoices = [{ code = 1, label = "Før" }]', "DEF010", "no date option"),
        ('type = "single"\nchoices = [{ code = 1, label = "A", date = true }]', "DEF010", "date outside"),
        ('type = "integer"\nmin = 10\nmax = 5', "DEF010", "min above max"),
        ('type = "single"\nchoices = []', "DEF010", "no choices"),
        ('type = "group"\n[[sections.questions.fields]]\nkey = "q1_a"\nlabel = "G"\n'
         + GRID + 'items = [{ key = "q1_a1", label = "I" }]', "DEF010", "a grid in a group"),
        ('type = "single"\nchoices = [{ code = -1, label = "A" }]', "DEF003", "negative code"),
        ('type = "single"\nrequired = 1\nchoices = [{ code = 1, label = "A" }]', "DEF003", "1 is not true"),
        ('type = "integer"\nkey2 = 1', "DEF001", "unknown field"),
        ('type = "text"' + then("csrf_token", 'type = "text"'), "DEF009", "reserved name"),
        ('type = "single"\nchoices = [{ code = 1, label = "A" }]\nshow_if = { q = "q1", eq = 1 }', "RULE002",
         "a question's rule on itself"),
        (GRID + 'items = [{ key = "q1_1", label = "I" }]' + then("q2", SHOW_IF_Q1_EQ_1), "RULE003",
         "a grid has no value of its own; name an item"),
        ('type = "text"' + then("q2", SHOW_IF_Q1_EQ_1), "RULE003", "only `answered` fits free text"),
        ('type = "integer"' + then("q2", 'type = "text"\nshow_if = { q = "q1", answered = 1 }'), "RULE005",
         "answered takes true or false"),
        ('type = "integer"' + then("q2", 'type="text"\nshow_if = { all = [{ q = "q1", gt = 1 }], q = "q1" }'),
         "RULE005", "all must stand alone"),
    ],
)  # fmt: skip
def test_inconsistent_definitions_are_refused(body: str, code: str, why: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(question(body))
    assert code in caught.value.codes, f"{why}: {caught.value}"


def test_a_section_rule_may_refer_to_an_earlier_section_only() -> None:
    ok = BASE + (
        '\n[[sections.questions]]\nkey = "q1"\ntype = "integer"\nlabel = "Q"\n'
        '\n[[sections]]\nkey = "del2"\ntitle = "Del 2"\nshow_if = { q = "q1", gt = 0 }\n'
        '\n[[sections.questions]]\nkey = "q2"\ntype = "integer"\nlabel = "Q2"\n'
    )
    assert parse_definition(ok).section("del2").show_if["gt"] == 0
    with pytest.raises(DefinitionError) as caught:
        parse_definition(ok.replace('q = "q1", gt', 'q = "q2", gt'))
    assert caught.value.codes == ["RULE002"]
