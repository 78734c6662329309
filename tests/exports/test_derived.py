"""exports.derived: spec §5.3 variables and the §5.4 Isbryder flag from plain answer dicts."""

from __future__ import annotations

import re
from datetime import date

import pytest

from exports.derived import (
    DERIVED_VARIABLES,
    aldersgruppe,
    boligtilstand,
    course_length_months,
    course_months,
    etnisk_minoritet,
    failed_visits,
    isbryder_target_group,
    koen,
    measurement,
    minutes,
    month_index,
    month_text,
    running_totals,
)
from reporting.core.schedule import CourseFacts, Period, due_parts

INTAKE_AUG_2008 = {"q16": 2, "q16_dato": "2008-08-20", "q17": 2, "q17_dato": "2008-09-02"}


def test_month_index_reads_text_dates_and_period_objects():
    assert month_index("2008-08") == month_index("2008-08-20") == month_index(date(2008, 8, 1))
    assert month_index(Period(2008, 8)) == 2008 * 12 + 7
    assert month_text(month_index("2009-12")) == "2009-12"
    for bad in ("2008-13", "2008-02-30", "aug 2008", None, 200808):
        assert month_index(bad) is None


def test_anchor_and_start_follow_q16_then_q17_then_the_first_report():
    assert course_months(INTAKE_AUG_2008, "2008-10").anchor == month_index("2008-08")
    before_2007 = {"q16": 1, "q17": 2, "q17_dato": "2008-09-02"}
    months = course_months(before_2007, "2008-10")
    assert months.anchor == month_index("2008-10")  # E15: the cycle counts from the first report
    assert months.start == month_index("2008-09")  # course length falls back to Q17
    nothing = course_months({"q16": 1, "q17": 3}, "2008-10")
    assert nothing.anchor == nothing.start == month_index("2008-10")


def test_measurement_types_follow_the_spec_example():
    """Spec §2.4: contact start 20.08.2008 → periodic in Aug 2008 (k=0), Dec 2008 (k=4), Apr 2009 (k=8)."""
    course = course_months(INTAKE_AUG_2008, "2008-08", closing_month="2009-06")
    got = {p: (m.type, m.k, m.periodic) for p in ("2008-08", "2008-09", "2008-12", "2009-04", "2009-05", "2009-06")
           for m in [measurement(p, course)]}
    assert got == {
        "2008-08": ("indskrivning", 0, True),
        "2008-09": ("maanedlig", 1, False),
        "2008-12": ("periodisk", 4, True),
        "2009-04": ("periodisk", 8, True),
        "2009-05": ("maanedlig", 9, False),
        "2009-06": ("afslutning", 10, True),
    }


def test_intake_after_contact_start_counts_from_contact_start():
    course = course_months({"q16": 2, "q16_dato": "2008-06-15"}, "2008-08")
    assert (measurement("2008-08", course).type, measurement("2008-08", course).k) == ("indskrivning", 2)
    assert measurement("2008-10", course).type == "periodisk"


def test_a_course_closed_in_its_intake_month_is_an_intake_measurement():
    course = course_months({}, "2009-03", closing_month="2009-03")
    assert measurement("2009-03", course).type == "indskrivning"


@pytest.mark.parametrize("q16_date", [None, date(2008, 6, 15), date(2008, 8, 20)])
def test_periodic_months_agree_with_the_reporting_schedule(q16_date):
    answers = {"q16": 2, "q16_dato": q16_date.isoformat()} if q16_date else {"q16": 1}
    intake, closing = Period(2008, 8), Period(2010, 2)
    course = course_months(answers, intake, closing_month=closing)
    facts = CourseFacts(intake=intake, contact_start=q16_date, closing=closing)
    for n in range(closing - intake + 1):
        period = intake + n
        parts = due_parts(facts, period)
        ours = measurement(period, course)
        assert ours.periodic == parts.is_periodic, period
        assert ours.k == parts.k, period


def test_course_length_uses_q40_for_closed_courses_and_the_last_month_for_open_ones():
    course = course_months(INTAKE_AUG_2008, "2008-08")
    assert course_length_months(course, {"q40": "2009-06-03"}) == 10
    assert course_length_months(course, None, last_report_month="2009-01") == 5
    assert course_length_months(course, {"q40": "2008-07-01"}) is None  # ends before it starts: data error
    assert course_length_months(course) is None


def test_minutes_from_stored_minutes_or_hours_and_minutes():
    assert minutes({"q26_tid": 150}, "q26_tid") == 150
    assert minutes({"q26_tid_timer": 2, "q26_tid_minutter": 30}, "q26_tid") == 150
    assert minutes({"q26_tid_timer": 3}, "q26_tid") == 180
    assert minutes({}, "q26_tid") is None
    assert minutes({"q26_tid": True}, "q26_tid") is None
    assert minutes({"q26_tid": -5}, "q26_tid") is None


