"""The evaluators' workbook: report data, courses, caseworker survey, scales, alpha, codebook, "Om udtrækket".

Pure Python (no Flask, no database session): the caller hands plain records and the questionnaire
definitions; :func:`build_workbook` writes one streaming .xlsx (:class:`exports.xlsx.Workbook`).

Inputs
------
``reports``: a callable returning an iterable of :class:`ReportRecord`, submitted reports ordered
by course and month. It is called once: one course at a time, the records become the data sheet's
rows (written at once) and the course and scale rows, which wait in compressed temporary spools
(:class:`exports.spool.RowSpool`) until their sheets are written; memory stays flat whatever the
number of client-months.
``survey``: a callable returning :class:`SurveyRecord` (submitted caseworker responses), called twice.

Sheets (Danish names, in order)
-------------------------------
``Indberetninger`` one row per client-month; ``Forløb`` one row per course (intake and closing
answers, derived variables of spec §5.3, Isbryder flag and its components, §5.4);
``Sagsbehandlere`` one row per caseworker, baseline and follow-up side by side; ``Skalaer`` one
row per measurement and scale (long format); ``Parret`` one row per course with the scale scores at
intake, every fourth month and closing side by side (:mod:`exports.sheets_paired`); ``Reliabilitet``
Cronbach's alpha with n per scale and measurement; ``Kodebog`` one row per column of every data sheet; ``Om udtrækket``.

Values
------
Codes stay the stored ints; a multi-choice question becomes one 0/1 column per option; a grid one
column per item. Three kinds of "no value" are kept apart: :data:`NOT_APPLICABLE` (-999, the
question was not asked: its part was not due that month or a rule hid it), an empty cell (asked,
not answered) and the printed missing codes (77 "Ved ikke", "Uoplyst" …) as stored. Anonymisation
is not optional: ids become pseudonyms, dates year-month or months since contact start, and only
keys of :class:`exports.anonymise.AllowList` get a column (free text only on opt-in, scanned).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from exports.anonymise import AllowList
from exports.definitions import answer_fields, scale_specs
from exports.disclosure import DisclosurePlan, load_declaration, protect
from exports.effect import SHEETS as EFFECT_SHEETS  # effect evaluation (D26): see exports/effect.py
from exports.effect import EffectCollector
from exports.pseudonyms import Pseudonymizer
from exports.scales import ScaleSpec
from exports.sheets_common import (
    NOT_APPLICABLE,
    NOT_APPLICABLE_MONTH,
    NOT_APPLICABLE_TEXT,
    CodebookRow,
    ReportRecord,
    SurveyRecord,
    by_course,
    write_codebook,
)
from exports.sheets_courses import CourseSheet, course_background, quasi_raw
from exports.sheets_paired import PairedSheet
from exports.sheets_reports import ReportSheet
from exports.sheets_scales import AlphaTable, ScaleSheet
from exports.sheets_survey import SurveySheet, caseworker_scale
from exports.spool import RowSpool
from exports.suppression import suppress_table
from exports.xlsx import Workbook

__all__ = [
    "NOT_APPLICABLE",
    "SHEETS",
    "ExportOptions",
    "ExportResult",
    "ReportRecord",
    "SurveyRecord",
    "build_workbook",
]

MODES = ("anonymised", "pseudonymised")
#: The answer keys behind the declared quasi-identifiers (released only generalised, on Forløb).
QUASI_ANSWER_KEYS = frozenset({"q3", "q4", "q5", "q6", "q7", "q8"})

SHEETS = {
    "reports": "Indberetninger",
    "courses": "Forløb",
    "survey": "Sagsbehandlere",
    "scales": "Skalaer",
    "paired": "Parret",
    "alpha": "Reliabilitet",
    **EFFECT_SHEETS,
    "codebook": "Kodebog",
    "about": "Om udtrækket",
}


@dataclass
class ExportOptions:
    """How to anonymise and what to say about it. ``filters``: Danish label → value, for the file
    and the audit log. ``known_terms``: nicknames and names the free-text scan must catch."""

    pseudonyms: Pseudonymizer
    created_at: datetime
    date_mode: str = "year_month"
    include_free_text: bool = False
    known_terms: Sequence[str] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    zip64: bool = True
    #: ``anonymised`` (default: disclosure control to k ≥ 5, :mod:`exports.disclosure`) or
    #: ``pseudonymised`` (row-level microdata for a named recipient with a legal basis; no k).
    mode: str = "anonymised"
    legal_basis: str = ""
    recipient: str = ""
    #: An :class:`exports.statistics.StatisticsFiles` that keeps the data sheets' rows for
    #: .sav/.dta/.csv (the same rows as the workbook); None = the workbook only.
    statistics: Any = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.mode == "pseudonymised" and not (self.legal_basis.strip() and self.recipient.strip()):
            raise ValueError("pseudonymised microdata need a legal basis and a recipient")


@dataclass
class ExportResult:
    """What was written: rows per sheet, the file's SHA-256 and size, and the withheld texts."""

    row_counts: dict[str, int]
    sha256: str
    bytes_written: int
    withheld_texts: int
    definition_versions: dict[str, list[int]]
    disclosure: dict[str, Any] | None = None
    #: With statistics files (:mod:`exports.statistics`): the files written and seconds per format.
    files: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int], None]


