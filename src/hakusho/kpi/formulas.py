"""Customer-success KPIs as plain functions: LTV, churn, retention, NRR, NPS and touch tiers.

Each function implements one textbook definition and nothing else, so the glossary, the ledger
calculator and the benchmark all quote the same arithmetic:

* LTV = average revenue per purchase × margin × purchases per period × periods a customer stays;
* customer churn = customers lost in the period ÷ customers at its start;
* revenue churn = MRR lost in the period (cancellations and downgrades) ÷ MRR at its start;
* customer retention = (customers at the end − customers won during the period) ÷ customers at
  the start;
* revenue retention (NRR) = revenue at the end from the customers present at the start ÷ their
  revenue at the start — above 1 when expansion outweighs churn and downgrades;
* NPS = share of promoters (9–10) − share of detractors (0–6), in points from −100 to 100.

Money is exact: amounts are :class:`~decimal.Decimal` (a float is read through its shortest
repr, so ``0.55`` means 0.55, not the nearest binary fraction), and every ratio is returned as a
:class:`~fractions.Fraction`, so that 1 − churn equals retention exactly. Rounding happens once,
for display, in :func:`as_percent` and :func:`round_yen`.

Impossible inputs (negative counts, more customers kept than there were, an empty period, a
margin given in percent) raise :class:`~hakusho.errors.KpiError` naming the argument and what was
expected, instead of returning a number that looks plausible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from numbers import Integral

from babel.numbers import format_decimal

from hakusho.errors import KpiError, Problem
from hakusho.i18n import Translator, messages
from hakusho.text import numbers

Amount = int | Decimal | Fraction | str | float
MONTHS_PER_YEAR = 12

# Touch-model thresholds on a customer's LTV, in yen. The source definition only orders the tiers
# (high LTV → high touch, middle → low touch, low LTV and many customers → tech touch); the
# amounts are ours: 5,000,000 yen of lifetime value pays for a named success manager's regular
# meetings, 500,000 yen for a place in group webinars; below that, automated help. Teams pass
# their own thresholds.
DEFAULT_HIGH_TOUCH_LTV = Decimal(5_000_000)
DEFAULT_LOW_TOUCH_LTV = Decimal(500_000)
TOUCH_TIERS = ("high_touch", "low_touch", "tech_touch")

NPS_CATEGORIES = ("promoter", "passive", "detractor")


def _bad(argument: str, value: object, expected: str, message: str | None = None) -> KpiError:
    text = message or f"{argument} cannot be used"
    return KpiError(text, [Problem(text, column=argument, value=value, expected=expected)])


def to_amount(value: Amount, argument: str = "amount") -> Decimal | Fraction:
    """An exact number from an int, Decimal, Fraction, numeric string or float (via its repr)."""
    if isinstance(value, bool):
        raise _bad(argument, value, "a number", f"{argument} must be a number, not a truth value")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(argument, value, "a finite number", f"{argument} must be a finite number")
        return Decimal(repr(value))
    if isinstance(value, Integral):
        return Decimal(int(value))
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _bad(argument, value, "a number", f"{argument} is not a number") from None
    if not number.is_finite():
        raise _bad(argument, value, "a finite number", f"{argument} must be a finite number")
    return number


def _non_negative(value: Amount, argument: str) -> Decimal | Fraction:
    number = to_amount(value, argument)
    if number < 0:
        raise _bad(argument, value, "0 or more", f"{argument} cannot be negative")
    return number


def _count(value: object, argument: str) -> int:
    """A number of customers: a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _bad(argument, value, "a whole number of customers", f"{argument} must be a whole number")
    if value < 0:
        raise _bad(argument, value, "0 or more", f"{argument} cannot be negative")
    return int(value)


def _ratio(numerator: Decimal | Fraction | int, denominator: Decimal | Fraction | int) -> Fraction:
    return Fraction(numerator) / Fraction(denominator)


# --- lifetime value ---------------------------------------------------------------------------


