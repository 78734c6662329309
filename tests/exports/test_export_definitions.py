"""exports.definitions: the adapter works on the shipped questionnaires (fails when forms changes shape)."""

from __future__ import annotations

from exports.anonymise import AllowList
from exports.definitions import answer_fields, get_definition, missing_codes, scale_specs
from exports.scales import score_scale


def test_shipped_report_fields_keep_codes_and_drop_every_free_text():
    questionnaire = get_definition("skp_monthly")
    fields = answer_fields(questionnaire)
    kinds = {f.key: f.kind for f in fields}
    assert kinds["q26_tid"] == "duration_hm" and kinds["q20_1"] == "single" and kinds["q21"] == "multi"
    allow = AllowList(fields)
    exported = set(allow.exported_keys())
    texts = {key for key, kind in kinds.items() if kind in ("text", "short_text")}
    assert texts >= {"q39", "q52", "q6_andet"}
    assert not texts & exported
    assert {"q16_dato", "q40", "q26_tid", "q38_2"} <= exported


def test_shipped_scales_become_specs_with_the_grid_code_range():
    specs = {s.key: s for s in scale_specs(get_definition("skp_monthly"))}
    assert set(specs) == {"psykisk_tilstand", "tillid", "livskvalitet", "vaergemaal"}
    tillid = specs["tillid"]
    assert tillid.items == ("q34_1", "q34_2", "q34_3", "q34_4")
    assert tillid.value_range == (0, 3) and tillid.missing_codes == (77,) and tillid.reverse == ()
    assert score_scale(tillid, {"q34_1": 3, "q34_2": 77, "q34_3": 0, "q34_4": 3}).score == 8.0


def test_missing_codes_come_from_the_definition():
    questionnaire = get_definition("skp_monthly")
    assert missing_codes(questionnaire, "q4") == (7,)
    assert missing_codes(questionnaire, "q18") == (4,)
    assert missing_codes(questionnaire, "q37_1") == (77,)


def test_caseworker_comment_is_free_text_and_not_exported_by_default():
    fields = answer_fields(get_definition("caseworker"))
    allow = AllowList(fields)
    assert allow.decision("kommentar").action == "drop"
    assert "b1" in allow.exported_keys()
