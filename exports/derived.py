"""Derived analysis variables (questionnaire-spec.md §5.3) and the Isbryder target-group flag (§5.4, D10).

Every function works on plain answer dicts keyed by question key, as stored (docs/questionnaire-
format.md): codes are ints (a bool is never a code), ``multi`` answers are lists of codes,
``duration_hm`` answers are int minutes, dates are ISO ``YYYY-MM-DD`` strings (``q16_dato``,
``q17_dato``, ``q40``). An absent key or None means "no value" (not applicable or blank); the
missing codes (77, Uoplyst …) are mapped to None where a variable is derived from them. A value
of the wrong type gives None for the derived variable (never a guess), and raw answers are
always exported beside the derived ones.

Months are handled as month indices (``year*12 + month - 1``) so differences are whole months;
accepted inputs are ``"YYYY-MM"`` / ``"YYYY-MM-DD"`` text, ``datetime.date`` or any object with
int ``year`` and ``month`` (e.g. ``reporting.core.schedule.Period``).

:data:`DERIVED_VARIABLES` documents each variable's rule in Danish for the codebook; the export
column names are ASCII (``oe``/``aa`` for ø/å) so every statistics package reads them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "DERIVED_VARIABLES",
    "PERIODIC_INTERVAL",
    "CourseMonths",
    "DerivedVariable",
    "IsbryderFlag",
    "Measurement",
    "aldersgruppe",
    "boligtilstand",
    "course_length_months",
    "course_months",
    "etnisk_minoritet",
    "failed_visits",
    "isbryder_target_group",
    "koen",
    "measurement",
    "minutes",
    "month_index",
    "month_text",
    "running_totals",
]

#: Months between periodic measurements, counted from the anchor month (spec §2.4; same as
#: ``reporting.core.schedule.PERIODIC_INTERVAL``, which exports may not import).
PERIODIC_INTERVAL = 4

Tri = int | None  # 1 = yes, 0 = no, None = unknown

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


# -- months ----------------------------------------------------------------------------------------


def month_index(value: object) -> int | None:
    """Month index of ``value`` (see module docstring); None for None or anything unreadable."""
    if value is None:
        return None
    if isinstance(value, str):
        match = _MONTH_RE.fullmatch(value.strip())
        if not match:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        if match.group(3) is not None:
            try:
                date(year, month, int(match.group(3)))
            except ValueError:
                return None
    elif isinstance(value, date):
        year, month = value.year, value.month
    else:
        year, month = getattr(value, "year", None), getattr(value, "month", None)  # type: ignore[assignment]
        if type(year) is not int or type(month) is not int:
            return None
    if not 1 <= month <= 12 or year < 1:
        return None
    return year * 12 + month - 1


def month_text(index: int) -> str:
    """``YYYY-MM`` of a month index."""
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def _code(answers: Mapping[str, Any], key: str) -> int | None:
    value = answers.get(key)
    return value if type(value) is int else None


def _codes(answers: Mapping[str, Any], key: str) -> list[int] | None:
    value = answers.get(key)
    if not isinstance(value, list | tuple) or not all(type(v) is int for v in value):
        return None
    return list(value)


# -- course timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseMonths:
    """The months that anchor one course.

    ``intake``: the intake report's month (first report). ``anchor``: the month the 4-month
    cycle counts from — Q16's month when Q16 = 2 with a date, else the intake month (E15; the
    same rule as ``reporting.core.schedule.CourseFacts.anchor``). ``start``: contact start for the
    course length — Q16's month, else Q17's month (Q17 = 2 with a date), else the intake month.
    ``closing``: the month of the report that closed the course, None while open.
    """

    intake: int
    anchor: int
    start: int
    closing: int | None = None


def course_months(
    intake_answers: Mapping[str, Any], intake_month: object, closing_month: object = None
) -> CourseMonths:
    """:class:`CourseMonths` from the intake report's answers (Q16, Q17) and the report months."""
    intake = month_index(intake_month)
    if intake is None:
        raise ValueError(f"intake month {intake_month!r} is not a month")
    closing = month_index(closing_month)
    if closing_month is not None and closing is None:
        raise ValueError(f"closing month {closing_month!r} is not a month")
    q16 = month_index(intake_answers.get("q16_dato")) if _code(intake_answers, "q16") == 2 else None
    q17 = month_index(intake_answers.get("q17_dato")) if _code(intake_answers, "q17") == 2 else None
    anchor = q16 if q16 is not None else intake
    start = q16 if q16 is not None else (q17 if q17 is not None else intake)
    return CourseMonths(intake=intake, anchor=anchor, start=start, closing=closing)