def ltv(average_revenue: Amount, margin: Amount, frequency: Amount, duration: Amount) -> Decimal | Fraction:
    """Lifetime value: average revenue per purchase × margin × purchases per period × periods.

    ``margin`` is a fraction (0.55 for 55 %); ``frequency`` and ``duration`` must use the same
    period (12 monthly payments a year for 2 years). The result is exact: a Decimal when every
    input is, otherwise a Fraction.

    >>> ltv(10_000, "0.55", 12, 2)
    Decimal('132000.00')
    """
    revenue = _non_negative(average_revenue, "average_revenue")
    rate = _non_negative(margin, "margin")
    if rate > 1:
        raise _bad("margin", margin, "a fraction between 0 and 1 (55 % is 0.55)",
                   "margin must be a fraction between 0 and 1")
    times = _non_negative(frequency, "frequency")
    years = _non_negative(duration, "duration")
    parts = (revenue, rate, times, years)
    if any(isinstance(p, Fraction) for p in parts):
        return Fraction(revenue) * Fraction(rate) * Fraction(times) * Fraction(years)
    return revenue * rate * times * years  # type: ignore[operator]


# --- churn and retention -------------------------------------------------------------------------


def _period_start(customers_at_start: object) -> int:
    start = _count(customers_at_start, "customers_at_start")
    if start == 0:
        raise _bad("customers_at_start", 0, "at least one customer at the start of the period",
                   "the period starts with no customers, so no rate can be computed")
    return start


def customer_churn_rate(*, churned: int, customers_at_start: int) -> Fraction:
    """Customers lost during the period as a fraction of the customers at its start."""
    lost = _count(churned, "churned")
    start = _period_start(customers_at_start)
    if lost > start:
        raise _bad("churned", lost, f"at most the {start} customers at the start",
                   "more customers churned than there were at the start")
    return Fraction(lost, start)


def revenue_churn_rate(*, lost_mrr: Amount, mrr_at_start: Amount) -> Fraction:
    """MRR lost during the period (cancellations and downgrades) as a fraction of MRR at its start."""
    lost = _non_negative(lost_mrr, "lost_mrr")
    start = _non_negative(mrr_at_start, "mrr_at_start")
    if start == 0:
        raise _bad("mrr_at_start", mrr_at_start, "more than 0",
                   "the period starts with no recurring revenue, so no rate can be computed")
    if lost > start:
        raise _bad("lost_mrr", lost_mrr, f"at most the MRR at the start ({mrr_at_start})",
                   "more MRR was lost than there was at the start")
    return _ratio(lost, start)


def customer_retention_rate(*, customers_at_start: int, customers_at_end: int, new_customers: int) -> Fraction:
    """(Customers at the end − customers won during the period) ÷ customers at the start.

    The numerator is the customers who were there all along, so it can be neither negative (more
    new customers than there are at the end) nor larger than the starting count; both are
    reported as errors rather than as a rate outside 0–1.
    """
    start = _period_start(customers_at_start)
    end = _count(customers_at_end, "customers_at_end")
    new = _count(new_customers, "new_customers")
    if new > end:
        raise _bad("new_customers", new, f"at most the {end} customers at the end of the period",
                   "more new customers than customers at the end of the period")
    if end - new > start:
        raise _bad("customers_at_end", end, f"at most {start + new} ({start} at the start + {new} new)",
                   "more customers kept than there were at the start")
    return Fraction(end - new, start)


def revenue_retention_rate(*, revenue_at_end: Amount, revenue_at_start: Amount) -> Fraction:
    """Revenue retention (NRR): what the starting customers pay at the end ÷ what they paid at the start.

    ``revenue_at_end`` counts only customers present at the start (new customers are left out);
    it includes their upgrades, so the rate exceeds 1 when expansion outweighs churn.
    """
    end = _non_negative(revenue_at_end, "revenue_at_end")
    start = _non_negative(revenue_at_start, "revenue_at_start")
    if start == 0:
        raise _bad("revenue_at_start", revenue_at_start, "more than 0",
                   "the customers at the start paid nothing, so no retention can be computed")
    return _ratio(end, start)


