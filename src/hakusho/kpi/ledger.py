"""KPIs from a customer ledger: the monthly MRR export a customer-success team keeps in its CRM.

A ledger is a CSV file with one row per customer and month::

    customer_id,month,mrr,nps
    C001,2024-01,45000,
    C001,2024-02,45000,9

``mrr`` is the month's recurring revenue in yen (0 or more); ``nps`` is an optional 0–10 answer
given that month. Other columns are ignored, so a raw CRM export can be read as it is.

How the ledger is read (written down once, because every KPI depends on it):

* a customer is *active* in a month when it has a row with MRR above 0; a customer without a row
  (or with MRR 0) after an active month has churned; one that becomes active again is new again;
* the start of a month is the end of the month before, so a month's rates need the previous
  month in the ledger (the ledger's first month only reports its customers and MRR);
* the year runs from its first month in the ledger to its last: the customers active in the first
  month are the starting cohort, whose MRR in the last month gives the annual NRR; the customers
  active in the last month and not in the first are the year's new customers;
* ARR is the last month's MRR × 12, and ARPA is ARR ÷ the customers active in the last month.

Every problem of a ledger (missing column, bad month, negative MRR, a repeated customer and month,
a month missing from the sequence) is reported at once with its line number.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from hakusho import config
from hakusho.errors import KpiError, Problem, ProblemCollector
from hakusho.i18n import LANGS, Translator
from hakusho.kpi import formulas as kpi
from hakusho.messages import Listed, Msg
from hakusho.pipeline import outputs
from hakusho.text import numbers

REQUIRED_COLUMNS = ("customer_id", "month", "mrr")
OPTIONAL_COLUMNS = ("nps",)
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
NPS_PATTERN = re.compile(r"^\d{1,2}$")



@dataclass(frozen=True)
class Ledger:
    """A checked ledger: MRR per month and customer (active or not), NPS answers per month."""

    source: str  # the file as the user named it, for messages
    months: tuple[str, ...]  # consecutive YYYY-MM, oldest first
    mrr: dict[str, dict[str, Decimal]]  # month -> customer -> MRR (every row, MRR 0 included)
    nps: dict[str, tuple[int, ...]] = field(default_factory=dict)  # month -> answers in file order

    def active(self, month: str) -> dict[str, Decimal]:
        """Customers paying in ``month`` and what they pay."""
        return {c: v for c, v in self.mrr.get(month, {}).items() if v > 0}

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({int(m[:4]) for m in self.months}))

    def previous(self, month: str) -> str | None:
        at = self.months.index(month)
        return self.months[at - 1] if at > 0 else None


# --- reading ------------------------------------------------------------------------------------


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive."""
    out = [first]
    while out[-1] < last:
        out.append(next_month(out[-1]))
    return out