def build_workbook(
    target: str | IO[bytes],
    *,
    reports: Callable[[], Iterable[ReportRecord]],
    survey: Callable[[], Iterable[SurveyRecord]],
    skp_definition: Any,
    caseworker_definition: Any,
    options: ExportOptions,
    definition_loader: Callable[[str, int], Any] | None = None,
    progress: Progress | None = None,
    quasi_reports: Callable[[], Iterable[ReportRecord]] | None = None,
) -> ExportResult:
    """Write the whole workbook to ``target`` (a path or a binary stream); see the module docstring.

    ``definition_loader(key, version)`` gives older definition versions for the applicability rules
    of old reports (default: ``skp_definition`` for every version).

    In the anonymised mode the courses' quasi-identifiers are read first, from ``quasi_reports``
    (the same records in the same order; only the intake and closing reports need their answers)
    or else from ``reports``, and protected (:func:`exports.disclosure.protect`) before any row is
    written. Calendar months then never leave (dates are months since contact start), and a course
    that appears only in the second pass (submitted meanwhile) is left out.
    """
    report = progress or (lambda sheet, rows: None)
    anonymised = options.mode == "anonymised"
    date_mode = "months_since_start" if anonymised else options.date_mode
    skp_allow = AllowList(answer_fields(skp_definition), include_free_text=options.include_free_text,
                          date_mode=date_mode, known_terms=options.known_terms,  # type: ignore[arg-type]
                          quasi_keys=QUASI_ANSWER_KEYS if anonymised else ())
    cw_allow = AllowList(answer_fields(caseworker_definition), include_free_text=options.include_free_text,
                         date_mode="year_month", known_terms=options.known_terms)

    def loader(version: int) -> Any:
        if definition_loader is None or version == skp_definition.version:
            return skp_definition
        return definition_loader(skp_definition.key, version)

    versions: dict[str, set[int]] = {skp_definition.key: set(), caseworker_definition.key: set()}
    codebook: list[CodebookRow] = []
    p = options.pseudonyms
    plan: DisclosurePlan | None = None
    released = None
    if anonymised:
        with _few_collections():  # the pre-pass streams as many records as the main pass
            plan, released = _protect(quasi_reports or reports, loader, report)
    with (_few_collections(), Workbook(target, zip64=options.zip64) as xlsx_book,
          RowSpool() as course_rows, RowSpool() as scale_rows, RowSpool() as paired_rows):
        book = xlsx_book if options.statistics is None else options.statistics.tee(xlsx_book)
        data = ReportSheet(skp_definition, skp_allow, p, date_mode, loader, released)
        courses = CourseSheet(skp_definition, skp_allow, p, date_mode, loader, released,
                              plan.declaration if plan else None)
        cw_scale = caseworker_scale(caseworker_definition)
        alpha = AlphaTable()
        specs: list[ScaleSpec] = scale_specs(skp_definition)
        paired = PairedSheet(specs)
        # effect evaluation (D26): one course at a time, fed the scores by the scale sheet; sheets below
        effects = EffectCollector(specs, loader, alpha_table=alpha)
        scales = ScaleSheet(specs, cw_scale, p, date_mode, alpha, named=not anonymised, paired=paired,
                            effect=effects)

        # One pass over the reports: the data sheet is written as it goes, the course and scale
        # rows wait in spools until their sheets' turn.
        book.add_sheet(SHEETS["reports"], data.header)
        n = 0
        stream = reports() if plan is None or plan.reached else ()
        for course in by_course(_tracked(stream, versions[skp_definition.key])):
            if released is not None and not released.knows(course[0].course_id):
                released.late += 1
                continue
            for row in data.course_rows(course):
                book.write_row(row)
                n += 1
                if n % 2000 == 0:
                    report(SHEETS["reports"], n)
            background = course_background(course, loader)  # for the course sheet and the effect evaluation
            course_rows.add(courses.course_row(course, background))
            scale_rows.extend(scales.course_rows(course, loader))
            paired_rows.add(paired.course_row(p.course(course[0].course_id)))
            effects.add(course, background)
        codebook += data.codebook(SHEETS["reports"])

        book.add_sheet(SHEETS["courses"], courses.header)
        for n, row in enumerate(course_rows, 1):
            book.write_row(row)
            if n % 500 == 0:
                report(SHEETS["courses"], n)
        codebook += courses.codebook(SHEETS["courses"])

        people = SurveySheet(caseworker_definition, cw_allow, p, cw_scale)
        people.count_units(survey())
        book.add_sheet(SHEETS["survey"], people.header)
        for row in people.rows(_tracked(survey(), versions[caseworker_definition.key])):
            book.write_row(row)
        codebook += people.codebook(SHEETS["survey"])

        book.add_sheet(SHEETS["scales"], scales.header)
        for row in scale_rows:
            book.write_row(row)
        for row in scales.survey_rows(survey()):
            book.write_row(row)
        codebook += scales.codebook(SHEETS["scales"])
        report(SHEETS["scales"], book.row_counts[SHEETS["scales"]])

        book.add_sheet(SHEETS["paired"], paired.header)
        for row in paired.rows(paired_rows):
            book.write_row(row)
        codebook += paired.codebook(SHEETS["paired"])

        book.add_sheet(SHEETS["alpha"], AlphaTable.header)
        for row in alpha.rows():
            book.write_row(row)
        codebook += alpha.codebook(SHEETS["alpha"])

        codebook += effects.write(book)  # "Effekt", "Grupper", "Regression", "Effektmetode" (exports/effect.py)

        book.add_sheet(SHEETS["codebook"], CodebookRow.header)
        write_codebook(book, codebook)
        if options.statistics is not None:
            options.statistics.codebook = list(codebook)

        counts = dict(book.row_counts)
        book.add_sheet(SHEETS["about"], ["Emne", "Beskrivelse"], freeze_header=False)
        for row in _about_rows(options, counts, versions, skp_allow, cw_allow, courses.municipality_counts, plan,
                               released.late if released is not None else 0, scales.survey_dropped[0]):
            book.write_row(row)
        book.close()
        result = ExportResult(
            row_counts=dict(book.row_counts), sha256=book.sha256, bytes_written=book.bytes_written,
            withheld_texts=sum(skp_allow.withheld.values()) + sum(cw_allow.withheld.values()),
            definition_versions={k: sorted(v) for k, v in versions.items()},
            disclosure=plan.summary() if plan is not None else None,
        )
    return result