net_revenue_retention = revenue_retention_rate


# --- revenue per account -------------------------------------------------------------------------


def arr(mrr: Amount) -> Decimal | Fraction:
    """Annual recurring revenue: monthly recurring revenue × 12."""
    return _non_negative(mrr, "mrr") * MONTHS_PER_YEAR


def arpa(annual_revenue: Amount, customers: int) -> Fraction:
    """Average revenue per account: annual recurring revenue ÷ paying customers."""
    revenue = _non_negative(annual_revenue, "annual_revenue")
    count = _count(customers, "customers")
    if count == 0:
        raise _bad("customers", 0, "at least one customer", "no customers, so no revenue per customer")
    return _ratio(revenue, count)


# --- NPS -----------------------------------------------------------------------------------------


def nps_category(score: object) -> str:
    """``promoter`` (9–10), ``passive`` (7–8) or ``detractor`` (0–6) for one 0–10 answer."""
    if isinstance(score, bool) or not isinstance(score, Integral):
        raise _bad("score", score, "a whole number from 0 to 10", "an NPS answer must be a whole number")
    if not 0 <= score <= 10:
        raise _bad("score", score, "a whole number from 0 to 10", "an NPS answer lies outside 0–10")
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


@dataclass(frozen=True)
class NpsResult:
    """Counts behind an NPS and the score itself."""

    promoters: int
    passives: int
    detractors: int

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def promoter_rate(self) -> Fraction:
        return Fraction(self.promoters, self.responses)

    @property
    def detractor_rate(self) -> Fraction:
        return Fraction(self.detractors, self.responses)

    @property
    def score(self) -> Fraction:
        """Promoters minus detractors, in points of 100 (exact; between −100 and 100)."""
        return (self.promoter_rate - self.detractor_rate) * 100


def nps(scores: Iterable[object]) -> NpsResult:
    """NPS of a set of 0–10 answers (whole numbers only; an empty set is an error)."""
    counts = dict.fromkeys(NPS_CATEGORIES, 0)
    for position, score in enumerate(scores, start=1):
        try:
            counts[nps_category(score)] += 1
        except KpiError as exc:
            raise KpiError(f"NPS answer {position} cannot be used",
                           [Problem(exc.message, row=position, column="score", value=score,
                                    expected="a whole number from 0 to 10")]) from None
    result = NpsResult(counts["promoter"], counts["passive"], counts["detractor"])
    if result.responses == 0:
        raise KpiError("no NPS answers, so no NPS can be computed",
                       [Problem("no answers", column="score", expected="at least one answer from 0 to 10")])
    return result


# --- touch model ---------------------------------------------------------------------------------


def touch_tier(customer_ltv: Amount, *, high_touch_from: Amount = DEFAULT_HIGH_TOUCH_LTV,
               low_touch_from: Amount = DEFAULT_LOW_TOUCH_LTV) -> str:
    """The touch model a customer of this LTV gets: ``high_touch``, ``low_touch`` or ``tech_touch``.

    LTV at or above ``high_touch_from`` → one-to-one care by a named manager; at or above
    ``low_touch_from`` → one-to-many programmes (webinars, seminars, community); below → automated
    help (mail, tutorials, FAQ). Defaults: 5,000,000 and 500,000 yen (see the module constants).
    """
    value = _non_negative(customer_ltv, "customer_ltv")
    high = _non_negative(high_touch_from, "high_touch_from")
    low = _non_negative(low_touch_from, "low_touch_from")
    if low > high:
        raise _bad("low_touch_from", low_touch_from, f"at most high_touch_from ({high_touch_from})",
                   "the low-touch threshold lies above the high-touch threshold")
    if value >= high:
        return "high_touch"
    if value >= low:
        return "low_touch"
    return "tech_touch"


# --- rounding for display ------------------------------------------------------------------------


def round_half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """``value`` rounded half up (away from zero) to ``places`` decimals, exactly."""
    value = Fraction(value)
    scaled = value * 10**places
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    signed = -magnitude if scaled < 0 else magnitude
    return Decimal(signed).scaleb(-places)