@dataclass(frozen=True)
class Measurement:
    """What one report is as a measurement.

    ``type``: ``indskrivning`` (the intake report; wins if the course also closes that month),
    ``afslutning`` (the closing report), ``periodisk`` (k > 0 and k divisible by 4) or
    ``maanedlig``. ``k``: months since the anchor month (may be > 0 at intake when contact began
    before the first report). ``periodic``: Del 2, 5 and 6 were due (start, every 4th month, end).
    """

    type: str
    k: int
    periodic: bool


def measurement(period: object, course: CourseMonths) -> Measurement:
    """The measurement type of the report for ``period`` of ``course`` (spec §2.4, D2)."""
    index = month_index(period)
    if index is None:
        raise ValueError(f"period {period!r} is not a month")
    k = index - course.anchor
    is_intake = index == course.intake
    is_closing = course.closing is not None and index == course.closing
    periodic = is_intake or is_closing or (k > 0 and k % PERIODIC_INTERVAL == 0)
    if is_intake:
        kind = "indskrivning"
    elif is_closing:
        kind = "afslutning"
    elif periodic:
        kind = "periodisk"
    else:
        kind = "maanedlig"
    return Measurement(kind, k, periodic)


def course_length_months(course: CourseMonths, closing_answers: Mapping[str, Any] | None = None,
                         last_report_month: object = None) -> int | None:
    """Course length in whole months: Q40's month (closed course) or the last report month (open
    course) minus :attr:`CourseMonths.start`. None when the end is unknown or before the start."""
    end = month_index(closing_answers.get("q40")) if closing_answers else None
    if end is None:
        end = month_index(last_report_month)
    if end is None or end < course.start:
        return None
    return end - course.start


# -- monthly time ----------------------------------------------------------------------------------


def minutes(answers: Mapping[str, Any], key: str) -> int | None:
    """Minutes of a ``duration_hm`` answer (``q26_tid``, ``q30_tid``): the stored int minutes, or
    ``<key>_timer`` × 60 + ``<key>_minutter`` if only the raw form fields are present."""
    value = answers.get(key)
    if type(value) is int:
        return value if value >= 0 else None
    hours, mins = answers.get(f"{key}_timer"), answers.get(f"{key}_minutter")
    if hours is None and mins is None:
        return None
    hours = 0 if hours is None else hours
    mins = 0 if mins is None else mins
    if type(hours) is not int or type(mins) is not int or hours < 0 or mins < 0:
        return None
    return hours * 60 + mins


def running_totals(values: Iterable[int | None]) -> list[int]:
    """Cumulative sums in report order; a month without a value adds 0."""
    total = 0
    out = []
    for value in values:
        if type(value) is int:
            total += value
        out.append(total)
    return out


# -- background variables --------------------------------------------------------------------------


def koen(answers: Mapping[str, Any]) -> int | None:
    """Q3: 1 = mand, 2 = kvinde; 3 Uoplyst → None."""
    value = _code(answers, "q3")
    return value if value in (1, 2) else None


def aldersgruppe(answers: Mapping[str, Any]) -> int | None:
    """Q4 age band 1-6; 7 Uoplyst → None."""
    value = _code(answers, "q4")
    return value if value is not None and 1 <= value <= 6 else None


