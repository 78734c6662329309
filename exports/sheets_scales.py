"""The "Skalaer" sheet (scale scores per measurement, long format) and the "Reliabilitet" sheet
(Cronbach's alpha with n per scale and measurement), both computed while the rows stream by."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

from exports.derived import measurement, month_index
from exports.pseudonyms import Pseudonymizer
from exports.scales import ScaleSpec, alpha_label, item_values, score_values
from exports.sheets_common import (
    AskedAnswers,
    CodebookRow,
    ReportRecord,
    SurveyRecord,
    applicable,
    is_intake,
    month_value,
    months_of,
)
from exports.sheets_survey import WAVES, latest_waves

ALL = "alle"
#: Alpha is not reported on fewer complete answers than this (D23): shown as "for få".
MIN_ALPHA_N = 10
TOO_FEW = "for få"


class AlphaAccumulator:
    """Cronbach's alpha over complete cases, fed one row at a time (same exact arithmetic as
    :func:`exports.scales.cronbach_alpha`, so only sums are kept, never the rows)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.n = 0
        self.sums = [0] * k
        self.squares = [0] * k
        self.total = 0
        self.total_squares = 0

    def add(self, values: list[int | None]) -> None:
        if any(v is None for v in values):
            return
        self.n += 1
        row_total = 0
        for i, v in enumerate(values):
            self.sums[i] += v  # type: ignore[operator]
            self.squares[i] += v * v  # type: ignore[operator]
            row_total += v  # type: ignore[operator]
        self.total += row_total
        self.total_squares += row_total * row_total

    @property
    def alpha(self) -> float | None:
        n, k = self.n, self.k
        if n < 2 or k < 2:
            return None
        item_var = sum(n * self.squares[i] - self.sums[i] * self.sums[i] for i in range(k))
        total_var = n * self.total_squares - self.total * self.total
        if total_var == 0:
            return None
        return float(Fraction(k, k - 1) * (1 - Fraction(item_var) / Fraction(total_var)))


class AlphaTable:
    """Accumulators per (scale, measurement), in first-seen order."""

    header = ["skala", "skala_navn", "maaling", "alpha", "n", "antal_items", "vurdering"]

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, str], AlphaAccumulator] = {}
        self._pairs: dict[tuple[str, str, str], tuple[AlphaAccumulator, AlphaAccumulator]] = {}

    def add(self, spec: ScaleSpec, measurement_label: str, values: list[int | None]) -> None:
        pair = self._pairs.get((spec.key, spec.label, measurement_label))
        if pair is None:  # the measurement's and the "alle" accumulator, created in that order (row order)
            for label in (measurement_label, ALL):
                key = (spec.key, spec.label, label)
                if key not in self.groups:
                    self.groups[key] = AlphaAccumulator(len(spec.items))
            pair = (self.groups[(spec.key, spec.label, measurement_label)], self.groups[(spec.key, spec.label, ALL)])
            self._pairs[(spec.key, spec.label, measurement_label)] = pair
        for accumulator in pair:
            accumulator.add(values)

    def overall(self, spec: ScaleSpec) -> AlphaAccumulator:
        """The accumulator of ``spec`` over every measurement (row 'alle'; empty when none was seen)."""
        return self.groups.get((spec.key, spec.label, ALL)) or AlphaAccumulator(len(spec.items))

    def rows(self) -> Iterator[list[object]]:
        for (key, label, which), acc in self.groups.items():
            if acc.n < MIN_ALPHA_N:
                yield [key, label, which, None, acc.n, acc.k, TOO_FEW]
                continue
            alpha = acc.alpha
            yield [key, label, which, None if alpha is None else round(alpha, 6), acc.n, acc.k, alpha_label(alpha)]

    @staticmethod
    def codebook(sheet: str) -> list[CodebookRow]:
        return [
            CodebookRow(sheet, "skala", "Skalaens nøgle", "tekst"),
            CodebookRow(sheet, "skala_navn", "Skalaens navn", "tekst"),
            CodebookRow(sheet, "maaling", "Målingen alfa er beregnet på", "tekst",
                        rule="Indberetninger: målingstype (indskrivning, periodisk, afslutning …); sagsbehandlere: "
                             "baseline eller opfoelgning; 'alle' = alle målinger samlet."),
            CodebookRow(sheet, "alpha", "Cronbachs alfa (6 decimaler)", "decimaltal",
                        rule="k/(k-1) · (1 - Σ var(item) / var(sum)) på komplette besvarelser (ingen manglende "
                             "items; 77 og ikke relevant tæller som manglende). Tom ved færre end 10 komplette "
                             "besvarelser (vurdering 'for få') eller ingen varians."),
            CodebookRow(sheet, "n", "Antal komplette besvarelser brugt", "heltal"),
            CodebookRow(sheet, "antal_items", "Antal items i skalaen", "heltal"),
            CodebookRow(sheet, "vurdering", "Tolkning af alfa (Fremragende, God, Acceptabel, Tvivlsom, Dårlig, "
                                            "Uacceptabel)", "tekst"),
        ]


