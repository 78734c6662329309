"""Seeded courses with skewed, realistic background facts, as ReportRecords (no database).

Real SKP populations are not uniform: most clients are Danish-born, unmarried, between 26 and 55,
live in their own home and alone; a few are 66+, immigrants, widowed, homeless; municipalities
differ in size by an order of magnitude; contact starts spread over two years and courses last
from one month to more than two years. Rare categories make courses more unique, which is what
disclosure control must cope with.

Each course has an intake report, a periodic report four months after contact start when the
course lasts that long, and a closing report when it is closed (about 60 %).
"""

from __future__ import annotations

import random
from datetime import date

import forms
from exports.workbook import ReportRecord
from forms.sample import sample_answers

SKP = forms.get_definition("skp_monthly")
PERIODIC = frozenset({"del2", "del5", "del6"})
INTAKE = frozenset({"del1", "del3", "del4"}) | PERIODIC
MONTHLY = frozenset({"del3", "del4"})
CLOSING = MONTHLY | PERIODIC | {"del7"}

# Municipalities by size (Zipf-like weights), across regions.
MUNICIPALITIES = ["København", "Aarhus", "Odense", "Aalborg", "Esbjerg", "Vejle", "Randers", "Viborg", "Kolding",
                  "Silkeborg", "Herning", "Horsens", "Roskilde", "Næstved", "Slagelse", "Holbæk", "Hjørring",
                  "Frederikshavn", "Svendborg", "Varde", "Tønder", "Lemvig", "Morsø", "Fanø", "Læsø"]
AGE = ([1, 2, 3, 4, 5, 6, 7], [6, 22, 26, 24, 14, 4, 4])
GENDER = ([1, 2, 3], [58, 40, 2])
ORIGIN = ([1, 2, 3, 4], [84, 4, 9, 3])
CIVIL = ([1, 2, 3, 4, 5, 6], [62, 9, 3, 19, 1, 6])
HOUSING = ([1, 2, 3, 4, 5, 6], [64, 11, 5, 4, 12, 4])
HOUSEHOLD = ([[1], [2], [3], [4], [2, 3], [6], [8], [4, 5]], [55, 10, 4, 12, 6, 5, 5, 3])


def _pick(rng: random.Random, table: tuple[list, list]) -> object:
    values, weights = table
    return rng.choices(values, weights)[0]


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def courses(n: int, *, municipalities: int, seed: int = 18) -> list[ReportRecord]:
    """``n`` courses in the ``municipalities`` largest municipalities, ordered by course and month."""
    rng = random.Random(seed * 1000 + n)
    places = MUNICIPALITIES[:municipalities]
    weights = [1 / (i + 1) for i in range(len(places))]
    records: list[ReportRecord] = []
    for course in range(n):
        start = 2024 * 12 + rng.randrange(24)
        intake = start + rng.choice([0, 0, 0, 1, 2])
        length = min(int(rng.expovariate(1 / 9)) + 1, 30)
        closed = rng.random() < 0.6 and intake + length <= 2026 * 12 + 10
        last = intake + length if closed else min(intake + length, 2026 * 12 + 10)
        overrides: dict[str, object] = {
            "q3": _pick(rng, GENDER), "q4": _pick(rng, AGE), "q5": _pick(rng, CIVIL), "q6": _pick(rng, HOUSING),
            "q7": _pick(rng, HOUSEHOLD), "q8": _pick(rng, ORIGIN), "q16": 2, "q16_dato": _month(start).isoformat(),
        }
        municipality = rng.choices(places, weights)[0]
        number = 2 if rng.random() < 0.08 else 1
        months = [(intake, INTAKE)]
        if start + 4 < last:
            months.append((start + 4, PERIODIC | MONTHLY))
        if closed and last > months[-1][0]:
            months.append((last, CLOSING))
        for index, sections in months:
            extra = dict(overrides) if index == intake else {}
            if sections is CLOSING:
                extra["q40"] = _month(last).replace(day=15).isoformat()
            answers = sample_answers(SKP, sections, rng=rng, overrides=extra, reference=_month(index).replace(day=20))
            records.append(ReportRecord(
                client_id=course + 1, worker_id=500 + course % 7, course_id=10_000 + course, course_number=number,
                municipality=municipality, intake=_month(intake), contact_start=_month(start),
                closing=_month(last) if closed else None, course_status="closed" if closed else "open",
                period=_month(index), answers=answers, definition_version=1,
                closes_course=sections is CLOSING, sections=sections,
            ))
    return records
