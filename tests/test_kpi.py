"""KPI arithmetic: the guide's worked example, impossible inputs, invariants, display formats."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho.errors import HakushoError, KpiError, Problem
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


# --- every impossible input, by the whole message a person reads ------------------------------------

ERRORS = [
    (lambda: kpi.to_amount(True), "amount must be a number, not a truth value", "amount", True, "a number"),
    (lambda: kpi.to_amount(float("inf"), "mrr"), "mrr must be a finite number", "mrr", float("inf"),
     "a finite number"),
    (lambda: kpi.to_amount("abc", "mrr"), "mrr is not a number", "mrr", "abc", "a number"),
    (lambda: kpi.to_amount(None, "mrr"), "mrr is not a number", "mrr", None, "a number"),
    (lambda: kpi.to_amount("NaN", "mrr"), "mrr must be a finite number", "mrr", "NaN", "a finite number"),
    (lambda: kpi.ltv(1, "1.5", 1, 1), "margin must be a fraction between 0 and 1", "margin", "1.5",
     "a fraction between 0 and 1 (55 % is 0.55)"),
    (lambda: kpi.ltv(-1, "0.5", 1, 1), "average_revenue cannot be negative", "average_revenue", -1, "0 or more"),
    (lambda: kpi.customer_churn_rate(churned=0, customers_at_start=0),
     "the period starts with no customers, so no rate can be computed", "customers_at_start", 0,
     "at least one customer at the start of the period"),
    (lambda: kpi.customer_churn_rate(churned=1, customers_at_start=2.0), "customers_at_start must be a whole number",
     "customers_at_start", 2.0, "a whole number of customers"),
    (lambda: kpi.customer_churn_rate(churned=1.5, customers_at_start=10), "churned must be a whole number",
     "churned", 1.5, "a whole number of customers"),
    (lambda: kpi.customer_churn_rate(churned=-1, customers_at_start=10), "churned cannot be negative", "churned",
     -1, "0 or more"),
    (lambda: kpi.customer_churn_rate(churned=11, customers_at_start=10),
     "more customers churned than there were at the start", "churned", 11, "at most the 10 customers at the start"),
    (lambda: kpi.revenue_churn_rate(lost_mrr=0, mrr_at_start=0),
     "the period starts with no recurring revenue, so no rate can be computed", "mrr_at_start", 0, "more than 0"),
    (lambda: kpi.revenue_churn_rate(lost_mrr=0, mrr_at_start=-5), "mrr_at_start cannot be negative",
     "mrr_at_start", -5, "0 or more"),
    (lambda: kpi.revenue_churn_rate(lost_mrr=11, mrr_at_start=10), "more MRR was lost than there was at the start",
     "lost_mrr", 11, "at most the MRR at the start (10)"),
    (lambda: kpi.customer_retention_rate(customers_at_start=10, customers_at_end=5, new_customers=6),
     "more new customers than customers at the end of the period", "new_customers", 6,
     "at most the 5 customers at the end of the period"),
    (lambda: kpi.customer_retention_rate(customers_at_start=10, customers_at_end=5, new_customers=-1),
     "new_customers cannot be negative", "new_customers", -1, "0 or more"),
    (lambda: kpi.customer_retention_rate(customers_at_start=10, customers_at_end=15, new_customers=2),
     "more customers kept than there were at the start", "customers_at_end", 15,
     "at most 12 (10 at the start + 2 new)"),
    (lambda: kpi.revenue_retention_rate(revenue_at_end=1, revenue_at_start=0),
     "the customers at the start paid nothing, so no retention can be computed", "revenue_at_start", 0,
     "more than 0"),
    (lambda: kpi.revenue_retention_rate(revenue_at_end=1, revenue_at_start="x"), "revenue_at_start is not a number",
     "revenue_at_start", "x", "a number"),
    (lambda: kpi.arpa(1, 0), "no customers, so no revenue per customer", "customers", 0, "at least one customer"),
    (lambda: kpi.arpa(1, -2), "customers cannot be negative", "customers", -2, "0 or more"),
    (lambda: kpi.arpa(-1, 2), "annual_revenue cannot be negative", "annual_revenue", -1, "0 or more"),
    (lambda: kpi.arr(-1), "mrr cannot be negative", "mrr", -1, "0 or more"),
    (lambda: kpi.nps_category(7.5), "an NPS answer must be a whole number", "score", 7.5,
     "a whole number from 0 to 10"),
    (lambda: kpi.nps_category(11), "an NPS answer lies outside 0–10", "score", 11, "a whole number from 0 to 10"),
    (lambda: kpi.touch_tier(1, high_touch_from=10, low_touch_from=20),
     "the low-touch threshold lies above the high-touch threshold", "low_touch_from", 20,
     "at most high_touch_from (10)"),
    (lambda: kpi.touch_tier(-1), "customer_ltv cannot be negative", "customer_ltv", -1, "0 or more"),
    (lambda: kpi.touch_tier(1, high_touch_from=-1), "high_touch_from cannot be negative", "high_touch_from", -1,
     "0 or more"),
    (lambda: kpi.touch_tier(1, low_touch_from="many"), "low_touch_from is not a number", "low_touch_from", "many",
     "a number"),
]


@pytest.mark.parametrize(("call", "message", "argument", "value", "expected"), ERRORS)
def test_every_impossible_input_is_named_with_what_was_expected(call, message, argument, value, expected):
    with pytest.raises(KpiError) as caught:
        call()
    assert caught.value.message == message
    assert caught.value.problems == [Problem(message, column=argument, value=value, expected=expected)]


def test_a_bad_nps_answer_is_located_by_its_position():
    with pytest.raises(KpiError) as caught:
        kpi.nps([10, 9, 11])
    assert caught.value.message == "NPS answer 3 cannot be used"
    assert caught.value.problems == [Problem("an NPS answer lies outside 0–10", row=3, column="score", value=11,
                                             expected="a whole number from 0 to 10")]
    with pytest.raises(KpiError) as caught:
        kpi.nps([])
    assert caught.value.message == "no NPS answers, so no NPS can be computed"
    assert caught.value.problems == [Problem("no answers", column="score",
                                             expected="at least one answer from 0 to 10")]


# --- the edges of each formula ------------------------------------------------------------------------


def test_a_margin_of_the_whole_price_is_allowed():
    assert kpi.ltv(100, 1, 3, 2) == Decimal(600)
    assert kpi.ltv(100, 0, 3, 2) == Decimal(0)


def test_amounts_read_as_exact_numbers():
    assert kpi.to_amount(" 12.50 ") == Decimal("12.50")
    assert kpi.to_amount(Decimal("0.1")) == Decimal("0.1")
    assert kpi.to_amount(0.1) == Decimal("0.1")
    assert kpi.to_amount(Fraction(1, 3)) == Fraction(1, 3)
    assert kpi.to_amount(7) == Decimal(7) and isinstance(kpi.to_amount(7), Decimal)


def test_rounding_half_up_is_away_from_zero_and_exact():
    assert kpi.round_half_up(Fraction(5, 2), 0) == Decimal(3)
    assert kpi.round_half_up(Fraction(-5, 2), 0) == Decimal(-3)
    assert kpi.round_half_up(Fraction(-1, 3), 0) == Decimal(0)
    assert kpi.round_half_up(Decimal("0.125"), 2) == Decimal("0.13")
    assert str(kpi.round_half_up(0, 1)) == "0.0"
    assert kpi.round_yen(Fraction(1, 2)) == Decimal(1)


# --- formatting for a language ----------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "ja", "en"), [
    (9_999, "9,999円", "¥9,999"),
    (10_000, "1万円", "¥10,000"),
    (12_345, "1.2万円", "¥12,345"),
    (12_345_490, "1,234.5万円", "¥12.3 million"),  # rounded once: not 1,234.55 → 1,234.6
    (9_999_999, "1,000万円", "¥9,999,999"),
    (10_000_000, "1,000万円", "¥10 million"),
    (95_000_000, "9,500万円", "¥95 million"),
    (99_949_999, "9,995万円", "¥99.9 million"),
    (99_999_999, "1億円", "¥100 million"),  # rounds into the next unit: not 10,000万円
    (100_000_000, "1億円", "¥100 million"),
    (999_999_999, "10億円", "¥1 billion"),
    (1_000_000_000, "10億円", "¥1 billion"),
])
def test_compact_yen_uses_the_unit_of_the_amount_as_shown(amount, ja, en):
    assert kpi.format_yen(amount, "ja", compact=True) == ja
    assert kpi.format_yen(amount, "en", compact=True) == en


def test_full_yen_and_numbers_group_digits():
    assert kpi.format_yen(99_999_999, "ja") == "99,999,999円"
    assert kpi.format_yen(Fraction(1, 2), "en") == "¥1"
    assert kpi.format_number(Fraction(12345, 10), "en", 2) == "1,234.50"
    assert kpi.format_number(Decimal("1234.5"), "ja") == "1,235"


def test_the_language_sets_the_digits_not_the_machine(monkeypatch):
    import babel.numbers

    monkeypatch.setattr(babel.numbers, "LC_NUMERIC", "de_DE")
    assert kpi.format_number(Decimal("1234.5"), "en", 1) == "1,234.5"
    assert kpi.format_yen(12_345_490, "ja", compact=True) == "1,234.5万円"
    assert kpi.format_yen(1_234_567, "en") == "¥1,234,567"
    assert kpi.format_nps(kpi.NpsResult(1234, 0, 0), "en") == "+100.0"
    assert kpi.format_percent(Fraction(12345, 1000), "ja", 2) == "1,234.50%"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_percentages_keep_the_places_asked_for(lang):
    rate = Fraction(37, 40)
    assert kpi.format_percent(rate, lang) == "92.5%"
    assert kpi.format_percent(rate, lang, 2) == "92.50%"
    assert kpi.format_percent(rate, lang, 0) == "93%"
    assert kpi.format_percent(Fraction(12345, 1000), lang) == "1,234.5%"
    assert kpi.format_percent(Fraction(12345, 1000), lang, 0) == "1,235%"


@pytest.mark.parametrize(("result", "text"), [
    (kpi.NpsResult(5, 2, 3), "+20.0"),
    (kpi.NpsResult(1, 197, 0), "+0.5"),
    (kpi.NpsResult(1, 198, 1), "0.0"),
    (kpi.NpsResult(0, 1, 3), "\u221275.0"),
    (kpi.NpsResult(0, 199, 1), "\u22120.5"),
])
def test_nps_has_a_sign_except_at_zero(result, text):
    assert kpi.format_nps(result, "ja") == kpi.format_nps(result, "en") == text


@pytest.mark.parametrize(("month", "ja", "en", "en_long"), [
    ("2024-01", "2024年1月", "Jan 2024", "January 2024"),
    ("2024-11", "2024年11月", "Nov 2024", "November 2024"),
    ("1999-12", "1999年12月", "Dec 1999", "December 1999"),
])
def test_months_read_naturally(month, ja, en, en_long):
    assert kpi.format_month(month, "ja") == ja
    assert kpi.format_month(month, "en") == en
    assert kpi.format_month(month, "en", long=True) == en_long
    assert kpi.format_month(month, "ja", long=True) == ja


def test_formatting_refuses_an_unknown_language():
    for call in (lambda: kpi.format_month("2024-01", "fr"), lambda: kpi.format_yen(1, "fr"),
                 lambda: kpi.format_nps(kpi.NpsResult(1, 0, 0), "fr")):
        with pytest.raises(HakushoError, match="unknown language 'fr'"):
            call()


def test_percentages_are_rounded_once_to_the_places_shown():
    rate = Fraction(9245, 10000)  # 92.45 %: rounded to one place first, it would read 93 %
    assert kpi.format_percent(rate, "en", 0) == "92%"
    assert kpi.format_percent(rate, "ja", 2) == "92.45%"
    assert kpi.format_percent(rate, "en") == "92.5%"


def test_a_missing_kpi_catalog_fails_before_anything_is_formatted(monkeypatch):
    from hakusho import i18n
    from hakusho.errors import BuildError

    real = i18n.catalog_path
    monkeypatch.setattr(i18n, "catalog_path",
                        lambda lang, domain: real(lang, domain).with_name("gone.po") if domain == "kpi"
                        else real(lang, domain))
    for call in (lambda: kpi.format_percent(Fraction(1, 2), "en"), lambda: kpi.format_month("2024-01", "en"),
                 lambda: kpi.format_nps(kpi.NpsResult(1, 0, 0), "en")):
        with pytest.raises(BuildError, match=r"^message catalog missing: gone.po for en \(kpi\)$"):
            call()