def test_running_totals_add_months_without_a_value_as_zero():
    assert running_totals([60, None, 30, 0]) == [60, 60, 90, 90]


def test_background_variables_map_missing_codes_to_none():
    assert [koen({"q3": c}) for c in (1, 2, 3)] == [1, 2, None]
    assert [aldersgruppe({"q4": c}) for c in (1, 6, 7)] == [1, 6, None]
    assert [etnisk_minoritet({"q8": c}) for c in (1, 2, 3, 4)] == [0, 1, 1, None]
    assert koen({}) is None and koen({"q3": True}) is None


def test_housing_conditions_count_codes_1_to_7():
    assert boligtilstand({"q21": [1, 3, 7]}) == (3, 1)
    assert boligtilstand({"q21": [0]}) == (0, 0)
    assert boligtilstand({"q21": [77]}) == (None, None)
    assert boligtilstand({}) == (None, None)


def test_q50_q51_are_derived_when_q48_is_zero():
    assert failed_visits({"q48": 0, "q49": 3}) == (3, 0, 1)
    assert failed_visits({"q48": 2, "q49": 3, "q50": 1, "q51": 2}) == (1, 2, 0)
    assert failed_visits({"q48": 0}) == (None, None, 0)


# -- Isbryder target group ----------------------------------------------------------------------

TARGET = {"q6": 1, "q9": 1, "q10": [], "q18": 3, "q21": [1, 5], "q24": 0, "q25": 1}


def flag(**changes):
    answers = {**TARGET, **changes}
    return isbryder_target_group({k: v for k, v in answers.items() if v is not ...})


def test_a_user_meeting_all_four_components_is_in_the_target_group():
    result = flag()
    assert (result.sindslidende, result.isoleret, result.uacceptable_forhold, result.egen_bolig) == (1, 1, 1, 1)
    assert result.maalgruppe == 1


def test_c1_mental_illness_from_q9_or_q10():
    assert flag(q9=2, q10=[1]).sindslidende == 1
    assert flag(q9=2, q10=[2, 3]).sindslidende == 0
    assert flag(q9=2, q10=...).sindslidende == 0  # Q10 is optional: unanswered = nothing ticked
    assert flag(q9=..., q10=...).sindslidende is None
    assert flag(q9=3).maalgruppe == 0


def test_c2_isolation_needs_few_private_contacts_and_few_professional_ones_or_q18():
    assert flag(q24=2).isoleret == 0
    assert flag(q25=3, q18=2).isoleret == 1  # only public maintenance (Q18 = 2) counts as no professional contact
    assert flag(q25=3, q18=1).isoleret == 0
    assert flag(q24=77).isoleret is None
    assert flag(q25=3, q18=4).isoleret is None  # Q18 "Ved ikke"
    assert flag(q25=3, q18=...).isoleret is None  # Q18 skipped (Q17 = 3)
    assert flag(q25=77, q18=3).isoleret == 1
    assert flag(q24=77, q25=3, q18=1).isoleret == 0  # decided by the second condition alone


def test_c3_unacceptable_conditions_from_q21():
    assert flag(q21=[0]).uacceptable_forhold == 0
    assert flag(q21=[77]).uacceptable_forhold is None
    assert flag(q21=[7]).uacceptable_forhold == 1


def test_c4_own_home_and_the_functionally_homeless_option():
    assert flag(q6=2).egen_bolig == 0
    assert flag(q6=6).egen_bolig is None
    assert flag(q6=4).egen_bolig == 0
    assert isbryder_target_group({**TARGET, "q6": 4}, include_functionally_homeless=True).egen_bolig == 1


def test_flag_is_unknown_only_when_no_component_is_zero():
    assert flag(q24=77).maalgruppe is None
    assert flag(q24=77, q6=2).maalgruppe == 0
    assert isbryder_target_group({}).maalgruppe is None


def test_every_derived_variable_is_documented_in_danish_with_an_ascii_column_name():
    names = [v.name for v in DERIVED_VARIABLES]
    assert len(names) == len(set(names))
    for variable in DERIVED_VARIABLES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", variable.name), variable.name
        assert variable.label and len(variable.rule) > 30 and variable.sources
    expected = {"maaling_type", "maaneder_siden_kontaktstart", "tid_med_bruger_min", "tid_brobygning_min",
                "forloeb_laengde_mdr", "etnisk_minoritet", "isbryder_c1_sindslidende", "isbryder_c2_isoleret",
                "isbryder_c3_uacceptable_forhold", "isbryder_c4_egen_bolig", "isbryder_maalgruppe"}
    assert expected <= set(names)