class Released:
    """The released quasi-identifiers by course id (a callable for the sheets)."""

    def __init__(self, plan: DisclosurePlan, course_ids: list[int]) -> None:
        self.plan = plan
        self.index = {course_id: i for i, course_id in enumerate(course_ids)}
        self.late = 0

    def knows(self, course_id: int) -> bool:
        return course_id in self.index

    def __call__(self, course_id: int) -> dict[str, Any]:
        return self.plan.values(self.index[course_id])


def _protect(source: Callable[[], Iterable[ReportRecord]], loader: Callable[[int], Any],
             report: Progress) -> tuple[DisclosurePlan, Released]:
    """The pre-pass of the anonymised export: every course's quasi-identifiers, protected."""
    course_ids: list[int] = []
    raw: list[dict[str, Any]] = []
    for course in by_course(source()):
        course_ids.append(course[0].course_id)
        raw.append(quasi_raw(course, loader))
    report("Anonymisering", len(raw))
    plan = protect(raw, load_declaration())
    return plan, Released(plan, course_ids)


_GC_LOCK = threading.Lock()
_GC_STATE: dict[str, Any] = {"active": 0, "saved": None}


@contextlib.contextmanager
def _few_collections(threshold: int = 100_000) -> Iterator[None]:
    """Fewer cyclic-GC passes while millions of short-lived dicts and lists stream by.

    The export creates no reference cycles of its own (refcounting frees every row), yet with the
    default threshold the collector would run every 700 allocations and, as survivors pile up,
    sweep the whole heap; the app's long-lived objects are frozen out of those sweeps meanwhile.
    The thresholds are per process: overlapping exports (web threads) share one setting, and the
    last one to finish restores what was there before.
    """
    with _GC_LOCK:
        if _GC_STATE["active"] == 0:
            _GC_STATE["saved"] = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(threshold, *_GC_STATE["saved"][1:])
        _GC_STATE["active"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["active"] -= 1
            if _GC_STATE["active"] == 0:
                gc.set_threshold(*_GC_STATE["saved"])
                gc.unfreeze()


def _tracked(records: Iterable[Any], seen: set[int]) -> Iterable[Any]:
    for record in records:
        seen.add(record.definition_version)
        yield record


def _about_rows(options: ExportOptions, counts: Mapping[str, int], versions: Mapping[str, set[int]],
                skp_allow: AllowList, cw_allow: AllowList,
                municipality_counts: Mapping[str, Counter[str]], plan: DisclosurePlan | None,
                late: int, survey_dropped: int = 0) -> Iterable[list[object]]:
    anonymised = plan is not None
    protection = "Anonymisering" if anonymised else "Databeskyttelse"
    yield ["Udtrukket", options.created_at.strftime("%Y-%m-%d %H:%M UTC")]
    if anonymised:
        yield ["Udtrækstype", "Anonymiseret udtræk: kvasi-identifikatorer generaliseret og undertrykt til k ≥ 5 "
                              "(se Kvasi-identifikatorer nedenfor)."]
    else:
        yield ["Udtrækstype", "Pseudonymiserede mikrodata (personoplysninger efter databeskyttelsesforordningen). "
                              "Der er ikke håndhævet nogen k; rækkerne kan kobles til personer af den, der kender "
                              "deres forhold. Må kun bruges af modtageren til det formål, hjemlen dækker."]
        yield ["Modtager", options.recipient]
        yield ["Hjemmel", options.legal_basis]
    if options.filters:
        for label, value in options.filters.items():
            yield [f"Filter: {label}", value]
    else:
        yield ["Filtre", "Ingen"]
    yield from _scope_rows(options, survey_dropped)
    yield ["Pseudonymer", options.pseudonyms.describe()]
    if anonymised:
        yield ["Pseudonymtyper", "F = forløb, S = sagsbehandler, E = enhed. Klient og SKP-medarbejder udleveres ikke "
                                 "(de ville koble forløb sammen)."]
    else:
        yield ["Pseudonymtyper", "K = klient, M = SKP-medarbejder, F = forløb, S = sagsbehandler, E = enhed."]
    for key, seen in versions.items():
        text = ", ".join(str(v) for v in sorted(seen)) or "ingen besvarelser"
        yield [f"Definitionsversioner: {key}", text]
    for sheet, count in counts.items():
        yield [f"Rækker: {sheet}", count]
    yield ["Ikke relevant", NOT_APPLICABLE_TEXT + ": delen var ikke med den måned, eller en regel skjulte "
                            "spørgsmålet. Tom celle = spørgsmålet blev stillet, men ikke besvaret. De trykte "
                            "koder for manglende svar (fx 77 = Ved ikke) står uændret; se Kodebog."]
    if skp_allow.date_mode == "year_month":
        yield ["Ikke relevant", f"I datokolonnerne (ÅÅÅÅ-MM) står ikke relevant som teksten '{NOT_APPLICABLE_MONTH}', "
                                "så hver datokolonne kun har én type (tekst)."]
    yield ["Udvalg", "Kun indsendte indberetninger og besvarelser. Forløb med mindst én indsendt indberetning "
                     "i perioden; indskrivningssvar kun når indskrivningen ligger i perioden."]
    if plan is not None:
        for line in plan.report_da():
            yield ["Kvasi-identifikatorer", line]
        yield ["Kvasi-identifikatorer", "Månedsarket angiver tid som måneder siden kontaktstart; forløbets længde i "
                                        "måneder kan derfor aflæses dér. Kalendermåneder udleveres ikke."]
        if late:
            yield ["Kvasi-identifikatorer", f"{late} forløb kom til under udtrækket og er udeladt."]
    for line in skp_allow.report_da():
        yield [f"{protection} (indberetninger)", line]
    for line in cw_allow.report_da():
        yield [f"{protection} (sagsbehandlere)", line]
    yield [protection, "Kaldenavne, navne, initialer, e-mailadresser, systemnumre og Kommunal myndighed "
                       "udleveres aldrig. Ingen tekst i filen er en formel."]
    table = suppress_table(municipality_counts, columns=("Åbent", "Afsluttet", "Udsat"))
    yield ["Undertrykkelse", "Optællingen nedenfor (forløb pr. kommune og status) er undertrykt ved færre end 5 (x)."]
    for line in table.summary_da():
        yield ["Undertrykkelseslog", line]
    for row in table.as_rows(corner="Forløb pr. kommune"):
        yield ["Optælling", " | ".join("" if v is None else str(v) for v in row)]


def _scope_rows(options: ExportOptions, survey_dropped: int) -> Iterable[list[object]]:
    """Which sheet each filter applies to, and which caseworker responses the caseworker sheets hold."""
    client = f"{SHEETS['reports']}, {SHEETS['courses']}, {SHEETS['scales']} (kilde = indberetning), " \
             f"{SHEETS['paired']}, {SHEETS['alpha']} (klientskalaer)"
    caseworker = f"{SHEETS['survey']}, {SHEETS['scales']} (kilde = sagsbehandler), {SHEETS['alpha']} " \
                 "(sagsbehandler_koordinering)"
    months = [label for label in ("Fra måned", "Til måned")
              if options.filters.get(label) not in (None, "", "Ingen grænse")]
    if months:
        yield ["Filtre, der ikke gælder alle ark", f"{' og '.join(months)} gælder kun indberetningerne ({client}). "
                                                   f"Sagsbehandlerarkene ({caseworker}) har alle målinger i "
                                                   "kommune-udvalget, uanset måned."]
    else:
        yield ["Filtre, der ikke gælder alle ark", "Månedsfiltre (når de bruges) gælder kun indberetningerne "
                                                   f"({client}), ikke sagsbehandlerarkene ({caseworker})."]
    if options.mode == "anonymised":
        yield ["Filtre, der ikke gælder alle ark", "Datoformatet gælder ikke det anonymiserede udtræk: tid er måneder "
                                                   "siden kontaktstart; kalendertid kun generaliseret på Forløb. "
                                                   "Sagsbehandlernes målinger står med startmåned (ÅÅÅÅ-MM)."]
    yield ["Sagsbehandlerark", f"{caseworker} bygger på de samme besvarelser: pr. sagsbehandler den seneste "
                               "besvarelse af hver måling (baseline, opfølgning). "
                               + (f"{survey_dropped} tidligere besvarelser af samme måling er udeladt."
                                  if survey_dropped else "Ingen sagsbehandler har besvaret samme måling to gange.")]
    yield ["Parret", f"Arket {SHEETS['paired']} har én række pr. forløb med skalascorerne ved indskrivning, hver "
                     "fjerde måned efter kontaktstart (m4, m8 …) og ved afslutning side om side, til parret t-test. "
                     f"Samme scorer som {SHEETS['scales']}."]
