"""The read-only questionnaire preview lets evaluators check every code and rule."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from forms import codebook, get_definition

import factories
from support import login


def coordinator(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("coordinator", email="evaluator@example.com", municipality_name=None)
    login(client, "evaluator@example.com")


def test_preview_lists_every_question_code_and_rule(app: Flask, client: FlaskClient) -> None:
    coordinator(app, client)
    html = client.get("/questionnaires/skp_monthly").get_data(as_text=True)
    definition = get_definition("skp_monthly")
    for question in definition.questions():
        assert f'id="preview-{question.key}"' in html, question.key
        for choice in question.choices:
            assert f"<code>{choice.code}</code> {choice.label}" in html.replace("&#39;", "'"), (question.key, choice)
    assert "Vises kun hvis</strong> spørgsmål 12 = 2 (Nej)" in html  # Q14 (R3)
    assert "spørgsmål 42 har 3" in html  # Q45 (R16)
    assert "Ved indskrivning, hver 4. måned og ved udskrivning" in html
    assert "tilføjet (E23)" in html or "tilføjet (D12)" in html


def test_codebook_page_has_one_row_per_exported_variable(app: Flask, client: FlaskClient) -> None:
    coordinator(app, client)
    html = client.get("/questionnaires/skp_monthly/codebook").get_data(as_text=True)
    variables = codebook(get_definition("skp_monthly"))
    assert html.count("<tr>") == len(variables) + 1
    for name in ("q7_1", "q7_8", "q26_tid", "q38_2", "q19_pf_10"):
        assert f"<code>{name}</code>" in html, name


def test_caseworker_preview_shows_which_wave_asks_what(app: Flask, client: FlaskClient) -> None:
    coordinator(app, client)
    html = client.get("/questionnaires/caseworker").get_data(as_text=True)
    assert "Opfølgning" in html and "Baseline" in html
    assert 'id="preview-f1"' in html and 'id="preview-b6"' in html


def test_unknown_questionnaire_is_404(app: Flask, client: FlaskClient) -> None:
    coordinator(app, client)
    assert client.get("/questionnaires/findes-ikke").status_code == 404


def test_preview_and_codebook_show_the_screen_text_beside_the_printed_text(app: Flask, client: FlaskClient) -> None:
    coordinator(app, client)
    preview = client.get("/questionnaires/skp_monthly").get_data(as_text=True).replace("&#39;", "'")
    assert "<code>1</code> Sindslidende" in preview
    assert "(trykt: Sindslidende (hvis ja, skal man også udfylde de ekstra moduler, hvis ikke skal de ikke))" in preview
    assert "Trykt tekst:</strong> Hvis ja i spørgsmål 12– Angiv fra hvem/hvor sagen er overdraget/henvist" in preview
    assert "Trykt overskrift:</strong> Del 1: Indskrivning: Brugerens stamoplysninger" in preview
    assert "Rækkefølge på skærmen: 0, 1, 2, 3, 77" in preview  # Q38 (D16), printed 3, 2, 1, 0, 77
    assert "Trykt tekst:</strong> Der indberettes hver måned inden d. 15." in preview
    book = client.get("/questionnaires/skp_monthly/codebook").get_data(as_text=True)
    assert "1 = Sindslidende <span class=\"form-hint\">(trykt: Sindslidende (hvis ja" in book