def etnisk_minoritet(answers: Mapping[str, Any]) -> int | None:
    """Q8: 2 or 3 (indvandrer) → 1; 1 (Danmark) → 0; 4 Uoplyst → None."""
    value = _code(answers, "q8")
    if value in (2, 3):
        return 1
    if value == 1:
        return 0
    return None


def boligtilstand(answers: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """Q21: (number of ticked conditions 1-7, any condition 0/1). "Ingen af ovenstående" (0) gives
    (0, 0); 77 Ved ikke or unanswered gives (None, None)."""
    codes = _codes(answers, "q21")
    if codes is None or not codes or 77 in codes:
        return None, None
    count = sum(1 for c in set(codes) if 1 <= c <= 7)
    return count, int(count > 0)


def failed_visits(answers: Mapping[str, Any]) -> tuple[int | None, int | None, int]:
    """(Q50, Q51, derived flag) per R18/E43/D9: when Q48 = 0 the form hides Q50/Q51 and the export
    sets Q50 := Q49, Q51 := 0 with the flag 1; otherwise the answers as given and flag 0."""
    if _code(answers, "q48") == 0:
        q49 = _code(answers, "q49")
        if q49 is not None:
            return q49, 0, 1
        return None, None, 0
    return _code(answers, "q50"), _code(answers, "q51"), 0


# -- Isbryder target group (§5.4, D10) --------------------------------------------------------------


def _in(value: int | None, yes: Collection[int], unknown: Collection[int] = (77,)) -> Tri:
    if value is None or value in unknown:
        return None
    return int(value in yes)


def _and(*values: Tri) -> Tri:
    if any(v == 0 for v in values):
        return 0
    if all(v == 1 for v in values):
        return 1
    return None


def _or(*values: Tri) -> Tri:
    if any(v == 1 for v in values):
        return 1
    if all(v == 0 for v in values):
        return 0
    return None


@dataclass(frozen=True)
class IsbryderFlag:
    """The four components and the flag: 1 = yes, 0 = no, None = cannot be decided."""

    sindslidende: Tri
    isoleret: Tri
    uacceptable_forhold: Tri
    egen_bolig: Tri
    maalgruppe: Tri


def isbryder_target_group(answers: Mapping[str, Any], *, include_functionally_homeless: bool = False) -> IsbryderFlag:
    """The proposed Isbryder flag (spec §5.4, D10) on the start measurement.

    Pass the intake report's answers (Del 1 with Q6, Q9, Q10, Q18 and the start measurement of
    Del 2 with Q21, Q24, Q25); if Q18 was answered later (E18), merge it in. Three-valued logic:
    a component is unknown (None) when the answers it needs are missing or "Ved ikke"/"Uoplyst";
    the flag is 0 as soon as one component is 0, 1 when all are 1, otherwise None.

    * C1 sindslidende: Q9 = 1 or 1 ∈ Q10 (Q10 is optional: unanswered counts as "not ticked").
    * C2 isoleret: Q24 ∈ {0, 1} and (Q25 ∈ {0, 1} or Q18 ∈ {2, 3}).
    * C3 uacceptable forhold: at least one of Q21's codes 1-7.
    * C4 egen bolig: Q6 = 1 (with ``include_functionally_homeless`` also Q6 = 4).
    """
    q9 = _code(answers, "q9")
    q10 = _codes(answers, "q10") or []
    if q9 == 1 or 1 in q10:
        c1: Tri = 1
    elif q9 is not None:
        c1 = 0
    else:
        c1 = None

    c2 = _and(
        _in(_code(answers, "q24"), {0, 1}),
        _or(_in(_code(answers, "q25"), {0, 1}), _in(_code(answers, "q18"), {2, 3}, unknown={4})),
    )

    count, _any = boligtilstand(answers)
    c3: Tri = None if count is None else int(count > 0)

    q6 = _code(answers, "q6")
    homes = {1, 4} if include_functionally_homeless else {1}
    c4 = _in(q6, homes, unknown={6})

    return IsbryderFlag(c1, c2, c3, c4, _and(c1, c2, c3, c4))


# -- codebook --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DerivedVariable:
    """A derived export column: name, Danish label, value type and the rule in Danish."""

    name: str
    label: str
    type: str
    rule: str
    sources: tuple[str, ...]


DERIVED_VARIABLES: tuple[DerivedVariable, ...] = (
    DerivedVariable(
        "maaling_type", "Målingstype", "tekst",
        "'indskrivning' for forløbets første indberetning, 'afslutning' for indberetningen der afslutter "
        "forløbet (Del 7), 'periodisk' når antal måneder siden kontaktstart er 4, 8, 12 …, ellers 'maanedlig'. "
        "Afsluttes forløbet samme måned som indskrivningen, er typen 'indskrivning'.",
        ("q16", "q16_dato"),
    ),
    DerivedVariable(
        "maaneder_siden_kontaktstart", "Måneder siden kontaktstart", "heltal",
        "Indberetningsmåned minus måneden for kontaktstart (spm. 16 når en dato er angivet, ellers måneden for "
        "forløbets første indberetning). 0 = kontaktstartens måned.",
        ("q16", "q16_dato"),
    ),
    DerivedVariable(
        "periodisk_maaling", "Periodisk måling (Del 2, 5, 6)", "0/1",
        "1 når Del 2, 5 og 6 var med i indberetningen: ved indskrivning, ved afslutning og hver 4. måned "
        "fra kontaktstart; ellers 0.",
        ("q16", "q16_dato"),
    ),
    DerivedVariable(
        "tid_med_bruger_min", "Tid med brugeren i måneden (minutter)", "heltal",
        "Spm. 26 timer × 60 + minutter. Tom hvis ikke besvaret.", ("q26_tid",),
    ),
    DerivedVariable(
        "tid_med_bruger_min_akk", "Tid med brugeren, akkumuleret (minutter)", "heltal",
        "Sum af tid med brugeren i forløbets indberetninger til og med denne måned; ubesvarede måneder tæller 0.",
        ("q26_tid",),
    ),
    DerivedVariable(
        "tid_brobygning_min", "Tid til brobygning i måneden (minutter)", "heltal",
        "Spm. 30 timer × 60 + minutter. Tom hvis ikke besvaret.", ("q30_tid",),
    ),
    DerivedVariable(
        "tid_brobygning_min_akk", "Tid til brobygning, akkumuleret (minutter)", "heltal",
        "Sum af brobygningstid i forløbets indberetninger til og med denne måned; ubesvarede måneder tæller 0.",
        ("q30_tid",),
    ),
    DerivedVariable(
        "forloeb_laengde_mdr", "Forløbets længde (måneder)", "heltal",
        "Måneden for sidste kontakt (spm. 40) minus måneden for kontaktstart (spm. 16; ellers spm. 17; ellers "
        "forløbets første indberetning). For åbne forløb: seneste indberetningsmåned minus kontaktstart.",
        ("q16_dato", "q17_dato", "q40"),
    ),
    DerivedVariable(
        "forloeb_afsluttet", "Forløbet er afsluttet", "0/1",
        "1 når forløbet er afsluttet med Del 7 (udskrivning), ellers 0.", ("q40",),
    ),
    DerivedVariable("koen", "Køn", "kode", "Spm. 3: 1 = mand, 2 = kvinde; 3 (uoplyst) bliver tom.", ("q3",)),
    DerivedVariable(
        "aldersgruppe", "Aldersgruppe", "kode", "Spm. 4, kode 1-6; 7 (uoplyst) bliver tom.", ("q4",),
    ),
    DerivedVariable(
        "etnisk_minoritet", "Etnisk minoritet", "0/1",
        "Spm. 8: kode 2 eller 3 (indvandrer) = 1; kode 1 (Danmark) = 0; kode 4 (uoplyst) bliver tom.", ("q8",),
    ),
    DerivedVariable(
        "boligtilstand_antal", "Boligtilstand: antal forhold", "heltal",
        "Spm. 21: antal afkrydsede forhold blandt kode 1-7; 'Ingen af ovenstående' (0) = 0; 'Ved ikke' (77) "
        "eller ubesvaret bliver tom.",
        ("q21",),
    ),
    DerivedVariable(
        "boligtilstand_nogen", "Boligtilstand: mindst ét forhold", "0/1",
        "1 når mindst ét af forholdene 1-7 i spm. 21 er afkrydset, 0 ved 'Ingen af ovenstående', tom ved 'Ved "
        "ikke' eller ubesvaret.",
        ("q21",),
    ),
    DerivedVariable(
        "q50_afledt", "Forgæves fremmøder før første samværsmøde (afledt)", "heltal",
        "Som spm. 50; når spm. 48 = 0 (spm. 50-51 ikke stillet) sættes værdien til spm. 49 (E43/D9).",
        ("q48", "q49", "q50"),
    ),
    DerivedVariable(
        "q51_afledt", "Forgæves fremmøder efter første samværsmøde (afledt)", "heltal",
        "Som spm. 51; når spm. 48 = 0 sættes værdien til 0 (E43/D9).", ("q48", "q51"),
    ),
    DerivedVariable(
        "q50_q51_afledt", "Spm. 50-51 er afledt", "0/1",
        "1 når spm. 50 og 51 er afledt af spm. 48 = 0 og spm. 49 i stedet for besvaret, ellers 0.",
        ("q48",),
    ),
    DerivedVariable(
        "isbryder_c1_sindslidende", "Isbryder-komponent 1: sindslidende", "0/1",
        "1 når spm. 9 = 1 (sindslidende) eller 'Sindslidende' (1) er afkrydset i spm. 10; 0 når spm. 9 er "
        "besvaret med en anden kode og 1 ikke er afkrydset i spm. 10; tom når spm. 9 mangler.",
        ("q9", "q10"),
    ),
    DerivedVariable(
        "isbryder_c2_isoleret", "Isbryder-komponent 2: isoleret", "0/1",
        "1 når spm. 24 er 0 eller 1 (aldrig / mindre end 1 gang om måneden kontakt med familie og venner) og "
        "enten spm. 25 er 0 eller 1 eller spm. 18 er 2 eller 3 (kun offentlig forsørgelse / ingen kontakt til "
        "det offentlige). 0 når én af betingelserne med sikkerhed ikke er opfyldt; tom når 'Ved ikke' eller "
        "manglende svar gør det uafgjort.",
        ("q24", "q25", "q18"),
    ),
    DerivedVariable(
        "isbryder_c3_uacceptable_forhold", "Isbryder-komponent 3: lever under uacceptable forhold", "0/1",
        "1 når mindst ét af forholdene 1-7 i spm. 21 er afkrydset; 0 ved 'Ingen af ovenstående'; tom ved "
        "'Ved ikke' eller ubesvaret.",
        ("q21",),
    ),
    DerivedVariable(
        "isbryder_c4_egen_bolig", "Isbryder-komponent 4: bor i egen bolig", "0/1",
        "1 når spm. 6 = 1 (egen bolig); hvis udtrækket er lavet med 'funktionelt hjemløse medregnes', også "
        "spm. 6 = 4. 0 ved andre boligformer; tom ved 'Uoplyst' (6) eller ubesvaret.",
        ("q6",),
    ),
    DerivedVariable(
        "isbryder_maalgruppe", "Tilhører Isbryder-målgruppen (foreslået definition)", "0/1",
        "1 når alle fire komponenter er 1; 0 når mindst én komponent er 0; ellers tom. Beregnet på "
        "startmålingen (indskrivningens Del 1 og Del 2). Skemaet kan ikke måle negative eller overfladiske "
        "kontakter, så afgrænsningen er forsigtig (spec §5.4, D10).",
        ("q6", "q9", "q10", "q18", "q21", "q24", "q25"),
    ),
)
