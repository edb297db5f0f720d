"""Customer ledgers: reading, every kind of bad ledger, monthly and annual KPIs, the command."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from hakusho import config
from hakusho.cli import main
from hakusho.errors import KpiError
from hakusho.kpi import ledger

SAMPLE = config.DATA_DIR / "examples" / "ledger_sample.csv"

# Three customers in January; C leaves (MRR 0) and D joins in February, A upgrades; E joins in
# March and B downgrades.
SMALL = """customer_id,month,mrr,nps
A,2024-01,10000,9
B,2024-01,20000,
C,2024-01,30000,3
A,2024-02,12000,
B,2024-02,20000,
C,2024-02,0,
D,2024-02,5000,
A,2024-03,12000,10
B,2024-03,15000,
D,2024-03,5000,7
E,2024-03,8000,
"""


def write(tmp_path: Path, text: str, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list:
    with pytest.raises(KpiError) as caught:
        ledger.read_ledger(write(tmp_path, text))
    return caught.value.problems


# --- reading ------------------------------------------------------------------------------------


def test_reads_a_small_ledger():
    book = ledger.parse_ledger(SMALL, "small.csv")
    assert book.months == ("2024-01", "2024-02", "2024-03")
    assert book.active("2024-02") == {"A": Decimal(12000), "B": Decimal(20000), "D": Decimal(5000)}
    assert book.nps == {"2024-01": (9, 3), "2024-03": (10, 7)}


def test_reads_byte_order_mark_extra_columns_and_blank_lines(tmp_path):
    text = "\ufeffCustomer_ID, Month ,MRR,plan\nA,2024-01,1000,basic\n\nA,2024-02,1000,basic\n\n"
    book = ledger.read_ledger(write(tmp_path, text))
    assert book.months == ("2024-01", "2024-02")


@pytest.mark.parametrize(
    ("text", "row", "column", "value", "words"),
    [
        ("customer_id,month,mrr\nA,2024-01,-500\n", 2, "mrr", "-500", "negative MRR"),
        ("customer_id,month,mrr\nA,2024-01,¥500\n", 2, "mrr", "¥500", "not a number"),
        ("customer_id,month,mrr\nA,2024-01,\n", 2, "mrr", None, "MRR missing"),
        ("customer_id,month,mrr\nA,2024/01,500\n", 2, "month", "2024/01", "month"),
        ("customer_id,month,mrr\nA,2024-13,500\n", 2, "month", "2024-13", "month"),
        ("customer_id,month,mrr\n,2024-01,500\n", 2, "customer_id", None, "customer id missing"),
        ("customer_id,month,mrr,nps\nA,2024-01,500,11\n", 2, "nps", "11", "NPS"),
        ("customer_id,month,mrr,nps\nA,2024-01,500,7.5\n", 2, "nps", "7.5", "NPS"),
        ("customer_id,month,mrr\nA,2024-01,500\nB,2024-01,500\nA,2024-01,700\n", 4, "customer_id", "A", "twice"),
        ("customer_id,month,mrr\nA,2024-01,500\nA,2024-02,500\nA,2024-04,500\n", 4, "month", "2024-03", "no rows"),
    ],
)
def test_each_bad_ledger_gets_a_located_message(tmp_path, text, row, column, value, words):
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file.endswith("ledger.csv")
    assert (problem.row, problem.column, problem.value) == (row, column, value)
    assert words in problem.message
    assert problem.expected


def test_all_problems_are_reported_at_once(tmp_path):
    text = "customer_id,month,mrr\nA,2024-01,-1\nB,24-01,5\nC,2024-01,x\n"
    problems = problems_of(tmp_path, text)
    assert [p.row for p in problems] == [2, 3, 4]


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "empty"), ("customer_id,month,mrr\n", "no rows"), ("id,period,mrr\nA,2024-01,5\n", "lacks required")],
)
def test_empty_or_headless_ledgers(tmp_path, text, words):
    with pytest.raises(KpiError) as caught:
        ledger.read_ledger(write(tmp_path, text))
    assert words in caught.value.message


def test_missing_columns_are_named(tmp_path):
    problems = problems_of(tmp_path, "id,period,mrr\nA,2024-01,5\n")
    assert sorted(p.column for p in problems) == ["customer_id", "month"]
    assert all(p.row == 1 for p in problems)


def test_broken_csv_is_reported_with_its_line(tmp_path):
    oversized = "9" * 200_000  # longer than the csv module accepts in one field
    problems = problems_of(tmp_path, f"customer_id,month,mrr\nA,2024-01,5\nB,2024-01,{oversized}\n")
    assert problems[0].row == 3 and "fields" in problems[0].message


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes("customer_id,month,mrr\n顧客,2024-01,5\n".encode("shift_jis"))
    with pytest.raises(KpiError, match="not UTF-8"):
        ledger.read_ledger(path)
    with pytest.raises(KpiError, match="no such file"):
        ledger.read_ledger(tmp_path / "absent.csv")


# --- computing ----------------------------------------------------------------------------------


def test_monthly_kpis_of_the_small_ledger():
    january, february, march = ledger.monthly_kpis(ledger.parse_ledger(SMALL, "small.csv"))
    assert january.customers_start is None and january.customer_churn is None
    assert (january.customers_end, january.mrr_end) == (3, Decimal(60000))
    assert (february.customers_start, february.new_customers, february.churned_customers) == (3, 1, 1)
    assert (february.mrr_new, february.mrr_expansion, february.mrr_churned) == (5000, 2000, 30000)
    assert february.customer_churn == Fraction(1, 3)
    assert february.revenue_churn == Fraction(1, 2)
    assert february.nrr == Fraction(32000, 60000)
    assert (march.mrr_contraction, march.revenue_churn, march.nrr) == (5000, Fraction(5, 37), Fraction(32, 37))
    assert march.nps.score == 50


def test_year_kpis_of_the_small_ledger():
    year = ledger.year_kpis(ledger.parse_ledger(SMALL, "small.csv"))
    assert (year.customers_start, year.customers_end, year.new_customers, year.churned_customers) == (3, 4, 2, 1)
    assert year.customer_retention == Fraction(2, 3)
    assert year.nrr == Fraction(27000, 60000)
    assert year.arr == Decimal(480000)
    assert year.arpa == 120000
    assert year.nps.score == 25  # 9, 3, 10, 7: two promoters, one detractor of four


def test_year_is_chosen_and_checked():
    rows = "".join(f"A,{m},12000,\n" for m in ledger.month_range("2024-04", "2025-01"))
    book = ledger.parse_ledger(SMALL + rows, "two-years.csv")
    assert book.years == (2024, 2025)
    assert ledger.year_kpis(book).year == 2025  # the latest by default
    assert ledger.year_kpis(book, 2024).last_month == "2024-12"
    # The first month of 2025 is measured against December 2024.
    assert ledger.monthly_kpis(book, 2025)[0].customers_start == 1
    with pytest.raises(KpiError, match="no rows for 2023"):
        ledger.year_kpis(book, 2023)


def test_a_year_that_starts_without_customers_is_an_error():
    text = "customer_id,month,mrr\nA,2024-01,0\nA,2024-02,500\n"
    with pytest.raises(KpiError, match="no paying customer in 2024-01"):
        ledger.year_kpis(ledger.parse_ledger(text, "zero.csv"))


def test_month_after_an_empty_month_has_no_rates():
    text = "customer_id,month,mrr\nA,2024-01,0\nA,2024-02,500\n"
    february = ledger.monthly_kpis(ledger.parse_ledger(text, "zero.csv"))[1]
    assert february.customers_start == 0 and february.new_customers == 1
    assert february.customer_churn is None and february.nrr is None


ledgers = st.lists(
    st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=500_000)), min_size=2, max_size=8),
    min_size=1, max_size=12,
)


def ledger_text(grid: list[list[int | None]]) -> str:
    months = ledger.month_range("2024-01", f"2024-{max(len(r) for r in grid):02d}")
    lines = ["customer_id,month,mrr"]
    for index, row in enumerate(grid):
        lines += [f"C{index},{month},{mrr}" for month, mrr in zip(months, row, strict=False) if mrr is not None]
    lines += [f"Z,{month},0" for month in months]  # keeps every month in the file
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(ledgers)
def test_monthly_movements_add_up(grid):
    book = ledger.parse_ledger(ledger_text(grid), "random.csv")
    for month in ledger.monthly_kpis(book)[1:]:
        assert month.customers_end == month.customers_start + month.new_customers - month.churned_customers
        assert month.mrr_end == (month.mrr_start + month.mrr_new + month.mrr_expansion - month.mrr_contraction
                                 - month.mrr_churned)
        if month.customer_churn is not None:
            assert 0 <= month.customer_churn <= 1
            assert 0 <= month.revenue_churn <= 1
            assert month.nrr >= 0
            # Without expansion, NRR is what revenue churn leaves.
            if month.mrr_expansion == 0:
                assert month.nrr == 1 - month.revenue_churn


@settings(max_examples=60, deadline=None)
@given(ledgers)
def test_annual_figures_stay_in_range(grid):
    book = ledger.parse_ledger(ledger_text(grid), "random.csv")
    try:
        year = ledger.year_kpis(book)
    except KpiError:
        return  # a year that starts or ends with no paying customer
    assert 0 <= year.customer_retention <= 1
    assert year.nrr >= 0
    assert year.customers_end - year.new_customers == year.customers_start - year.churned_customers
    assert year.arpa * year.customers_end == year.arr


# --- the shipped example ------------------------------------------------------------------------


def test_sample_ledger_is_the_seeded_generator_output():
    assert SAMPLE.read_text(encoding="utf-8") == ledger.sample_ledger()


def test_sample_ledger_is_realistic():
    book = ledger.read_ledger(SAMPLE)
    customers = {c for month in book.mrr.values() for c in month}
    assert len(customers) == 40 and book.months == tuple(ledger.month_range("2024-01", "2024-12"))
    year = ledger.year_kpis(book)
    assert year.churned_customers > 0 and year.new_customers > 0 and year.nps is not None
    months = ledger.monthly_kpis(book)
    assert any(m.mrr_expansion for m in months[1:]) and any(m.mrr_contraction for m in months[1:])
    assert ledger.sample_ledger(seed=7) != ledger.sample_ledger()


# --- outputs and the command --------------------------------------------------------------------


def test_tables_and_json_document():
    book = ledger.parse_ledger(SMALL, "small.csv")
    months, year = ledger.monthly_kpis(book), ledger.year_kpis(book)
    table = ledger.monthly_table(months)
    assert list(table.columns) == ledger.MONTHLY_COLUMNS
    csv_text = ledger.to_csv_text(table)
    assert csv_text.splitlines()[2].startswith("2024-02,3,1,1,3,33.3,60000,5000,2000,0,30000,37000,50.0,53.3,")
    document = json.loads(ledger.to_json_document(book, months, year))
    assert document["year"]["customer_retention_pct"] == 66.7
    assert document["year"]["nrr_pct"] == 45.0
    assert document["months"][0]["customer_churn_pct"] is None
    assert list(ledger.year_table(year).columns) == ledger.YEAR_COLUMNS


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_terminal_tables_speak_the_language(lang):
    book = ledger.parse_ledger(SMALL, "small.csv")
    console = Console(record=True, width=160)
    for item in ledger.terminal_tables(ledger.monthly_kpis(book), ledger.year_kpis(book), lang):
        console.print(item)
    text = console.export_text()
    if lang == "en":
        assert "Customer retention (annual)" in text and "66.7%" in text and "¥480,000" in text
        assert not any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)
    else:
        assert "顧客継続率（年間）" in text and "480,000円" in text and "2024年1月" in text


def test_command_writes_files_and_prints(tmp_path, capsys):
    source = write(tmp_path, SMALL, "small.csv")
    out = tmp_path / "out"
    code = main(["kpi", str(source), "--out", str(out), "--lang", "en", "--no-benchmark"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["kpi_2024.csv", "kpi_2024.json", "kpi_2024_monthly.csv",
                                                     "manifest.json"]
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    printed = capsys.readouterr().out
    assert "Net revenue retention (annual)" in printed
    main(["kpi", str(source), "--out", str(out), "--no-benchmark"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # deterministic, language-neutral files
    document = json.loads((out / "kpi_2024.json").read_text(encoding="utf-8"))
    assert document["ledger"] == "small.csv"  # no folders in outputs


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_command_prints_machine_formats(tmp_path, capsys, fmt):
    source = write(tmp_path, SMALL, "small.csv")
    assert main(["kpi", str(source), "--format", fmt, "--no-benchmark"]) == 0
    printed = capsys.readouterr().out
    if fmt == "csv":
        assert printed.splitlines()[0] == ",".join(ledger.MONTHLY_COLUMNS)
    else:
        assert json.loads(printed)["year"]["arr"] == 480000


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--lang", "fr"], "unknown language"),
        (["--format", "xml"], "unknown format"),
        (["--html"], "--out"),
        (["--year", "2030"], "no rows for 2030"),
    ],
)
def test_command_rejects_bad_options(tmp_path, capsys, args, words):
    source = write(tmp_path, SMALL, "small.csv")
    assert main(["kpi", str(source), "--no-benchmark", *args]) != 0
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_command_reports_a_bad_ledger_without_traceback(tmp_path, capsys):
    source = write(tmp_path, "customer_id,month,mrr\nA,2024-01,-5\nA,2024-01,5\n", "bad.csv")
    code = main(["kpi", str(source), "--no-benchmark"])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv, row 2, column mrr: negative MRR (value '-5'; expected a yen amount" in err
    assert "Traceback" not in err


SURVEY_PRESENT = config.codebook_path("2025").is_file() and any(config.raw_wave_dir("2025").glob("*.csv"))


@pytest.mark.skipif(not SURVEY_PRESENT, reason="the 2025 survey data is not in this checkout")
def test_command_benchmarks_the_sample_against_the_survey(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["kpi", str(SAMPLE), "--out", str(out), "--html", "--lang", "en"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "Your annual customer retention of 87.5% falls in the survey's" in printed
    document = json.loads((out / "kpi_2024.json").read_text(encoding="utf-8"))
    assert [b["metric"] for b in document["benchmark"]] == ["retention", "nrr", "arpa", "arr"]
    page = (out / "kpi_2024_benchmark.en.html").read_text(encoding="utf-8")
    assert "Your ARR of" in page and str(tmp_path) not in page


def test_benchmark_without_survey_data(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(ledger, "_survey_present", lambda: False)
    source = write(tmp_path, SMALL, "small.csv")
    assert main(["kpi", str(source), "--benchmark"]) == 2
    assert "--benchmark needs the survey data" in capsys.readouterr().err
    assert main(["kpi", str(source), "--lang", "en"]) == 0  # by default the benchmark is optional
    assert "No survey responses were found" in capsys.readouterr().out
