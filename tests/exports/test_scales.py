"""exports.scales: scoring per D8 (77 missing, prorated sum) and Cronbach's alpha."""

from __future__ import annotations

import random
import statistics

import pytest

from exports.scales import ScaleSpec, alpha_label, cronbach_alpha, item_values, scale_alpha, score_scale

TILLID = ScaleSpec("tillid", "Tillid", ("q34_1", "q34_2", "q34_3", "q34_4"), value_range=(0, 3))
LIVSKVALITET = ScaleSpec("livskvalitet", "Livskvalitet", tuple(f"q37_{i}" for i in range(1, 8)), value_range=(0, 3))


def answers(prefix: str, values: list[int | None]) -> dict[str, int | None]:
    return {f"{prefix}_{i}": v for i, v in enumerate(values, start=1)}


def test_complete_answers_give_the_plain_sum_as_an_int():
    result = score_scale(TILLID, answers("q34", [3, 2, 0, 1]))
    assert result.score == 6 and type(result.score) is int
    assert result.mean == 1.5 and result.n_answered == 4 and result.complete and not result.prorated


def test_77_is_missing_never_the_number_77():
    result = score_scale(TILLID, answers("q34", [3, 77, 3, 3]))
    assert result.n_answered == 3
    assert result.score == pytest.approx(12.0)  # mean 3 × 4 items, not 3+77+3+3
    assert result.prorated


def test_zero_is_a_valid_value_not_missing():
    result = score_scale(TILLID, answers("q34", [0, 0, 0, 0]))
    assert (result.score, result.n_answered, result.mean) == (0, 4, 0.0)


def test_prorated_sum_at_exactly_half_answered():
    result = score_scale(TILLID, {"q34_1": 1, "q34_2": 2})  # q34_3, q34_4 absent (not applicable / blank)
    assert result.score == pytest.approx(6.0) and result.n_answered == 2


def test_below_half_answered_gives_no_score_but_still_mean_and_count():
    result = score_scale(TILLID, answers("q34", [2, 77, None, 77]))
    assert result.score is None and result.mean == 2.0 and result.n_answered == 1


def test_odd_item_count_needs_strictly_more_than_half():
    assert LIVSKVALITET.min_answered == 4
    three = score_scale(LIVSKVALITET, answers("q37", [1, 2, 3, None, None, None, None]))
    four = score_scale(LIVSKVALITET, answers("q37", [1, 2, 3, 2, None, None, None]))
    assert three.score is None
    assert four.score == pytest.approx(8 * 7 / 4)


def test_min_fraction_is_configurable():
    strict = ScaleSpec("t", "T", TILLID.items, min_fraction=1.0)
    assert score_scale(strict, answers("q34", [3, 3, 3, None])).score is None
    lenient = ScaleSpec("t", "T", TILLID.items, min_fraction=0.25)
    assert score_scale(lenient, answers("q34", [3, None, None, None])).score == pytest.approx(12.0)


def test_each_scale_uses_its_own_missing_codes():
    spec = ScaleSpec("b", "B", ("b1", "b2"), missing_codes=(77, 9))
    assert item_values(spec, {"b1": 9, "b2": 77}) == [None, None]


def test_reverse_scoring_is_off_by_default_and_applies_only_to_listed_items():
    plain = ScaleSpec("v", "Værgemål", ("q38_5", "q38_6"), value_range=(0, 3))
    reversed_6 = ScaleSpec("v", "Værgemål", ("q38_5", "q38_6"), reverse=("q38_6",), value_range=(0, 3))
    data = {"q38_5": 3, "q38_6": 3}
    assert score_scale(plain, data).score == 6
    assert score_scale(reversed_6, data).score == 3
    assert item_values(reversed_6, {"q38_5": 1, "q38_6": 77}) == [1, None]


def test_reverse_without_value_range_is_refused():
    with pytest.raises(ValueError, match="value_range"):
        ScaleSpec("v", "V", ("a", "b"), reverse=("b",))


@pytest.mark.parametrize("bad", ["2", 2.0, True])
def test_stored_values_that_are_not_codes_are_errors_not_guesses(bad):
    with pytest.raises(ValueError, match="q34_2"):
        score_scale(TILLID, {"q34_1": 1, "q34_2": bad})


def test_codes_outside_the_scale_range_are_errors():
    with pytest.raises(ValueError, match="outside 0-3"):
        score_scale(TILLID, answers("q34", [1, 2, 3, 4]))


