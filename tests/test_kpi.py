"""KPI arithmetic: the guide's worked example, impossible inputs, invariants, display formats."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho.errors import HakushoError, KpiError
from hakusho.i18n import messages, missing_keys
from hakusho.kpi import formulas as kpi

JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

counts = st.integers(min_value=0, max_value=10_000)
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


# --- LTV -----------------------------------------------------------------------------------------


def test_ltv_worked_example_is_exact():
    # ¥10,000 a month × 55 % margin × 12 payments a year × 2 years.
    result = kpi.ltv(10_000, Decimal("0.55"), 12, 2)
    assert result == Decimal(132_000)
    assert isinstance(result, Decimal)


def test_ltv_reads_floats_by_their_decimal_repr():
    assert kpi.ltv(10_000, 0.55, 12, 2) == Decimal(132_000)
    assert kpi.ltv("10000", "0.55", "12", "2") == Decimal(132_000)


def test_ltv_with_fraction_input_stays_exact():
    assert kpi.ltv(10_000, Fraction(1, 3), 12, 2) == Fraction(80_000)


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ((-1, "0.5", 12, 2), "average_revenue"),
        ((10_000, "55", 12, 2), "margin"),  # a percentage instead of a fraction
        ((10_000, "-0.1", 12, 2), "margin"),
        ((10_000, "0.5", -12, 2), "frequency"),
        ((10_000, "0.5", 12, -2), "duration"),
        ((10_000, "abc", 12, 2), "margin"),
        ((10_000, float("nan"), 12, 2), "margin"),
        ((True, "0.5", 12, 2), "average_revenue"),
    ],
)
def test_ltv_rejects_impossible_inputs(args, argument):
    with pytest.raises(KpiError) as caught:
        kpi.ltv(*args)
    assert caught.value.problems[0].column == argument
    assert isinstance(caught.value, HakushoError)


def test_margin_error_explains_fractions():
    with pytest.raises(KpiError) as caught:
        kpi.ltv(10_000, 55, 12, 2)
    assert "0.55" in caught.value.report()


# --- churn and retention -------------------------------------------------------------------------


def test_customer_churn_rate():
    assert kpi.customer_churn_rate(churned=3, customers_at_start=120) == Fraction(1, 40)
    assert kpi.as_percent(kpi.customer_churn_rate(churned=3, customers_at_start=120)) == Decimal("2.5")


def test_revenue_churn_rate_counts_downgrades_as_loss():
    rate = kpi.revenue_churn_rate(lost_mrr=Decimal("30000") + Decimal("20000"), mrr_at_start=2_000_000)
    assert rate == Fraction(1, 40)


def test_customer_retention_rate_leaves_new_customers_out():
    # 100 at the start, 95 at the end of whom 10 are new: 85 of the 100 stayed.
    rate = kpi.customer_retention_rate(customers_at_start=100, customers_at_end=95, new_customers=10)
    assert rate == Fraction(85, 100)


def test_revenue_retention_above_one_with_expansion():
    nrr = kpi.revenue_retention_rate(revenue_at_end=1_100_000, revenue_at_start=1_000_000)
    assert nrr == Fraction(11, 10)
    assert kpi.net_revenue_retention is kpi.revenue_retention_rate


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: kpi.customer_churn_rate(churned=1, customers_at_start=0), "customers_at_start"),
        (lambda: kpi.customer_churn_rate(churned=-1, customers_at_start=10), "churned"),
        (lambda: kpi.customer_churn_rate(churned=11, customers_at_start=10), "churned"),
        (lambda: kpi.customer_churn_rate(churned=1.5, customers_at_start=10), "churned"),
        (lambda: kpi.revenue_churn_rate(lost_mrr=1, mrr_at_start=0), "mrr_at_start"),
        (lambda: kpi.revenue_churn_rate(lost_mrr=-1, mrr_at_start=10), "lost_mrr"),
        (lambda: kpi.revenue_churn_rate(lost_mrr=11, mrr_at_start=10), "lost_mrr"),
        (lambda: kpi.customer_retention_rate(customers_at_start=0, customers_at_end=5, new_customers=5),
         "customers_at_start"),
        (lambda: kpi.customer_retention_rate(customers_at_start=10, customers_at_end=5, new_customers=6),
         "new_customers"),
        (lambda: kpi.customer_retention_rate(customers_at_start=10, customers_at_end=15, new_customers=2),
         "customers_at_end"),
        (lambda: kpi.customer_retention_rate(customers_at_start=10, customers_at_end=-1, new_customers=0),
         "customers_at_end"),
        (lambda: kpi.revenue_retention_rate(revenue_at_end=10, revenue_at_start=0), "revenue_at_start"),
        (lambda: kpi.revenue_retention_rate(revenue_at_end=-10, revenue_at_start=5), "revenue_at_end"),
        (lambda: kpi.arpa(1_000_000, 0), "customers"),
    ],
)
def test_rates_reject_impossible_periods(call, argument):
    with pytest.raises(KpiError) as caught:
        call()
    problem = caught.value.problems[0]
    assert problem.column == argument
    assert problem.expected


@given(start=st.integers(min_value=1, max_value=10_000), data=st.data())
def test_retention_is_a_share_when_no_customers_are_added(start, data):
    end = data.draw(st.integers(min_value=0, max_value=start))
    rate = kpi.customer_retention_rate(customers_at_start=start, customers_at_end=end, new_customers=0)
    assert 0 <= rate <= 1


@given(start=st.integers(min_value=1, max_value=10_000), data=st.data())
def test_churn_and_retention_add_up_to_one_without_new_customers(start, data):
    churned = data.draw(st.integers(min_value=0, max_value=start))
    churn = kpi.customer_churn_rate(churned=churned, customers_at_start=start)
    retention = kpi.customer_retention_rate(customers_at_start=start, customers_at_end=start - churned,
                                            new_customers=0)
    assert churn + retention == 1


@given(start=st.integers(min_value=1, max_value=10_000), data=st.data())
def test_retention_stays_a_share_with_new_customers(start, data):
    kept = data.draw(st.integers(min_value=0, max_value=start))
    new = data.draw(counts)
    rate = kpi.customer_retention_rate(customers_at_start=start, customers_at_end=kept + new, new_customers=new)
    assert rate == Fraction(kept, start)
    assert 0 <= rate <= 1


@given(end=money, start=money.filter(lambda v: v > 0))
def test_nrr_is_never_negative(end, start):
    assert kpi.revenue_retention_rate(revenue_at_end=end, revenue_at_start=start) >= 0


@given(start=money.filter(lambda v: v > 0), data=st.data())
def test_revenue_churn_is_a_share(start, data):
    lost = data.draw(st.decimals(min_value=0, max_value=start, places=2))
    assert 0 <= kpi.revenue_churn_rate(lost_mrr=lost, mrr_at_start=start) <= 1


# --- NPS -----------------------------------------------------------------------------------------


def test_nps_categories_follow_the_bands():
    assert [kpi.nps_category(s) for s in range(11)] == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2


def test_nps_score():
    result = kpi.nps([10, 9, 9, 8, 7, 6, 0, 3, 10, 10])  # 5 promoters, 2 passives, 3 detractors
    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.score == 20
    assert kpi.as_percent(result.promoter_rate) == Decimal("50.0")


@pytest.mark.parametrize("bad", [11, -1, 7.5, 9.0, "9", True, None])
def test_nps_rejects_answers_outside_the_scale(bad):
    with pytest.raises(KpiError) as caught:
        kpi.nps([10, bad])
    problem = caught.value.problems[0]
    assert problem.row == 2
    assert problem.value == bad


def test_nps_of_no_answers_is_an_error():
    with pytest.raises(KpiError):
        kpi.nps([])


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=500))
def test_nps_lies_between_minus_and_plus_hundred(scores):
    result = kpi.nps(scores)
    assert -100 <= result.score <= 100
    assert result.responses == len(scores)


# --- touch model ---------------------------------------------------------------------------------


def test_touch_tiers_with_default_thresholds():
    assert kpi.touch_tier(kpi.DEFAULT_HIGH_TOUCH_LTV) == "high_touch"
    assert kpi.touch_tier(kpi.DEFAULT_HIGH_TOUCH_LTV - 1) == "low_touch"
    assert kpi.touch_tier(kpi.DEFAULT_LOW_TOUCH_LTV) == "low_touch"
    assert kpi.touch_tier(kpi.DEFAULT_LOW_TOUCH_LTV - 1) == "tech_touch"
    assert kpi.touch_tier(kpi.ltv(10_000, "0.55", 12, 2)) == "tech_touch"


def test_touch_tiers_with_own_thresholds():
    assert kpi.touch_tier(150_000, high_touch_from=1_000_000, low_touch_from=100_000) == "low_touch"
    with pytest.raises(KpiError):
        kpi.touch_tier(150_000, high_touch_from=100_000, low_touch_from=1_000_000)
    with pytest.raises(KpiError):
        kpi.touch_tier(-1)


@given(value=money, low=money, high=money)
def test_touch_tier_is_monotone_in_ltv(value, low, high):
    low, high = sorted((low, high))
    order = {"tech_touch": 0, "low_touch": 1, "high_touch": 2}
    tier = order[kpi.touch_tier(value, high_touch_from=high, low_touch_from=low)]
    more = order[kpi.touch_tier(value + 1, high_touch_from=high, low_touch_from=low)]
    assert more >= tier


# --- ARR and ARPA ----------------------------------------------------------------------------------


def test_arr_and_arpa():
    assert kpi.arr(Decimal("3053000")) == Decimal(36_636_000)
    assert kpi.arpa(36_636_000, 34) == Fraction(36_636_000, 34)
    assert kpi.round_yen(kpi.arpa(36_636_000, 34)) == Decimal(1_077_529)


# --- rounding and formatting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(Fraction(1, 2000), "0.1"), (Fraction(-1, 2000), "-0.1"), (Fraction(7, 8), "87.5"), (Fraction(2, 3), "66.7"),
     (Fraction(1), "100.0")],
)
def test_as_percent_rounds_half_up(rate, expected):
    assert kpi.as_percent(rate) == Decimal(expected)


def test_format_per_language():
    assert kpi.format_yen(kpi.ltv(10_000, "0.55", 12, 2), "ja") == "132,000円"
    assert kpi.format_yen(kpi.ltv(10_000, "0.55", 12, 2), "en") == "¥132,000"
    assert kpi.format_yen(43_830_000, "ja", compact=True) == "4,383万円"
    assert kpi.format_yen(43_830_000, "en", compact=True) == "¥43.8 million"
    assert kpi.format_yen(250_000_000, "ja", compact=True) == "2.5億円"
    assert kpi.format_yen(9_999, "ja", compact=True) == "9,999円"
    assert kpi.format_yen(1_217_500, "en", compact=True) == "¥1,217,500"
    assert kpi.format_yen(1_217_500, "ja", compact=True) == "121.8万円"
    assert kpi.format_yen(2_000_000_000, "en", compact=True) == "¥2 billion"
    assert kpi.format_percent(Fraction(7, 8), "en") == "87.5%"
    assert kpi.format_nps(kpi.nps([0, 0, 10]), "en") == "\u221233.3"
    assert kpi.format_nps(kpi.nps([8]), "ja") == "0.0"


def test_format_rejects_unknown_language():
    with pytest.raises(HakushoError):
        kpi.format_percent(Fraction(1, 2), "fr")


# --- the message catalog -----------------------------------------------------------------------------


def test_catalogs_have_the_same_keys():
    assert missing_keys("kpi") == {}
    assert set(messages("ja", "kpi")) == set(messages("en", "kpi"))


def test_catalogs_have_the_same_placeholders():
    fields = re.compile(r"\{(\w+)\}")
    ja, en = messages("ja", "kpi"), messages("en", "kpi")
    for key in ja:
        assert set(fields.findall(ja[key])) == set(fields.findall(en[key])), key


def test_english_catalog_has_no_japanese():
    offenders = {k: v for k, v in messages("en", "kpi").items() if JAPANESE.search(v)}
    assert offenders == {}


def test_japanese_catalog_is_japanese():
    # Every Japanese entry except units, symbols and proper names carries Japanese script.
    plain = {k for k, v in messages("ja", "kpi").items() if not JAPANESE.search(v)}
    assert plain <= {"ledger.column.nps", "ledger.year.nps",
                     "glossary.example.equation", "glossary.example.label.result"}
