"""Every figure the published reports print, recomputed from the shipped raw data.

The table of expectations is ``seed_figures.csv``: one row per printed number (headline, stray
chart label, median bucket, ranking claim), with the chart and population it belongs to, the
value as printed and how many decimals were printed, the base it implies, and where it is
printed. Each row is recomputed through the package's own loading and tabulation, so a change
to the data, the codebook, the spec or the arithmetic that moves a published number fails here.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from hakusho.analysis.spec import default_spec
from hakusho.analysis.tabulate import group_share, median_bucket, ranked, share_of_base
from hakusho.survey.load import load_wave
from hakusho.survey.wave import Survey

TABLE = Path(__file__).with_name("seed_figures.csv")
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8")))
KINDS = {"n", "pct", "count", "group", "range", "median", "top"}


@pytest.fixture(scope="module")
def surveys() -> dict[str, Survey]:
    return {wave: load_wave(wave) for wave in sorted({row["wave"] for row in ROWS})}


def _printed(count: int, base: int, decimals: int) -> Decimal:
    """A share rounded half up to the decimals the report printed."""
    step = Decimal(1).scaleb(-decimals)
    return (Decimal(count) * 100 / Decimal(base)).quantize(step, rounding=ROUND_HALF_UP)


def _table(survey: Survey, row: dict[str, str]) -> pd.DataFrame:
    spec = default_spec()
    chart = spec.charts[row["chart"]]
    return share_of_base(survey, chart.variable, survey.population(row["population"]))


def _combined(table: pd.DataFrame, chart_id: str, keys: str) -> float:
    """A combined share: a group of the chart in the spec (by id), or keys joined with '+'."""
    chart = default_spec().charts[chart_id]
    groups = {g.id: g.keys for g in chart.groups}
    return group_share(table, groups[keys] if keys in groups else keys.split("+"))


def test_table_is_well_formed() -> None:
    assert len(ROWS) >= 80
    spec = default_spec()
    assert len({row["figure"] for row in ROWS}) == len(ROWS), "figure ids repeat"
    for row in ROWS:
        assert row["kind"] in KINDS, row["figure"]
        assert row["source"], row["figure"]
        assert row["population"] in spec.populations, row["figure"]
        if row["kind"] != "n":
            chart = spec.charts[row["chart"]]
            # The population must be the chart's base or one of its series (a chart compared by
            # segment shows SaaS and non-SaaS): the figure is one the chart shows.
            shown = [chart.base, *chart.series] + (["saas", "non_saas"] if chart.compare == "by_segment" else [])
            assert row["population"] in shown, row["figure"]
            # A 2023 figure belongs to a chart of the comparison wave or to the 2023 series of a
            # year-over-year chart; a 2025 figure to a chart of the report wave.
            if row["wave"] == "2023":
                assert chart.wave == "compare" or chart.compare == "yoy", row["figure"]
            else:
                assert chart.wave == "report", row["figure"]


@pytest.mark.parametrize("row", ROWS, ids=[row["figure"] for row in ROWS])
def test_published_figure(row: dict[str, str], surveys: dict[str, Survey]) -> None:
    survey = surveys[row["wave"]]
    kind = row["kind"]
    if kind == "n":
        assert int(survey.population(row["population"]).sum()) == int(row["expected"])
        return
    table = _table(survey, row)
    base = int(table["base"].iloc[0])
    if row["base"]:
        assert base == int(row["base"]), f"base {base}, the report's arithmetic says {row['base']}"
    by_key = table.set_index("choice_key")
    if kind == "count":
        assert int(by_key.loc[row["keys"], "count"]) == int(row["expected"])
    elif kind == "pct":
        decimals = int(row["decimals"])
        count = int(by_key.loc[row["keys"], "count"])
        assert _printed(count, base, decimals) == Decimal(row["expected"])
        if decimals == 1:  # the package's own rounding gives the printed label
            assert by_key.loc[row["keys"], "pct"] == float(row["expected"])
    elif kind == "group":
        assert _combined(table, row["chart"], row["keys"]) == float(row["expected"])
    elif kind == "range":
        low, high = (float(v) for v in row["expected"].split(".."))
        keys = row["keys"]
        groups = {g.id for g in default_spec().charts[row["chart"]].groups}
        value = _combined(table, row["chart"], keys) if keys in groups or "+" in keys else by_key.loc[keys, "pct"]
        assert low <= float(value) <= high, f"{value} outside {low}–{high}"
    elif kind == "median":
        assert median_bucket(table) == row["keys"]
    elif kind == "top":
        expected = row["keys"].split("|")
        order = ranked(table)
        top = list(order["choice_key"].iloc[: len(expected)])
        assert set(top) == set(expected), f"top {len(expected)}: {top}"
        # No tie at the cut: the claim must not depend on how ties are ordered.
        if len(order) > len(expected):
            assert order["count"].iloc[len(expected) - 1] > order["count"].iloc[len(expected)]


def test_combined_shares_need_the_report_rule(surveys: dict[str, Survey]) -> None:
    """78.2 and 88.8 are sums of rounded shares; the raw ratio would print differently."""
    survey = surveys["2025"]
    doing = survey.population("saas_doing")
    for chart_id, group_id, printed in (("penetration", "beyond_team", 78.2), ("effect", "effective", 88.8)):
        chart = default_spec().charts[chart_id]
        keys = next(g.keys for g in chart.groups if g.id == group_id)
        table = share_of_base(survey, chart.variable, doing)
        raw = _printed(int(table.set_index("choice_key").loc[keys, "count"].sum()), int(table["base"].iloc[0]), 1)
        assert group_share(table, keys) == printed
        assert float(raw) != printed