def _parse_mrr(text: str) -> Decimal | None:
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def _csv_rows(reader: Any, source: str) -> Iterable[list[str]]:
    """The reader's rows, with a broken CSV (a NUL byte, say) reported instead of raised."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise KpiError(Msg("ledger.unreadable", source=source), [Problem(
                Msg("ledger.problem.fields", detail=exc), file=source, row=reader.line_num,
                expected=Msg("ledger.expected.csv"))]) from None
        yield cells


def parse_ledger(text: str, source: str) -> Ledger:
    """Check and read a ledger's text; every problem is reported at once as a KpiError."""
    problems = ProblemCollector()
    reader = csv.reader(io.StringIO(text))
    rows_in_file = iter(_csv_rows(reader, source))
    header = next(rows_in_file, None)
    if header is None or not any(cell.strip() for cell in header):
        raise KpiError(Msg("ledger.empty", source=source), [Problem(
            Msg("ledger.problem.no_header"), file=source, row=1, expected=Msg("ledger.expected.header"))])
    names = [cell.strip().lower() for cell in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise KpiError(Msg("ledger.missing_columns", source=source), [
            Problem(Msg("ledger.problem.missing_column"), file=source, row=1, column=col,
                    value=",".join(header), expected=Msg("ledger.expected.columns"))
            for col in missing])
    at = {name: names.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in names}

    mrr: dict[str, dict[str, Decimal]] = {}
    nps: dict[str, list[int]] = {}
    seen: dict[tuple[str, str], int] = {}
    first_line: dict[str, int] = {}
    rows = 0
    for cells in rows_in_file:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of an export
        rows += 1

        def cell(name: str, cells: list[str] = cells) -> str:
            index = at.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        where = {"file": source, "row": line}
        customer, month, amount, score = cell("customer_id"), cell("month"), cell("mrr"), cell("nps")
        ok = True
        if not customer:
            problems.add(Msg("ledger.problem.no_customer"), column="customer_id", expected=Msg("ledger.expected.id"),
                         **where)
            ok = False
        if not MONTH_PATTERN.match(month):
            problems.add(Msg("ledger.problem.month"), column="month", value=month,
                         expected=Msg("ledger.expected.month"), **where)
            ok = False
        value = _parse_mrr(amount)
        if value is None:
            negative = re.fullmatch(r"-\d+(\.\d+)?", amount)
            message = (Msg("ledger.problem.negative") if negative else Msg("ledger.problem.no_mrr") if not amount
                       else Msg("ledger.problem.mrr_not_number"))
            problems.add(message, column="mrr", value=amount or None, expected=Msg("ledger.expected.mrr"), **where)
            ok = False
        answer: int | None = None
        if score:
            if NPS_PATTERN.match(score) and int(score) <= 10:
                answer = int(score)
            else:
                problems.add(Msg("ledger.problem.nps"), column="nps", value=score,
                             expected=Msg("ledger.expected.nps"), **where)
                ok = False
        if ok and (customer, month) in seen:
            problems.add(Msg("ledger.problem.twice", customer=customer, month=month, row=seen[customer, month]),
                         column="customer_id", value=customer, expected=Msg("ledger.expected.one_row"), **where)
            ok = False
        if not ok:
            continue
        seen[customer, month] = line
        first_line.setdefault(month, line)
        mrr.setdefault(month, {})[customer] = value  # type: ignore[assignment]
        if answer is not None:
            nps.setdefault(month, []).append(answer)

    if rows == 0:
        raise KpiError(Msg("ledger.no_rows", source=source), [Problem(
            Msg("ledger.problem.no_rows"), file=source, row=2, expected=Msg("ledger.expected.one_row"))])
    months = sorted(mrr)
    if months:
        for gap in sorted(set(month_range(months[0], months[-1])) - set(months)):
            after = next(m for m in months if m > gap)
            problems.add(Msg("ledger.problem.gap", month=gap), file=source, row=first_line[after], column="month",
                         value=gap, expected=Msg("ledger.expected.every_month", first=months[0], last=months[-1]))
    problems.raise_if_any(KpiError, Msg("ledger.unusable", source=source, n=len(problems.problems)))
    return Ledger(
        source=source,
        months=tuple(months),
        mrr={m: dict(sorted(mrr[m].items())) for m in months},
        nps={m: tuple(nps[m]) for m in sorted(nps)},
    )


def read_ledger(path: Path | str) -> Ledger:
    """Read and check a ledger CSV (UTF-8, with or without a byte-order mark)."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KpiError(Msg("ledger.no_file", source=source)) from None
    except IsADirectoryError:
        raise KpiError(Msg("ledger.is_folder", source=source)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KpiError(Msg("ledger.not_utf8", source=source), [Problem(
            Msg("ledger.problem.decode"), file=source, row=line, expected=Msg("ledger.expected.utf8"))]) from None
    return parse_ledger(text, source)


# --- computing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthKpis:
    """One month of the ledger. Movement figures are None for the ledger's first month."""

    month: str
    customers_end: int
    mrr_end: Decimal
    customers_start: int | None = None
    new_customers: int | None = None
    churned_customers: int | None = None
    mrr_start: Decimal | None = None
    mrr_new: Decimal | None = None
    mrr_expansion: Decimal | None = None
    mrr_contraction: Decimal | None = None
    mrr_churned: Decimal | None = None
    customer_churn: Fraction | None = None  # None also when the month starts with no customers
    revenue_churn: Fraction | None = None
    nrr: Fraction | None = None  # month over month
    nps: kpi.NpsResult | None = None


@dataclass(frozen=True)
class YearKpis:
    """The year from its first to its last month in the ledger."""

    year: int
    first_month: str
    last_month: str
    customers_start: int
    customers_end: int
    new_customers: int
    churned_customers: int
    customer_retention: Fraction
    mrr_start: Decimal
    mrr_end: Decimal
    mrr_end_of_start_cohort: Decimal
    nrr: Fraction
    arr: Decimal
    arpa: Fraction
    nps: kpi.NpsResult | None = None


def month_kpis(ledger: Ledger, month: str) -> MonthKpis:
    """Customers, MRR movements and rates of one month against the month before."""
    now = ledger.active(month)
    scores = ledger.nps.get(month, ())
    score = kpi.nps(scores) if scores else None
    prev_month = ledger.previous(month)
    if prev_month is None:
        return MonthKpis(month, len(now), sum(now.values(), Decimal(0)), nps=score)
    before = ledger.active(prev_month)
    stayed = before.keys() & now.keys()
    lost = before.keys() - now.keys()
    won = now.keys() - before.keys()
    expansion = sum((now[c] - before[c] for c in stayed if now[c] > before[c]), Decimal(0))
    contraction = sum((before[c] - now[c] for c in stayed if now[c] < before[c]), Decimal(0))
    churned_mrr = sum((before[c] for c in lost), Decimal(0))
    mrr_start = sum(before.values(), Decimal(0))
    customer_churn = revenue_churn = nrr = None
    if before:
        customer_churn = kpi.customer_churn_rate(churned=len(lost), customers_at_start=len(before))
        revenue_churn = kpi.revenue_churn_rate(lost_mrr=churned_mrr + contraction, mrr_at_start=mrr_start)
        nrr = kpi.revenue_retention_rate(revenue_at_end=sum((now[c] for c in stayed), Decimal(0)),
                                         revenue_at_start=mrr_start)
    return MonthKpis(
        month=month,
        customers_end=len(now),
        mrr_end=sum(now.values(), Decimal(0)),
        customers_start=len(before),
        new_customers=len(won),
        churned_customers=len(lost),
        mrr_start=mrr_start,
        mrr_new=sum((now[c] for c in won), Decimal(0)),
        mrr_expansion=expansion,
        mrr_contraction=contraction,
        mrr_churned=churned_mrr,
        customer_churn=customer_churn,
        revenue_churn=revenue_churn,
        nrr=nrr,
        nps=score,
    )


def year_months(ledger: Ledger, year: int | None = None) -> list[str]:
    """The ledger's months in ``year`` (default: its latest year)."""
    chosen = ledger.years[-1] if year is None else year
    months = [m for m in ledger.months if int(m[:4]) == chosen]
    if not months:
        listed = ", ".join(str(y) for y in ledger.years)
        raise KpiError(Msg("ledger.no_year", source=ledger.source, year=chosen), [Problem(
            Msg("ledger.problem.year"), file=ledger.source, column="month", value=chosen,
            expected=Msg("ledger.expected.years", years=listed))])
    return months


def monthly_kpis(ledger: Ledger, year: int | None = None) -> list[MonthKpis]:
    return [month_kpis(ledger, m) for m in year_months(ledger, year)]


def year_kpis(ledger: Ledger, year: int | None = None) -> YearKpis:
    """Annual retention, NRR, ARR, ARPA and NPS from the year's first to its last month."""
    months = year_months(ledger, year)
    first, last = months[0], months[-1]
    start, end = ledger.active(first), ledger.active(last)
    if not start:
        raise KpiError(Msg("ledger.no_paying", source=ledger.source, month=first), [Problem(
            Msg("ledger.problem.no_start"), file=ledger.source,
            column="mrr", value=first, expected=Msg("ledger.expected.first_month"))])
    if not end:
        raise KpiError(Msg("ledger.no_paying", source=ledger.source, month=last), [Problem(
            Msg("ledger.problem.no_end"), file=ledger.source,
            column="mrr", value=last, expected=Msg("ledger.expected.last_month"))])
    kept = start.keys() & end.keys()
    new = len(end.keys() - start.keys())
    mrr_end = sum(end.values(), Decimal(0))
    kept_mrr = sum((end[c] for c in kept), Decimal(0))
    mrr_start = sum(start.values(), Decimal(0))
    annual = kpi.arr(mrr_end)
    scores = [s for m in months for s in ledger.nps.get(m, ())]
    return YearKpis(
        year=int(first[:4]),
        first_month=first,
        last_month=last,
        customers_start=len(start),
        customers_end=len(end),
        new_customers=new,
        churned_customers=len(start) - len(kept),
        customer_retention=kpi.customer_retention_rate(
            customers_at_start=len(start), customers_at_end=len(end), new_customers=new),
        mrr_start=mrr_start,
        mrr_end=mrr_end,
        mrr_end_of_start_cohort=kept_mrr,
        nrr=kpi.revenue_retention_rate(revenue_at_end=kept_mrr, revenue_at_start=mrr_start),
        arr=Decimal(annual),
        arpa=kpi.arpa(annual, len(end)),
        nps=kpi.nps(scores) if scores else None,
    )


# --- tables for people and machines -------------------------------------------------------------

MONTHLY_COLUMNS = [
    "month", "customers_start", "new_customers", "churned_customers", "customers_end", "customer_churn_pct",
    "mrr_start", "mrr_new", "mrr_expansion", "mrr_contraction", "mrr_churned", "mrr_end", "revenue_churn_pct",
    "nrr_pct", "nps", "nps_responses",
]
YEAR_COLUMNS = [
    "year", "first_month", "last_month", "customers_start", "new_customers", "churned_customers", "customers_end",
    "customer_retention_pct", "mrr_start", "mrr_end", "mrr_end_of_start_cohort", "nrr_pct", "arr", "arpa", "nps",
    "nps_responses",
]


def _pct(rate: Fraction | None) -> float | None:
    return None if rate is None else float(kpi.as_percent(rate))


def _yen(amount: Decimal | Fraction | None) -> int | None:
    return None if amount is None else int(kpi.round_yen(amount))


def _nps_points(result: kpi.NpsResult | None) -> float | None:
    return None if result is None else float(kpi.as_percent(result.score / 100))


def month_record(month: MonthKpis) -> dict[str, object]:
    """One month's figures as plain numbers (whole yen, percent with one decimal, None = n/a)."""
    return {
        "month": month.month,
        "customers_start": month.customers_start,
        "new_customers": month.new_customers,
        "churned_customers": month.churned_customers,
        "customers_end": month.customers_end,
        "customer_churn_pct": _pct(month.customer_churn),
        "mrr_start": _yen(month.mrr_start),
        "mrr_new": _yen(month.mrr_new),
        "mrr_expansion": _yen(month.mrr_expansion),
        "mrr_contraction": _yen(month.mrr_contraction),
        "mrr_churned": _yen(month.mrr_churned),
        "mrr_end": _yen(month.mrr_end),
        "revenue_churn_pct": _pct(month.revenue_churn),
        "nrr_pct": _pct(month.nrr),
        "nps": _nps_points(month.nps),
        "nps_responses": month.nps.responses if month.nps else None,
    }


def year_record(year: YearKpis) -> dict[str, object]:
    """The year's figures as plain numbers (whole yen, percent with one decimal, None = n/a)."""
    return {
        "year": year.year,
        "first_month": year.first_month,
        "last_month": year.last_month,
        "customers_start": year.customers_start,
        "new_customers": year.new_customers,
        "churned_customers": year.churned_customers,
        "customers_end": year.customers_end,
        "customer_retention_pct": _pct(year.customer_retention),
        "mrr_start": _yen(year.mrr_start),
        "mrr_end": _yen(year.mrr_end),
        "mrr_end_of_start_cohort": _yen(year.mrr_end_of_start_cohort),
        "nrr_pct": _pct(year.nrr),
        "arr": _yen(year.arr),
        "arpa": _yen(year.arpa),
        "nps": _nps_points(year.nps),
        "nps_responses": year.nps.responses if year.nps else None,
    }


def _frame(records: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(records, columns=columns)
    whole = [c for c in columns if c not in ("month", "first_month", "last_month", "nps") and not c.endswith("_pct")]
    table[whole] = table[whole].astype("Int64")
    table[[c for c in columns if c == "nps" or c.endswith("_pct")]] = table[
        [c for c in columns if c == "nps" or c.endswith("_pct")]].astype("Float64")
    return table


def monthly_table(months: Iterable[MonthKpis]) -> pd.DataFrame:
    """One row per month (columns ``MONTHLY_COLUMNS``)."""
    return _frame([month_record(m) for m in months], MONTHLY_COLUMNS)


def year_table(year: YearKpis) -> pd.DataFrame:
    """The year as a one-row table (columns ``YEAR_COLUMNS``)."""
    return _frame([year_record(year)], YEAR_COLUMNS)


def to_csv_text(table: pd.DataFrame) -> str:
    """CSV as the report ships it: UTF-8, LF line ends, blanks for figures that do not apply."""
    return table.to_csv(index=False, lineterminator="\n", na_rep="")


def to_json_document(ledger: Ledger, months: list[MonthKpis], year: YearKpis,
                     benchmark: list[dict[str, object]] | None = None) -> str:
    """The ledger's KPIs as one JSON document (file name only, no folders; sorted, stable)."""
    document: dict[str, object] = {
        "ledger": Path(ledger.source).name,
        "year": year_record(year),
        "months": [month_record(m) for m in months],
    }
    if benchmark is not None:
        document["benchmark"] = benchmark
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --- the shipped example ------------------------------------------------------------------------

# Seat prices of the example's two plans, in yen per seat and month.
SAMPLE_SEAT_PRICES = (3_000, 5_500)


def sample_ledger(seed: int = 2024, year: int = 2024, customers: int = 40) -> str:
    """A realistic ledger for trying ``hakusho kpi``: the text of data/examples/ledger_sample.csv.

    Seat-priced subscriptions: about four in five customers are paying in January, the rest sign
    up during the year; each month a customer may cancel, add or remove seats; NPS answers come
    from surveys in June and December, lower among customers about to leave. Only
    ``Random.random`` is used, whose sequence Python keeps stable, so the file is reproducible.
    """
    import random

    rng = random.Random(seed)
    months = month_range(f"{year}-01", f"{year}-12")
    survey_months = {months[5], months[11]}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer_id", "month", "mrr", "nps"])
    for number in range(1, customers + 1):
        joins = 0 if rng.random() < 0.85 else 1 + int(rng.random() * 10)
        seats = max(2, round(math.exp(math.log(2) + rng.random() * math.log(40))))
        price = SAMPLE_SEAT_PRICES[0] if rng.random() < 0.6 else SAMPLE_SEAT_PRICES[1]
        mood = 3.5 + rng.random() * 7  # the customer's usual NPS answer; unhappy ones cancel more
        cancel = (0.03 if mood < 6 else 0.006) * (0.3 if seats >= 30 else 1)  # large accounts get more care
        for index, month in enumerate(months[joins:], start=joins):
            if index > joins and rng.random() < cancel:
                break  # cancelled: no rows from this month on
            change = rng.random()
            if index > joins and change < 0.05:
                seats += 1 + int(rng.random() * 4)
            elif index > joins and change < 0.07:
                seats = max(1, seats - 1 - int(rng.random() * 2))
            answer = ""
            if month in survey_months and rng.random() < 0.6:
                answer = str(min(10, max(0, round(mood + (rng.random() - 0.5) * 3))))
            writer.writerow([f"C{number:03d}", month, seats * price, answer])
    return out.getvalue()


# --- the `hakusho kpi` command ------------------------------------------------------------------

PRINTED_COLUMNS = [
    "month", "customers_end", "new_customers", "churned_customers", "customer_churn_pct", "mrr_end",
    "mrr_expansion", "mrr_contraction", "revenue_churn_pct", "nrr_pct", "nps",
]
FORMATS = ("table", "csv", "json")


def _cell(column: str, value: Any, lang: str) -> str:
    """One figure of a printed table, formatted for ``lang`` (a dash where it does not apply)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return numbers.DASH
    if column.endswith("_pct"):
        return numbers.pct(float(value), lang)
    if column == "nps":
        points = float(value)
        text = numbers.magnitude(points, lang)
        return ("+" if points > 0 else numbers.MINUS if points < 0 else "") + text
    if column == "month":
        return kpi.format_month(str(value), lang)
    return numbers.count(int(value), lang)


def terminal_tables(months: list[MonthKpis], year: YearKpis, lang: str) -> list[object]:
    """Rich renderables for the terminal: the monthly table, the year's figures and notes."""
    from rich.table import Table

    t = Translator(lang, "kpi")
    records = [month_record(m) for m in months]
    columns = [c for c in PRINTED_COLUMNS if c != "nps" or any(r["nps"] is not None for r in records)]
    monthly = Table(title=t("ledger.title.monthly", first=kpi.format_month(months[0].month, lang, long=True),
                            last=kpi.format_month(months[-1].month, lang, long=True)),
                    title_justify="left")
    for column in columns:
        monthly.add_column(t(f"ledger.column.{column}"), justify="left" if column == "month" else "right")
    for record in records:
        monthly.add_row(*(_cell(c, record[c], lang) for c in columns))

    figures = year_record(year)
    annual = Table(title=t("ledger.title.year", year=year.year), title_justify="left", show_header=False)
    annual.add_column(justify="left")
    annual.add_column(justify="right")
    for label, column in (("customers_start", "customers_start"), ("new_customers", "new_customers"),
                          ("churned_customers", "churned_customers"), ("customers_end", "customers_end"),
                          ("customer_retention", "customer_retention_pct"), ("nrr", "nrr_pct"),
                          ("mrr_end", "mrr_end"), ("arr", "arr"), ("arpa", "arpa")):
        value = figures[column]
        shown = _cell(column, value, lang)
        if column in ("mrr_end", "arr", "arpa"):
            shown = kpi.format_yen(int(value), lang)
        annual.add_row(t(f"ledger.year.{label}"), shown)
    if year.nps is not None:
        annual.add_row(t("ledger.year.nps"), t("ledger.year.nps_value", score=kpi.format_nps(year.nps, lang),
                                                n=numbers.count(year.nps.responses, lang)))
    notes = [t("ledger.note.period", first=kpi.format_month(year.first_month, lang, long=True),
               last=kpi.format_month(year.last_month, lang, long=True))]
    if months[0].customers_start is None:
        notes.append(t("ledger.note.first_month", month=kpi.format_month(months[0].month, lang, long=True)))
    return [monthly, annual, *notes]


def benchmark_table(model: dict[str, Any]) -> list[object]:
    """Rich renderables of a benchmark model (see :func:`hakusho.kpi.benchmark.benchmark_model`)."""
    from rich.table import Table

    columns = model["columns"]
    table = Table(title=str(model["title"]), title_justify="left")
    keys = ("metric", "value", "bucket", "below", "same", "above", "base")
    for key in keys:
        table.add_column(columns[key], justify="left" if key in ("metric", "bucket") else "right")
    rows = model["rows"]
    for row in rows:
        table.add_row(row["label"], *(row[k] for k in keys[1:]))
    sentences = [row["sentence"] for row in rows]
    return [table, *sentences, str(model["source"]), *model["notes"]]


def output_names(year: int) -> dict[str, str]:
    """File names written into ``--out`` for one year."""
    return {
        "monthly": f"kpi_{year}_monthly.csv",
        "year": f"kpi_{year}.csv",
        "json": f"kpi_{year}.json",
        "html": f"kpi_{year}_benchmark.{{lang}}.html",
    }


def benchmark_values(year: YearKpis) -> dict[str, Fraction]:
    """The four values of a ledger's year that the survey benchmarks (see :mod:`hakusho.kpi.benchmark`)."""
    return {
        "retention": Fraction(year.customer_retention),
        "nrr": Fraction(year.nrr),
        "arpa": Fraction(year.arpa),
        "arr": Fraction(year.arr),
    }


def _survey_present() -> bool:
    from hakusho.project import NoProjectError

    try:
        raw = config.raw_wave_dir(config.DEFAULT_WAVE)
    except NoProjectError:  # a ledger outside any project: no survey to compare with
        return False
    return config.codebook_path(config.DEFAULT_WAVE).is_file() and raw.is_dir() and any(raw.iterdir())


def run_kpi(path: Path, *, year: int | None = None, out: Path | None = None, lang: str = "ja",
            fmt: str = "table", benchmark: bool | None = None, html: bool = False,
            console: Console | None = None) -> list[Path]:
    """What ``hakusho kpi`` does: read, compute, print, write. Returns the files written.

    ``benchmark=None`` compares with the survey when its data is present and says so when not;
    ``True`` requires it; ``False`` skips it.
    """
    from hakusho.kpi import benchmark as kpi_benchmark

    if lang not in LANGS:
        raise KpiError(Msg("ledger.unknown_language", name=lang),
                       [Problem(Msg("ledger.problem.language"), column="--lang", value=lang,
                                expected=Listed(LANGS, "list.or"))])
    if fmt not in FORMATS:
        raise KpiError(Msg("ledger.unknown_format", name=fmt),
                       [Problem(Msg("ledger.problem.format"), column="--format", value=fmt,
                                expected=", ".join(FORMATS))])
    if html and out is None:
        raise KpiError(Msg("ledger.html_needs_out"))
    if out is not None:  # refused before any work: --out must be new, empty or an earlier kpi output
        outputs.claim_folder(out, command="kpi", inputs=[path])
    ledger = read_ledger(path)
    months = monthly_kpis(ledger, year)
    annual = year_kpis(ledger, year)
    t = Translator(lang, "kpi")

    placements = survey = None
    if benchmark is True and not _survey_present():
        raise KpiError("--benchmark needs the survey data", [Problem(
            "survey data not found", file=f"data/raw/{config.DEFAULT_WAVE}",
            expected=f"the {config.DEFAULT_WAVE} codebook and raw responses in the project")])
    if benchmark is not False and _survey_present():
        from hakusho.survey.load import load_wave

        survey = load_wave(config.DEFAULT_WAVE)
        placements = kpi_benchmark.benchmark(benchmark_values(annual), survey)
    records = [kpi_benchmark.placement_record(p) for p in placements] if placements is not None else None
    ledger_label = {"ledger": Path(ledger.source).name, "first": kpi.format_month(annual.first_month, lang, long=True),
                    "last": kpi.format_month(annual.last_month, lang, long=True)}

    written: list[Path] = []
    if out is not None:
        names = output_names(annual.year)
        files = {names["monthly"]: to_csv_text(monthly_table(months)), names["year"]: to_csv_text(year_table(annual)),
                 names["json"]: to_json_document(ledger, months, annual, records)}
        if html and survey is not None and placements is not None:
            model = kpi_benchmark.benchmark_model(placements, survey, lang, ledger_label=ledger_label)
            files[names["html"].format(lang=lang)] = kpi_benchmark.render_html(model)
        written = outputs.write_files(out, {name: text.encode("utf-8") for name, text in files.items()},
                                      command="kpi", inputs=[path])

    screen = console or Console()
    if fmt == "csv":
        screen.out(to_csv_text(monthly_table(months)), end="", highlight=False)
        return written
    if fmt == "json":
        screen.out(to_json_document(ledger, months, annual, records), end="", highlight=False)
        return written
    for item in terminal_tables(months, annual, lang):
        screen.print(item)
    if survey is not None and placements is not None:
        model = kpi_benchmark.benchmark_model(placements, survey, lang, ledger_label=ledger_label)
        screen.print()
        for item in benchmark_table(model):
            screen.print(item)
    elif benchmark is None:
        screen.print(t("ledger.note.no_survey"))
    for target in written:
        screen.print(t("ledger.note.written", path=str(target)), highlight=False)
    return written
