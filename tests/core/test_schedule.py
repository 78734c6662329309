"""The reporting schedule: parts due, deadlines and statuses (reporting/core/schedule.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.core.schedule import (
    COPENHAGEN,
    UNSUBMITTED_ORDER,
    CourseFacts,
    NotInCourse,
    Period,
    deadline_date,
    deadline_end,
    due_parts,
    expected_periods,
    format_date_da,
    format_period_da,
    months_between,
    q17_pending_after,
    report_status,
)

P = Period.parse
PERIODIC = {"del2", "del5", "del6"}


def local(*args: int) -> datetime:
    """An aware Copenhagen wall-clock time."""
    return datetime(*args, tzinfo=COPENHAGEN)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Period
# --------------------------------------------------------------------------------------------


def test_period_parses_formats_and_exposes_its_days():
    p = P("2008-08")
    assert str(p) == "2008-08"
    assert repr(p) == "Period('2008-08')"
    assert (p.year, p.month) == (2008, 8)
    assert p.first_day == date(2008, 8, 1)
    assert p.last_day == date(2008, 8, 31)
    assert P("2008-02").last_day == date(2008, 2, 29)
    assert P("2009-02").last_day == date(2009, 2, 28)
    assert P("2008-12").last_day == date(2008, 12, 31)


def test_period_arithmetic_crosses_year_ends():
    assert P("2008-12") + 1 == P("2009-01")
    assert 1 + P("2008-12") == P("2009-01")
    assert P("2009-01") - 1 == P("2008-12")
    assert P("2008-08") + 16 == P("2009-12")
    assert P("2009-04") - P("2008-08") == 8
    assert P("2008-08") - P("2009-04") == -8
    assert months_between(P("2008-11"), P("2009-02")) == 3


def test_period_is_ordered_hashable_and_frozen():
    assert P("2008-12") < P("2009-01") < P("2009-02")
    assert sorted([P("2009-01"), P("2008-12"), P("2008-02")]) == [P("2008-02"), P("2008-12"), P("2009-01")]
    assert {P("2008-08"), Period(2008, 8)} == {P("2008-08")}
    with pytest.raises(AttributeError):
        P("2008-08").month = 9  # type: ignore[misc]


def test_period_of_date_and_containing_instant_use_copenhagen():
    assert Period.of(date(2008, 8, 31)) == P("2008-08")
    # 31 Aug 22:30 UTC is 1 Sep 00:30 in Copenhagen (CEST, +02:00).
    assert Period.containing(utc(2008, 8, 31, 22, 30)) == P("2008-09")
    assert Period.containing(utc(2008, 8, 31, 21, 59, 59)) == P("2008-08")
    # 31 Dec 23:00 UTC is New Year in Copenhagen (CET, +01:00).
    assert Period.containing(utc(2008, 12, 31, 23, 0)) == P("2009-01")
    assert Period.containing(local(2009, 3, 1, 0, 0)) == P("2009-03")


@pytest.mark.parametrize(
    "text",
    [
        "2008-13",
        "2008-00",
        "2008-8",
        "08-08",
        "2008/08",
        "2008-08-01",
        " 2008-08",
        "",
        "0000-01",
        "２００８-08",
    ],
)
def test_period_parse_refuses_bad_text(text):
    with pytest.raises(ValueError):
        P(text)


def test_period_refuses_bad_values():
    with pytest.raises(ValueError):
        Period.parse(200808)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Period(2008, 13)
    with pytest.raises(ValueError):
        Period(2008, True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Period.of(datetime(2008, 8, 1, 12, 0))  # an instant: needs Period.containing
    with pytest.raises(ValueError):
        Period.containing(datetime(2008, 8, 1, 12, 0))  # naive
    with pytest.raises(ValueError):
        P("9999-12") + 1
    with pytest.raises(TypeError):
        P("2008-08") + 1.0  # type: ignore[operator]


periods = st.builds(Period, st.integers(1900, 2200), st.integers(1, 12))
offsets = st.integers(-1200, 1200)


@given(periods)
def test_period_text_round_trips(p):
    assert Period.parse(str(p)) == p
    assert Period.of(p.first_day) == p
    assert Period.of(p.last_day) == p
    assert Period.of(p.last_day + timedelta(days=1)) == p + 1
    assert Period.containing(p.starts_at) == p
    assert Period.containing(p.ends_at - timedelta(microseconds=1)) == p
    assert p.ends_at == (p + 1).starts_at


@given(periods, offsets)
def test_period_arithmetic_round_trips(p, n):
    q = p + n
    assert q - n == p
    assert q - p == n
    assert months_between(p, q) == n
    assert (q.year * 12 + q.month) - (p.year * 12 + p.month) == n
    assert (q > p) == (n > 0)


@given(periods, offsets, offsets)
def test_period_addition_is_associative(p, a, b):
    assert (p + a) + b == p + (a + b)


@given(periods)
def test_adding_twelve_months_keeps_the_month(p):
    assert p + 12 == Period(p.year + 1, p.month)


# --------------------------------------------------------------------------------------------
# Which parts are due
# --------------------------------------------------------------------------------------------


def sections(course, period, **kw):
    return set(due_parts(course, P(period), **kw).sections)


def test_worked_example_of_spec_2_4():
    # Contact start 20.08.2008 → periodic in Aug 2008 (intake), Dec 2008, Apr 2009, …
    course = CourseFacts(intake=P("2008-08"), contact_start=date(2008, 8, 20))
    assert sections(course, "2008-08") == {"del1", "del2", "del3", "del4", "del5", "del6"}
    for month in ("2008-09", "2008-10", "2008-11", "2009-01", "2009-02", "2009-03", "2009-05"):
        assert sections(course, month) == {"del3", "del4"}, month
    for month in ("2008-12", "2009-04", "2009-08", "2009-12"):
        assert sections(course, month) == {"del2", "del3", "del4", "del5", "del6"}, month
    assert due_parts(course, P("2008-12")).k == 4
    assert due_parts(course, P("2009-04")).k == 8


def test_fallback_anchor_is_the_intake_month_when_q16_gives_no_date():
    # E15: Q16 = "Før 1.6. 2007" → no date → count from the first reported month.
    course = CourseFacts(intake=P("2008-10"), contact_start=None)
    assert course.anchor == P("2008-10")
    assert sections(course, "2008-10") >= PERIODIC
    assert PERIODIC.isdisjoint(sections(course, "2008-12"))
    assert sections(course, "2009-02") >= PERIODIC
    assert sections(course, "2009-06") >= PERIODIC


def test_contact_start_before_the_intake_month_anchors_the_cycle():
    # Course already running when reporting began: intake carries the start measurement,
    # then the cycle follows the contact-start month (May 2007 → Sep 2008 is k = 16).
    course = CourseFacts(intake=P("2008-08"), contact_start=date(2007, 5, 3))
    assert course.anchor == P("2007-05")
    assert sections(course, "2008-08") >= PERIODIC
    assert sections(course, "2008-09") >= PERIODIC
    assert PERIODIC.isdisjoint(sections(course, "2008-10"))
    assert sections(course, "2009-01") >= PERIODIC


def test_del1_only_at_intake_and_del3_del4_every_month():
    course = CourseFacts(intake=P("2008-08"), contact_start=date(2008, 8, 20))
    for p in expected_periods(course, until=P("2010-06")):
        got = sections(course, str(p))
        assert {"del3", "del4"} <= got
        assert ("del1" in got) == (p == P("2008-08"))
        assert "del7" not in got


def test_closing_adds_del2_del5_del6_and_del7():
    course = CourseFacts(intake=P("2008-08"), contact_start=date(2008, 8, 20))
    # Oct 2008 is not periodic (k = 2) but the closing report carries the end measurement.
    assert sections(course, "2008-10") == {"del3", "del4"}
    assert sections(course, "2008-10", closing=True) == {"del2", "del3", "del4", "del5", "del6", "del7"}
    closed = CourseFacts(intake=P("2008-08"), contact_start=date(2008, 8, 20), closing=P("2008-10"))
    parts = due_parts(closed, P("2008-10"))
    assert set(parts.sections) == {"del2", "del3", "del4", "del5", "del6", "del7"}
    assert parts.is_closing and parts.is_periodic and not parts.is_intake
    assert "del7" not in sections(closed, "2008-09")


def test_a_course_closed_in_its_intake_report_gets_every_part():
    course = CourseFacts(intake=P("2008-08"), closing=P("2008-08"))
    assert sections(course, "2008-08") == {"del1", "del2", "del3", "del4", "del5", "del6", "del7"}


def test_timings_name_the_definition_sections_due():
    course = CourseFacts(intake=P("2008-08"), contact_start=date(2008, 8, 20))
    assert due_parts(course, P("2008-08")).timings == {"intake", "monthly", "periodic"}
    assert due_parts(course, P("2008-09")).timings == {"monthly"}
    assert due_parts(course, P("2008-12")).timings == {"monthly", "periodic"}
    assert due_parts(course, P("2008-09"), closing=True).timings == {"monthly", "periodic", "closing"}


def test_q17_is_re_asked_after_intake_while_no_first_meeting():
    pending = CourseFacts(intake=P("2008-08"), q17_pending=True)
    assert due_parts(pending, P("2008-08")).reask == frozenset()  # asked in Del 1 anyway
    parts = due_parts(pending, P("2008-09"))
    assert parts.reask == {"q17", "q18"}
    assert "q17" in parts and "del3" in parts and "del1" not in parts
    assert due_parts(pending, P("2008-11"), closing=True).reask == {"q17", "q18"}
    met = CourseFacts(intake=P("2008-08"), q17_pending=False)
    assert due_parts(met, P("2008-09")).reask == frozenset()


def test_q17_stays_pending_until_a_later_report_answers_it_otherwise():
    """E18: the latest submitted answer to Q17 decides; a month that did not ask Q17 changes nothing."""
    reports = [{"q17": 3, "q18": 1}, {"q19": 2}, {"q17": 3}, {}, {"q17": 1}, {"q20": 4}]
    pending, seen = False, []
    for answers in reports:
        pending = q17_pending_after(answers, pending)
        seen.append(pending)
    assert seen == [True, True, True, True, False, False]


def test_months_outside_the_course_are_refused():
    course = CourseFacts(intake=P("2008-08"), closing=P("2009-01"))
    assert course.covers(P("2008-08")) and course.covers(P("2009-01"))
    assert not course.covers(P("2008-07")) and not course.covers(P("2009-02"))
    with pytest.raises(NotInCourse):
        due_parts(course, P("2008-07"))
    with pytest.raises(NotInCourse):
        due_parts(course, P("2009-02"))
    with pytest.raises(ValueError):  # NotInCourse is a ValueError
        due_parts(CourseFacts(intake=P("2008-08")), P("2008-07"))


def test_closing_flag_must_agree_with_a_recorded_closing_month():
    course = CourseFacts(intake=P("2008-08"), closing=P("2009-01"))
    assert "del7" in sections(course, "2009-01", closing=True)
    with pytest.raises(ValueError):
        due_parts(course, P("2008-11"), closing=True)


def test_course_facts_refuse_inconsistent_values():
    with pytest.raises(ValueError):
        CourseFacts(intake=P("2008-08"), closing=P("2008-07"))
    with pytest.raises(ValueError):
        CourseFacts(intake="2008-08")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CourseFacts(intake=P("2008-08"), contact_start=datetime(2008, 8, 20, 10, 0))  # type: ignore[arg-type]


def test_expected_periods_run_from_intake_to_closing_or_until():
    open_course = CourseFacts(intake=P("2008-11"))
    assert expected_periods(open_course, until=P("2009-02")) == [
        P("2008-11"),
        P("2008-12"),
        P("2009-01"),
        P("2009-02"),
    ]
    assert expected_periods(open_course, until=P("2008-11")) == [P("2008-11")]
    assert expected_periods(open_course, until=P("2008-10")) == []
    closed = CourseFacts(intake=P("2008-11"), closing=P("2009-01"))
    assert expected_periods(closed, until=P("2010-06")) == [P("2008-11"), P("2008-12"), P("2009-01")]
    assert expected_periods(closed, until=P("2008-12")) == [P("2008-11"), P("2008-12")]


courses = st.builds(
    CourseFacts,
    intake=st.builds(Period, st.integers(2000, 2030), st.integers(1, 12)),
    contact_start=st.none() | st.dates(date(1995, 1, 1), date(2031, 12, 31)),
    q17_pending=st.booleans(),
)


@given(courses, st.integers(0, 120), st.booleans())
def test_periodic_months_are_exactly_intake_closing_and_k_multiple_of_4(course, offset, closing):
    period = course.intake + offset
    parts = due_parts(course, period, closing=closing)
    k = period - course.anchor
    assert parts.k == k
    expected = period == course.intake or closing or (k > 0 and k % 4 == 0)
    for key in PERIODIC:
        assert (key in parts.sections) == expected
    assert parts.sections <= {f"del{i}" for i in range(1, 8)}
    assert {"del3", "del4"} <= parts.sections
    assert ("del1" in parts.sections) == (offset == 0)
    assert ("del7" in parts.sections) == closing
    assert parts.reask == ({"q17", "q18"} if course.q17_pending and offset else set())


@given(courses, st.integers(0, 60), st.integers(-5, 80))
def test_expected_periods_are_consecutive_and_inside_the_course(course, length, ahead):
    closed = CourseFacts(course.intake, course.contact_start, course.intake + length, course.q17_pending)
    until = course.intake + ahead
    got = expected_periods(closed, until)
    assert got == [course.intake + n for n in range(min(length, ahead) + 1)]
    assert all(closed.covers(p) for p in got)
    assert expected_periods(course, until) == [course.intake + n for n in range(ahead + 1)]


# --------------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------------


def test_deadline_is_the_15th_of_the_following_month():
    assert deadline_date(P("2008-08")) == date(2008, 9, 15)
    assert deadline_date(P("2008-12")) == date(2009, 1, 15)
    assert deadline_date(P("2010-06")) == date(2010, 7, 15)
    assert deadline_date(P("2008-08"), day=1) == date(2008, 9, 1)


def test_deadline_day_is_clamped_to_the_end_of_the_month():
    assert deadline_date(P("2009-01"), day=31) == date(2009, 2, 28)
    assert deadline_date(P("2008-01"), day=30) == date(2008, 2, 29)
    assert deadline_date(P("2008-03"), day=31) == date(2008, 4, 30)
    assert deadline_date(P("2008-12"), day=31) == date(2009, 1, 31)


@pytest.mark.parametrize("day", [0, 32, -1, True, 15.0, "15"])
def test_deadline_day_must_be_1_to_31(day):
    with pytest.raises(ValueError):
        deadline_date(P("2008-08"), day=day)


def test_deadline_end_is_copenhagen_midnight_after_the_deadline_in_utc():
    end = deadline_end(P("2008-08"))
    assert end == utc(2008, 9, 15, 22, 0)  # 16.09.2008 00:00 CEST (+02:00)
    assert end.tzinfo is UTC
    assert deadline_end(P("2008-12")) == utc(2009, 1, 15, 23, 0)  # 16.01.2009 00:00 CET (+01:00)


@pytest.mark.parametrize(
    ("period", "day", "expected_utc", "offset_hours"),
    [
        # Deadline in October / March with the default day: offset of the season.
        ("2008-09", 15, utc(2008, 10, 15, 22, 0), 2),
        ("2009-02", 15, utc(2009, 3, 15, 23, 0), 1),
        # DST ends Sun 26.10.2008 03:00 CEST → 02:00 CET.
        ("2008-09", 25, utc(2008, 10, 25, 22, 0), 2),  # ends 26.10 00:00, still CEST
        ("2008-09", 26, utc(2008, 10, 26, 23, 0), 1),  # ends 27.10 00:00, CET
        # DST starts Sun 29.03.2009 02:00 CET → 03:00 CEST.
        ("2009-02", 28, utc(2009, 3, 28, 23, 0), 1),  # ends 29.03 00:00, still CET
        ("2009-02", 29, utc(2009, 3, 29, 22, 0), 2),  # ends 30.03 00:00, CEST
        ("2009-02", 31, utc(2009, 3, 31, 22, 0), 2),
    ],
)
def test_deadline_end_around_dst_changes(period, day, expected_utc, offset_hours):
    end = deadline_end(P(period), day=day)
    assert end == expected_utc
    as_local = end.astimezone(COPENHAGEN)
    assert (as_local.hour, as_local.minute, as_local.second) == (0, 0, 0)
    assert as_local.utcoffset() == timedelta(hours=offset_hours)


def _last_sunday(year: int, month: int) -> date:
    last = Period(year, month).last_day
    return last - timedelta(days=(last.weekday() - 6) % 7)


def _expected_offset_at_local_midnight(day: date) -> timedelta:
    """EU summer time (Denmark since 1996), computed independently of zoneinfo: the switch is
    at 01:00 UTC on the last Sundays of March and October, so midnight on the March Sunday is
    still winter time and midnight on the October Sunday still summer time."""
    summer = _last_sunday(day.year, 3) < day <= _last_sunday(day.year, 10)
    return timedelta(hours=2 if summer else 1)


dst_era_periods = st.builds(Period, st.integers(1996, 2099), st.integers(1, 12))
deadline_days = st.integers(1, 31)


@given(dst_era_periods, deadline_days)
def test_deadline_end_is_local_midnight_starting_the_next_day(period, day):
    deadline = deadline_date(period, day)
    assert Period.of(deadline) == period + 1
    assert deadline.day == min(day, (period + 1).last_day.day)
    end = deadline_end(period, day)
    assert end.utcoffset() == timedelta(0)
    as_local = end.astimezone(COPENHAGEN)
    assert as_local.date() == deadline + timedelta(days=1)
    assert (as_local.hour, as_local.minute, as_local.second, as_local.microsecond) == (0, 0, 0, 0)
    offset = _expected_offset_at_local_midnight(as_local.date())
    assert as_local.utcoffset() == offset
    assert end == datetime.combine(as_local.date(), datetime.min.time(), tzinfo=timezone(offset))
    # One microsecond earlier is still the deadline date in Copenhagen.
    assert (end - timedelta(microseconds=1)).astimezone(COPENHAGEN).date() == deadline


def test_danish_dates():
    assert format_date_da(deadline_date(P("2008-08"))) == "15. september 2008"
    assert format_date_da(date(2009, 1, 15)) == "15. januar 2009"
    assert format_period_da(P("2008-08")) == "august 2008"
    assert format_period_da(P("2009-05")) == "maj 2009"


# --------------------------------------------------------------------------------------------
# Status
# --------------------------------------------------------------------------------------------

AUG = P("2008-08")


def test_status_before_the_month_has_ended_is_not_due():
    assert report_status(AUG, None, local(2008, 8, 20, 12, 0)).kind == "not_due"
    assert report_status(AUG, None, local(2008, 8, 31, 23, 59, 59)).kind == "not_due"
    assert report_status(AUG, None, local(2008, 9, 1, 0, 0)).kind == "due"


def test_status_at_the_deadline_boundary():
    assert report_status(AUG, None, local(2008, 9, 15, 23, 59, 59)).kind == "due"
    assert report_status(AUG, None, local(2008, 9, 16, 0, 0)).kind == "missing"
    on_time = report_status(AUG, local(2008, 9, 15, 23, 59, 59), now=local(2009, 1, 1))
    assert (on_time.kind, on_time.days_late) == ("on_time", None)
    late = report_status(AUG, local(2008, 9, 16, 0, 0), now=local(2009, 1, 1))
    assert (late.kind, late.days_late) == ("late", 1)


def test_status_boundary_uses_copenhagen_not_utc():
    # 15.09.2008 22:30 UTC is already 16.09 00:30 in Copenhagen.
    assert report_status(AUG, utc(2008, 9, 15, 22, 30), now=utc(2008, 10, 1)).kind == "late"
    assert report_status(AUG, utc(2008, 9, 15, 21, 59, 59), now=utc(2008, 10, 1)).kind == "on_time"
    # Winter: 15.01.2009 22:30 UTC is 23:30 CET, still on time.
    assert report_status(P("2008-12"), utc(2009, 1, 15, 22, 30), now=utc(2009, 2, 1)).kind == "on_time"


def test_status_at_a_deadline_on_the_dst_switch_day():
    feb = P("2009-02")  # deadline 29.03.2009 with day=29, the day summer time starts
    assert report_status(feb, local(2009, 3, 29, 23, 59, 59), now=utc(2009, 4, 1), day=29).kind == "on_time"
    assert report_status(feb, local(2009, 3, 30, 0, 0), now=utc(2009, 4, 1), day=29).days_late == 1
    assert report_status(feb, None, now=utc(2009, 3, 29, 21, 59, 59), day=29).kind == "due"
    assert report_status(feb, None, now=utc(2009, 3, 29, 22, 0), day=29).kind == "missing"


@pytest.mark.parametrize(
    ("submitted", "days"), [((2008, 9, 16, 23, 59), 1), ((2008, 9, 18, 9, 0), 3), ((2008, 10, 15, 0, 0), 30)]
)
def test_late_by_n_days(submitted, days):
    status = report_status(AUG, local(*submitted), now=local(2008, 12, 1))
    assert status.kind == "late"
    assert status.days_late == days
    assert status.overdue and status.submitted


def test_submitted_status_does_not_depend_on_now():
    # An early report (e.g. a closing report filed within the month) is on time at once.
    early = local(2008, 8, 25, 10, 0)
    for now in (local(2008, 8, 26), local(2008, 9, 5), local(2010, 1, 1)):
        assert report_status(AUG, early, now=now).kind == "on_time"


def test_deadline_day_setting_moves_the_boundary():
    assert report_status(AUG, None, local(2008, 9, 15, 12, 0), day=14).kind == "missing"
    assert report_status(AUG, local(2008, 9, 15, 12, 0), local(2008, 10, 1), day=14).days_late == 1


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        report_status(AUG, None, datetime(2008, 9, 1))
    with pytest.raises(ValueError):
        report_status(AUG, datetime(2008, 9, 1), local(2008, 9, 2))


def test_status_labels_are_danish():
    deadline = date(2008, 9, 15)
    assert report_status(AUG, None, local(2008, 8, 2)).label == "Ikke forfalden endnu"
    assert report_status(AUG, None, local(2008, 9, 2)).label == "Skal indberettes"
    assert report_status(AUG, local(2008, 9, 2), local(2008, 9, 2)).label == "Indberettet til tiden"
    assert report_status(AUG, local(2008, 9, 18), local(2008, 9, 20)).label == "Indberettet 3 dage for sent"
    assert report_status(AUG, local(2008, 9, 16), local(2008, 9, 20)).label == "Indberettet 1 dag for sent"
    assert report_status(AUG, None, local(2008, 9, 20)).label == "Mangler"
    assert report_status(AUG, None, local(2008, 9, 20)).deadline == deadline


instants = st.datetimes(
    min_value=datetime(1996, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


@given(dst_era_periods, deadline_days, instants, instants)
def test_unsubmitted_status_never_goes_back_as_time_passes(period, day, a, b):
    earlier, later = sorted((a, b))
    first = report_status(period, None, earlier, day)
    second = report_status(period, None, later, day)
    assert UNSUBMITTED_ORDER[first.kind] <= UNSUBMITTED_ORDER[second.kind]


@given(dst_era_periods, deadline_days, instants)
def test_unsubmitted_status_follows_month_end_and_deadline(period, day, now):
    kind = report_status(period, None, now, day).kind
    if now < period.ends_at:
        assert kind == "not_due"
    elif now < deadline_end(period, day):
        assert kind == "due"
    else:
        assert kind == "missing"
    assert (kind == "not_due") == (now.astimezone(COPENHAGEN).date() <= period.last_day)
    assert (kind == "missing") == (now.astimezone(COPENHAGEN).date() > deadline_date(period, day))


@given(dst_era_periods, deadline_days, instants, instants)
def test_submitted_status_matches_the_copenhagen_calendar_date(period, day, submitted, now):
    status = report_status(period, submitted, now, day)
    local_day = submitted.astimezone(COPENHAGEN).date()
    deadline = deadline_date(period, day)
    if local_day <= deadline:
        assert (status.kind, status.days_late) == ("on_time", None)
    else:
        assert status.kind == "late"
        assert status.days_late == (local_day - deadline).days >= 1
    assert status == report_status(period, submitted, submitted + timedelta(days=400), day)
