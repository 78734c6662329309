"""Decisions D15-D18 in the engine: screen text beside the seed text, one scale direction on
screen, dates as one input with a "Før 1.6.2007" box and bounds, Q27 optional."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import jinja2
import pytest

import forms
from forms import DefinitionError, build_form_class, codebook, get_definition, normalise, parse_definition

TEMPLATES = Path(__file__).parents[2] / "templates"
JAN_2027 = date(2027, 1, 1)
RANGE_JAN_2027 = "Datoen skal ligge mellem 1. juni 2007 og 31. januar 2027."


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return get_definition("skp_monthly")


def intake(**posted: list[str]) -> dict[str, list[str]]:
    """Del 1 form data up to Q17 (Q12 = 3: Q15 is asked), overridden by ``posted``."""
    data = {"q3": ["1"], "q4": ["1"], "q5": ["1"], "q6": ["1"], "q7": ["1"], "q8": ["1"], "q9": ["1"],
            "q11": ["1"], "q12": ["3"], "q15": ["1"], "q16": ["1"], "q17": ["3"]}
    return {**data, **posted}


def errors(q: forms.Questionnaire, data: dict, report_month: date | None = JAN_2027) -> dict[str, list[str]]:
    return normalise(q, data, sections=["del1"], mode="draft", report_month=report_month).errors


# -- D15: screen text, seed text ------------------------------------------------------------------


def _screen_texts(q: forms.Questionnaire) -> list[tuple[str, str]]:
    texts = [("instruction", q.instruction or "")]
    for section in q.sections:
        texts.append((section.key, section.title))
        for question in (x for top in section.questions for x in (top, *top.fields)):
            texts += [(question.key, question.label), (question.key, question.hint or "")]
            texts += [(question.key, c.label) for c in question.entry_choices]
            texts += [(item.key, item.label) for item in question.items]
    return texts


def test_the_screen_says_klient_and_carries_no_paper_instructions_or_question_numbers(q) -> None:
    paper = re.compile(r"\bbruger(en|ens|e)?\b|sæt (evt\. |gerne |1 )?(flere )?kryds|Markér kun ét svar|"
                       r"spørgsmål \d|ddmmåååå|ekstra moduler|SKP- medarbejder|Hvilke personlighedsforstyrrelse\b",
                       re.IGNORECASE)
    offending = [(key, text) for key, text in _screen_texts(q) if paper.search(text)]
    assert offending == [("q7", "Venner/brugere")]  # other service users living with the client


def test_the_seed_text_is_kept_verbatim_beside_the_screen_text(q) -> None:
    q13, q14 = q.question("q13"), q.question("q14")
    assert q13.label_seed == "Hvis ja i spørgsmål 12– Angiv fra hvem/hvor sagen er overdraget/henvist"
    assert "overdraget/henvist" in q13.label and "spørgsmål" not in q13.label  # the condition, no number
    assert q14.label_seed.endswith("– sæt 1 kryds") and q14.label.startswith("Sagen er ikke overdraget")
    assert (q.question("q9").choice(1).label, q.question("q9").choice(1).label_seed) == (
        "Sindslidende", "Sindslidende (hvis ja, skal man også udfylde de ekstra moduler, hvis ikke skal de ikke)")
    assert q.question("q19_pf").label == "Hvilke personlighedsforstyrrelser er klienten diagnosticeret med?"
    assert q.section("del3").title_seed.startswith("Del 3: Beskrivelse af kontakten mellem SKP- medarbejderen")
    assert q.question("q26_tlf").hint_seed.endswith("nå brugeren)")
    assert q.question("q20").items[0].label_seed == "Brugeren har været trist, deprimeret."
    assert "brugerforløb" in q.instruction_seed and "klientforløb" in q.instruction
    assert q.question("q7").choice(6).label == "Venner/brugere"  # other service users, not the client


def test_codes_and_printed_order_never_change(q) -> None:
    assert q.question("q9").codes == (1, 2, 3, 4)
    assert q.question("q38").codes == (3, 2, 1, 0, 77)
    assert q.question("q24").codes == (4, 3, 2, 1, 0, 77)
    assert q.question("q32c").codes == (1, 2, 4, 3, 77)


def test_the_codebook_shows_the_screen_text_and_the_printed_text(q) -> None:
    variables = {v.name: v for v in codebook(q)}
    q9 = variables["q9"]
    assert q9.codes[0].label == "Sindslidende" and q9.codes[0].label_seed.startswith("Sindslidende (hvis ja")
    assert q9.codes[0].text == f"Sindslidende (trykt: {q9.codes[0].label_seed})"
    assert "Trykt tekst: Hvis ja i spørgsmål 12– Angiv fra hvem/hvor sagen er overdraget/henvist" in variables[
        "q13"].notes
    assert "Trykt tekst (udsagn): Brugeren har været trist, deprimeret." in variables["q20_1"].notes
    assert any(n.startswith("Trykt hjælpetekst: (Et sammenhængende") for n in variables["q26_tlf"].notes)
    assert variables["q31_0"].option.label_seed == "Ingen/ intet"


def test_codebook_notes_on_added_codes_say_only_the_numbering_is_new(q) -> None:
    variables = {v.name: v for v in codebook(q)}
    q32c = " ".join(variables["q32c"].notes)
    assert "Koden 4 »Nej, klienten blev udskrevet uden at der er udarbejdet en aftale.« er tilføjet (E31)" in q32c
    assert "svarmuligheden er trykt i skemaet, kun dens kode er ny" in q32c
    q19_pf = " ".join(variables["q19_pf_4"].notes)
    assert "Koderne 1 »Skizotypal«, 2 »Paranoid«" in q19_pf and "0 »Ingen personlighedsforstyrrelse«" in q19_pf
    assert "trykt i skemaet uden numre, kun nummereringen er ny" in q19_pf
    assert "ikke trykt" not in q32c + q19_pf
    assert "er tilføjet (E23) og er ikke trykt i skemaet" in " ".join(variables["q21_0"].notes)  # really new


# -- D16: one scale direction on screen --------------------------------------------------------------


DEGREE_LABELS = ["Slet ikke", "I ringe grad", "I nogen grad", "I høj grad", "Ved ikke"]


@pytest.mark.parametrize("key", ["q20", "q34", "q37", "q38"])
def test_every_grid_runs_from_slet_ikke_to_i_hoej_grad_then_ved_ikke(q, key) -> None:
    question = q.question(key)
    assert [c.label for c in question.screen_choices] == DEGREE_LABELS
    assert [c.code for c in question.screen_choices] == [0, 1, 2, 3, 77]


def test_singles_on_degree_and_frequency_scales_run_lowest_to_highest(q) -> None:
    for key in ("q33", "q35", "q36"):
        assert [c.code for c in q.question(key).screen_choices] == [0, 1, 2, 3, 77]
    for key in ("q24", "q25"):
        labels = [c.label for c in q.question(key).screen_choices]
        assert labels[0] == "Aldrig" and labels[-2:] == ["Dagligt eller næsten dagligt", "Ved ikke"]
    assert [c.code for c in q.question("q23").screen_choices] == [0, 1, 2, 3, 4, 77]
    assert [c.code for c in q.question("q22").screen_choices] == [0, 1, 2, 77]


def test_the_codebook_keeps_the_printed_order(q) -> None:
    variables = {v.name: v for v in codebook(q)}
    assert [c.code for c in variables["q38_1"].codes] == [3, 2, 1, 0, 77]
    assert [c.code for c in variables["q24"].codes] == [4, 3, 2, 1, 0, 77]


def test_the_form_shows_the_screen_order_and_stores_the_same_codes(q) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    form = build_form_class(q, ["del6"])()
    html = env.from_string('{% from "_macros/questionnaire.html" import questionnaire %}'
                           "{{ questionnaire(q, form, {}, ['del6']) }}").render(q=q, form=form)
    values = re.findall(r'name="q38_1" type="radio" value="(\d+)"', html)
    assert values == ["0", "1", "2", "3", "77"]
    head = html.split('data-key="q38"')[1].split('class="grid-head"')[1].split("</div>")[0]
    assert re.findall(r'<span class="grid-cell">([^<]+)</span>', head) == DEGREE_LABELS
    answers = normalise(q, {"q38_1": ["3"]}, sections=["del6"], mode="draft").answers
    assert answers["q38_1"] == 3  # "I høj grad" is still code 3


def test_screen_order_must_list_each_code_once() -> None:
    base = ('[questionnaire]\nkey = "t"\nversion = 1\ntitle = "T"\n[[sections]]\nkey = "del1"\ntitle = "D"\n'
            '[[sections.questions]]\nkey = "q1"\nlabel = "Q"\ntype = "single"\n'
            'choices = [{ code = 1, label = "A" }, { code = 2, label = "B" }]\n')
    assert parse_definition(base + "screen_order = [2, 1]\n").question("q1").screen_order == (2, 1)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(base + "screen_order = [2, 2]\n")
    assert caught.value.codes == ["DEF013"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('type = "text"\nlabel_seed = "Q"', "DEF012"),  # the seed equals the screen text
        ('type = "date"\nearliest = "2007-06-01"', "DEF003"),  # a string, not a TOML date
        ('type = "date"\nlatest = "today"', "DEF007"),
        ('type = "text"\nearliest = 2007-06-01', "DEF001"),  # bounds fit dates only
        ('type = "single"\nchoices = [{ code = 1, label = "A", printed = true }]', "DEF010"),  # printed needs added
        ('type = "single"\nchoices = [{ code = 1, label = "A", label_seed = "A" }]', "DEF012"),
    ],
)
def test_the_new_fields_are_checked_with_coded_errors(body: str, code: str) -> None:
    text = ('[questionnaire]\nkey = "t"\nversion = 1\ntitle = "T"\n[[sections]]\nkey = "del1"\ntitle = "D"\n'
            f'[[sections.questions]]\nkey = "q1"\nlabel = "Q"\n{body}\n')
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text)
    assert code in caught.value.codes, caught.value


# -- D17: dates ------------------------------------------------------------------------------------


def test_a_date_means_code_2_and_keeps_the_stored_keys(q) -> None:
    result = normalise(q, intake(q16=[], q16_dato=["20-08-2008"]), sections=["del1"], mode="draft",
                       report_month=date(2008, 8, 1))
    assert (result.answers["q16"], result.answers["q16_dato"]) == (2, "2008-08-20")
    assert result.errors == {}


def test_the_box_foer_1_6_2007_is_code_1_without_a_date(q) -> None:
    result = normalise(q, intake(q16=["1"]), sections=["del1"], mode="draft", report_month=JAN_2027)
    assert result.answers["q16"] == 1 and "q16_dato" not in result.answers


def test_a_box_and_a_date_together_are_refused(q) -> None:
    assert errors(q, intake(q16=["1"], q16_dato=["20-08-2008"]))["q16"] == [
        "Skriv enten en dato eller vælg »Før 1.6.2007«, ikke begge."]
    assert errors(q, intake(q17=["1", "3"]))["q17"] == ["Vælg kun ét svar."]


def test_neither_box_nor_date_asks_for_one_of_them(q) -> None:
    result = normalise(q, intake(q16=[]), sections=["del1"], mode="submit", report_month=JAN_2027)
    assert result.errors["q16"] == ["Skriv en dato, eller vælg »Før 1.6.2007«."]
    result = normalise(q, intake(q17=[]), sections=["del1"], mode="submit", report_month=JAN_2027)
    assert result.errors["q17"] == ["Skriv en dato, eller vælg »Før 1.6.2007« eller »Intet 1. samværsmøde/accept«."]


@pytest.mark.parametrize("key", ["q15", "q16", "q17"])
def test_a_date_before_1_june_2007_is_refused_naming_the_range(q, key) -> None:
    assert errors(q, intake(**{key: [], f"{key}_dato": ["31-05-2007"]}))[f"{key}_dato"] == [RANGE_JAN_2027]


@pytest.mark.parametrize("key", ["q15", "q16", "q17"])
def test_a_date_after_the_report_month_is_refused_naming_the_range(q, key) -> None:
    assert errors(q, intake(**{key: [], f"{key}_dato": ["01-02-2027"]}))[f"{key}_dato"] == [RANGE_JAN_2027]
    assert f"{key}_dato" not in errors(q, intake(**{key: [], f"{key}_dato": ["31-01-2027"]}))
    assert f"{key}_dato" not in errors(q, intake(**{key: [], f"{key}_dato": ["01-06-2007"]}))


def test_the_range_follows_the_report_month(q) -> None:
    got = errors(q, intake(q16=[], q16_dato=["18-11-2027"]), report_month=date(2026, 2, 14))
    assert got["q16_dato"] == ["Datoen skal ligge mellem 1. juni 2007 og 28. februar 2026."]


def test_without_a_report_month_a_date_may_lie_up_to_a_year_ahead(q) -> None:
    today = date(2026, 12, 6)
    ok = normalise(q, intake(q16=[], q16_dato=["01-12-2027"]), sections=["del1"], mode="draft", today=today)
    assert "q16_dato" not in ok.errors
    late = normalise(q, intake(q16=[], q16_dato=["01-01-2028"]), sections=["del1"], mode="draft", today=today)
    assert late.errors["q16_dato"] == ["Datoen skal ligge mellem 1. juni 2007 og 7. december 2027."]


def test_the_date_input_has_the_boxes_under_it(q) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    form = build_form_class(q, ["del1"])()
    html = env.from_string('{% from "_macros/questionnaire.html" import questionnaire %}'
                           "{{ questionnaire(q, form, {}, ['del1']) }}").render(q=q, form=form)
    q17 = html.split('data-key="q17"')[1].split('data-key="q18"')[0]
    inputs = re.findall(r'<input[^>]*name="(q17(?:_dato)?)"[^>]*type="(\w+)"(?: value="(\w*)")?', q17)
    assert inputs == [("q17_dato", "text", ""), ("q17", "checkbox", "1"), ("q17", "checkbox", "3")]
    assert '>Før 1.6.2007</label>' in q17 and "1.6.2007 eller derefter" not in q17
    assert 'data-date-code="2"' in q17


# -- D18: Q27 ------------------------------------------------------------------------------------------


def test_a_month_without_contact_attempts_can_be_submitted(q) -> None:
    data = {"q26_tid_timer": ["0"], "q26_tlf": ["0"], "q26_moeder": ["0"], "q26_forgaeves": ["0"], "q28": ["1"],
            "q29": ["1"], "q30_tid_timer": ["0"], "q30_antal": ["0"], "q31": ["0"], "q32": ["0"]}
    result = normalise(q, data, sections=["del3", "del4"], mode="submit")
    assert result.errors == {}
    assert "q27" not in result.answers
    assert not q.question("q27").required


# -- the questionnaire's instruction ---------------------------------------------------------------


def test_the_instruction_is_on_the_definition_for_the_form_page(q) -> None:
    assert q.instruction.startswith("Der indberettes hver måned inden d. 15. for forrige måneds aktivitet")
    assert q.instruction_seed.endswith("inkl. nye brugere indberettes inden d. 15. september)")


def test_stored_dates_refill_the_form_as_the_browser_posts_them(q) -> None:
    data = forms.to_formdata(q, {"q16": 2, "q16_dato": "2008-08-20", "q17": 1})
    assert "q16" not in data and data["q16_dato"] == ["20-08-2008"] and data["q17"] == ["1"]
    back = normalise(q, data, sections=["del1"], mode="draft", report_month=date(2008, 8, 1)).answers
    assert (back["q16"], back["q16_dato"], back["q17"]) == (2, "2008-08-20", 1)