def test_from_definition_reads_the_definition_fields():
    class Scale:
        key, label, items, reverse, scoring, min_fraction, missing_codes = (
            "tillid", "Tillid", ("q34_1", "q34_2"), (), "prorated_sum", 0.5, (77,))

    spec = ScaleSpec.from_definition(Scale(), value_range=(0, 3))
    assert (spec.key, spec.items, spec.missing_codes, spec.value_range) == ("tillid", ("q34_1", "q34_2"), (77,), (0, 3))
    Scale.scoring = "mean"
    with pytest.raises(ValueError, match="scoring"):
        ScaleSpec.from_definition(Scale())


def test_rule_in_danish_states_the_threshold():
    assert "mindst 4 besvaret" in LIVSKVALITET.rule_da() and "77" in LIVSKVALITET.rule_da()


# -- Cronbach's alpha ---------------------------------------------------------------------------

# 10 respondents × 4 Likert items; alpha = 0.674 (thinkdeeply.cc "Survey reliability",
# checked there with R psych::alpha: "alpha: 0.674").
TEXTBOOK = [(3, 3, 3, 3), (3, 3, 4, 3), (3, 3, 3, 1), (5, 4, 4, 5), (2, 1, 4, 4),
            (4, 4, 4, 5), (3, 2, 3, 3), (3, 4, 3, 3), (4, 2, 2, 3), (3, 3, 2, 3)]


def test_alpha_matches_the_textbook_value():
    result = cronbach_alpha(TEXTBOOK)
    assert result.alpha == pytest.approx(0.674, abs=5e-4)
    assert (result.n, result.k) == (10, 4)


def test_alpha_equals_the_anova_formula_of_hoyt():
    """Independent check: alpha = 1 - MS_residual / MS_persons (two-way ANOVA without replication)."""
    rng = random.Random(3)
    rows = []
    for _ in range(40):
        level = rng.randint(0, 3)
        rows.append(tuple(min(3, max(0, level + rng.choice([-1, 0, 0, 1]))) for _ in range(6)))
    n, k = len(rows), 6
    grand = statistics.fmean(v for r in rows for v in r)
    person_means = [statistics.fmean(r) for r in rows]
    item_means = [statistics.fmean(r[j] for r in rows) for j in range(k)]
    ss_persons = k * sum((m - grand) ** 2 for m in person_means)
    ss_items = n * sum((m - grand) ** 2 for m in item_means)
    ss_total = sum((v - grand) ** 2 for r in rows for v in r)
    ms_persons = ss_persons / (n - 1)
    ms_residual = (ss_total - ss_persons - ss_items) / ((n - 1) * (k - 1))
    assert cronbach_alpha(rows).alpha == pytest.approx(1 - ms_residual / ms_persons, rel=1e-12)


def test_alpha_uses_complete_cases_only_and_reports_n():
    rows = [*TEXTBOOK, (3, None, 3, 3), (5, 5, 5, None)]
    result = cronbach_alpha(rows)
    assert result.n == 10 and result.alpha == pytest.approx(cronbach_alpha(TEXTBOOK).alpha)


def test_alpha_is_none_when_undefined():
    assert cronbach_alpha([(1, 2, 3)]).alpha is None  # n < 2
    assert cronbach_alpha([(1, 2, 3)]).n == 1
    assert cronbach_alpha([]).alpha is None
    assert cronbach_alpha([(2, 2), (2, 2), (2, 2)]).alpha is None  # zero variance
    assert cronbach_alpha([(1,), (2,), (3,)]).alpha is None  # a single item


def test_alpha_does_not_depend_on_row_order():
    shuffled = TEXTBOOK[:]
    random.Random(1).shuffle(shuffled)
    assert cronbach_alpha(shuffled).alpha == cronbach_alpha(TEXTBOOK).alpha


def test_alpha_rejects_ragged_rows_and_non_numbers():
    with pytest.raises(ValueError, match="length"):
        cronbach_alpha([(1, 2), (1, 2, 3)])
    with pytest.raises(ValueError):
        cronbach_alpha([(1, "2"), (1, 2)])


def test_scale_alpha_treats_77_as_missing():
    likert = ScaleSpec("t", "T", TILLID.items)  # codes 1-5 like the textbook data; 77 missing by default
    sets = [answers("q34", list(row)) for row in TEXTBOOK] + [answers("q34", [77, 1, 1, 1])]
    result = scale_alpha(likert, sets)
    assert result.n == 10 and result.alpha == pytest.approx(0.6737, abs=1e-4)


@pytest.mark.parametrize(
    ("alpha", "label"),
    [(0.95, "Fremragende"), (0.9, "God"), (0.81, "God"), (0.8, "God"), (0.75, "Acceptabel"), (0.65, "Tvivlsom"),
     (0.5, "Dårlig"), (0.49, "Uacceptabel"), (-0.2, "Uacceptabel"), (None, None)],
)
def test_alpha_labels_follow_the_seed(alpha, label):
    assert alpha_label(alpha) == label