def as_percent(rate: Fraction | Decimal | int, places: int = 1) -> Decimal:
    """A rate (0.925) as a percentage rounded half up (Decimal('92.5')), the report's only rule."""
    return round_half_up(Fraction(rate) * 100, places)


def round_yen(amount: Fraction | Decimal | int) -> Decimal:
    """An amount of money rounded half up to whole yen."""
    return round_half_up(Fraction(amount), 0)


# --- formatting for a language -------------------------------------------------------------------
# Numbers are rounded here (half up, by the rules above) and only then handed to Babel for digit
# grouping, so no formatter ever rounds a second time. Units and word order come from the ``kpi``
# message catalog.

# Compact amounts, per language: (from, scale, catalog key), largest first. Japanese counts in
# 万 and 億; English in millions and billions, and writes amounts under ten million in full so
# that ¥1,217,500 is not shown as "¥1.2 million", which reads like the bound of a ¥1.2m bracket.
COMPACT_YEN = {
    "ja": ((10**8, 10**8, "unit.yen_large"), (10**4, 10**4, "unit.yen_medium")),
    "en": ((10**9, 10**9, "unit.yen_large"), (10**7, 10**6, "unit.yen_medium")),
}


def _t(lang: str) -> Translator:
    messages(lang, "kpi")  # an unknown language or missing catalog fails here, not mid-sentence
    return Translator(lang, "kpi")


def format_number(value: Decimal | Fraction | int, lang: str, places: int = 0) -> str:
    """Digits grouped for the language, rounded half up to ``places`` decimals."""
    rounded = round_half_up(Fraction(value), places)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(rounded, format=pattern, locale=lang)


def format_yen(amount: Decimal | Fraction | int, lang: str, *, compact: bool = False) -> str:
    """An amount of yen for text: ``132,000円`` / ``¥132,000``.

    ``compact`` writes large amounts in the unit a reader of the language expects, to at most one
    decimal: ``121.8万円`` / ``¥1,217,500``, ``4,383万円`` / ``¥43.8 million`` (see COMPACT_YEN).
    """
    t = _t(lang)
    value = Fraction(amount)
    units = COMPACT_YEN[lang]
    reached = [i for i, (start, _, _) in enumerate(units) if abs(value) >= start]
    if compact and reached:
        i = reached[0]  # the largest unit the amount reaches
        scaled = round_half_up(value / units[i][1], 1)
        if i > 0 and abs(scaled) * units[i][1] >= units[i - 1][0]:
            # Rounded, it reaches the next unit: ¥99,999,999 reads 1億円, not 10,000万円.
            i -= 1
            scaled = round_half_up(value / units[i][1], 1)
        places = 0 if scaled == scaled.to_integral_value() else 1
        return t(units[i][2], amount=format_number(scaled, lang, places))
    return t("unit.yen", amount=format_number(value, lang))


def format_percent(rate: Fraction | Decimal | int, lang: str, places: int = 1) -> str:
    """A rate (0.925) as text: ``92.5%``, written as :func:`hakusho.text.numbers.pct` writes shares."""
    _t(lang)
    if places == 1:
        return numbers.pct(float(as_percent(rate)), lang)
    return format_number(as_percent(rate, places), lang, places) + "%"


def format_nps(result: NpsResult, lang: str) -> str:
    """An NPS in points with one decimal and an explicit sign (``+12.5``, ``−3.0``, ``0.0``)."""
    _t(lang)
    points = as_percent(result.score / 100)
    text = format_number(abs(points), lang, 1)
    if points > 0:
        return "+" + text
    if points < 0:
        return numbers.MINUS + text
    return text


def format_month(month: str, lang: str, *, long: bool = False) -> str:
    """A ``YYYY-MM`` month for people: ``2024年1月`` / ``Jan 2024`` (``long``: ``January 2024``)."""
    from datetime import date

    from babel.dates import format_skeleton

    _t(lang)
    return format_skeleton("yMMMM" if long else "yMMM", date(int(month[:4]), int(month[5:7]), 1), locale=lang)