class ScaleSheet:
    """Scale scores per measurement: SKP scales per report, the caseworker scale per wave."""

    header = ["kilde", "person", "forloeb", "maaling", "tidspunkt", "skala", "score", "gennemsnit",
              "antal_besvaret", "antal_items", "prorateret"]

    def __init__(self, specs: list[ScaleSpec], caseworker: ScaleSpec | None, pseudonyms: Pseudonymizer,
                 date_mode: str, alpha: AlphaTable, *, named: bool = True, paired: Any = None,
                 effect: Any = None) -> None:
        """``named=False`` (the anonymised export): SKP rows carry the course pseudonym only, not the
        client's (which would link a client's courses). ``paired``: an
        :class:`exports.sheets_paired.PairedSheet` that gets every SKP score as it is computed;
        ``effect``: an :class:`exports.effect.EffectCollector` that gets every report's scores."""
        self.named = named
        self.paired = paired
        self.effect = effect
        #: Earlier caseworker responses of a wave kind left out (only the latest counts).
        self.survey_dropped = [0]
        self.specs = specs
        self.caseworker = caseworker
        self.p = pseudonyms
        self.date_mode = date_mode
        self.alpha = alpha
        self.data_errors = 0
        self._due: dict[frozenset[str], list[tuple[int, ScaleSpec]]] = {}

    def _row(self, source: str, person: str, course: str | None, which: str, when: object, spec: ScaleSpec,
             answers: Mapping[str, Any]) -> tuple[list[object], int | float | None] | None:
        """The sheet's row and the unrounded score; None on a data error (counted)."""
        try:
            values = item_values(spec, answers)
        except ValueError:
            self.data_errors += 1
            return None
        score = score_values(spec, values)
        self.alpha.add(spec, which, values)
        mean = None if score.mean is None else round(score.mean, 6)
        value = score.score if not isinstance(score.score, float) else round(score.score, 6)
        return [source, person, course, which, when, spec.key, value, mean, score.n_answered, score.n_items,
                int(score.prorated)], score.score

    def course_rows(self, course: list[ReportRecord], definition_for: Callable[[int], Any]) -> Iterator[list[object]]:
        """The scale rows of one course's reports (and their items into the alpha table)."""
        if course:
            months = months_of(course[0], course[0].answers if is_intake(course[0]) else None)
            for record in course:
                asked = applicable(definition_for, record)
                due = self._due.get(asked)
                if due is None:  # few distinct asked sets (they come from the rules' memo): remember each
                    due = [(i, spec) for i, spec in enumerate(self.specs) if asked.intersection(spec.items)]
                    if len(self._due) >= 4096:
                        self._due.clear()
                    self._due[asked] = due
                if not due:
                    continue
                answers = AskedAnswers(record.answers or {}, asked)
                m = measurement(record.period, months)
                when = month_value(month_index(record.period), months.anchor, self.date_mode)
                scores: list[float | None] = [None] * len(self.specs)
                person = self.p.client(record.client_id) if self.named else None
                course_pseudonym = self.p.course(record.course_id)
                for i, spec in due:
                    made = self._row("indberetning", person, course_pseudonym, m.type, when, spec, answers)
                    if made is not None:
                        row, score = made
                        scores[i] = None if score is None else float(score)
                        if self.paired is not None:
                            self.paired.add(spec.key, m, row[6])
                        yield row
                if self.effect is not None:
                    self.effect.scored(record, m, scores)

    def survey_rows(self, records: Iterable[SurveyRecord]) -> Iterator[list[object]]:
        """The caseworker scale per response: the latest response of each wave kind per caseworker,
        the same responses as the wide sheet "Sagsbehandlere" (:func:`latest_waves`)."""
        if self.caseworker is None:
            return
        for record in latest_waves(records, self.survey_dropped):
            if record.wave_kind not in WAVES:
                continue
            when = month_value(month_index(record.wave_month), None, "year_month")
            made = self._row("sagsbehandler", self.p.caseworker(record.user_id), None, record.wave_kind, when,
                             self.caseworker, dict(record.answers or {}))
            if made is not None:
                yield made[0]

    def codebook(self, sheet: str) -> list[CodebookRow]:
        rules = " ".join(f"{spec.key} ({spec.label}): {spec.rule_da()}"
                         for spec in [*self.specs, *([self.caseworker] if self.caseworker else [])])
        return [
            CodebookRow(sheet, "kilde", "Kilde: 'indberetning' (SKP-skala) eller 'sagsbehandler'", "tekst"),
            CodebookRow(sheet, "person", "Klientens (K…) eller sagsbehandlerens (S…) pseudonym", "tekst"),
            CodebookRow(sheet, "forloeb", "Forløbets pseudonym (F…); tom for sagsbehandlere", "tekst"),
            CodebookRow(sheet, "maaling", "Måling: målingstype for indberetninger; baseline/followup for "
                                          "sagsbehandlere", "tekst"),
            CodebookRow(sheet, "tidspunkt", "Indberetningsmåned (ÅÅÅÅ-MM) eller måneder siden kontaktstart (efter "
                                            "udtrækkets datoformat); for sagsbehandlere målingens startmåned",
                        "ÅÅÅÅ-MM / heltal"),
            CodebookRow(sheet, "skala", "Skalaens nøgle", "tekst", rule=rules),
            CodebookRow(sheet, "score", "Skalascore (sum; prorateret ved manglende items)", "tal",
                        rule="Se reglen for skalaen under 'skala'. Tom når for få items er besvaret."),
            CodebookRow(sheet, "gennemsnit", "Gennemsnit af de besvarede items", "decimaltal"),
            CodebookRow(sheet, "antal_besvaret", "Antal besvarede items (77 og ikke relevant tæller ikke)", "heltal"),
            CodebookRow(sheet, "antal_items", "Antal items i skalaen", "heltal"),
            CodebookRow(sheet, "prorateret", "Scoren er prorateret (0/1)", "0/1"),
        ]
