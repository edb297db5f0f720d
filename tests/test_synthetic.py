"""The synthetic generator: reproducible, scalable, routed like the questionnaire, and shaped the
way the report says the data is shaped."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho import config
from hakusho.analysis.tabulate import share_of_base
from hakusho.errors import CodebookError, HakushoError, OutputError
from hakusho.pipeline.cache import tree_hashes
from hakusho.survey import synthetic
from hakusho.survey.codebook import Condition, load_codebook
from hakusho.survey.load import load_wave
from hakusho.survey.wave import Survey

WAVES = ("2025", "2023")


@pytest.fixture(scope="module")
def survey_2025() -> Survey:
    return load_wave("2025")


@pytest.mark.parametrize("wave", WAVES)
def test_regeneration_is_byte_identical_to_the_committed_export(wave: str) -> None:
    committed = (config.raw_wave_dir(wave) / synthetic.RESPONSES_FILE).read_bytes()
    regenerated = synthetic.to_csv_text(synthetic.generate(wave)).encode("utf-8")
    assert regenerated == committed
    assert b"\r" not in committed


def test_another_seed_gives_other_answers_but_the_same_calibrated_figures() -> None:
    default = synthetic.generate("2023")
    other = synthetic.generate("2023", seed=7)
    assert not default.equals(other)
    for table in (default, other):
        known = table["Q4"][table["Q4"] != "99"]
        assert len(known) == 160 and (known == "3").sum() == 75


def test_scale_multiplies_rows_and_keeps_every_calibrated_share(tmp_path) -> None:
    path = synthetic.write("2023", tmp_path, scale=3)
    survey = load_wave("2023", raw_path=path)
    assert survey.n == 609
    assert list(survey.responses.index[:2]) == ["R0001", "R0002"]
    doing = survey.population("saas_doing")
    nrr = share_of_base(survey, "nrr", doing).set_index("choice_key")
    assert int(nrr["base"].iloc[0]) == 480
    assert nrr.loc["n90_100", "pct"] == 46.9 and nrr.loc["n120_plus", "pct"] == 25.0
    churn = share_of_base(survey, "revenue_churn", doing).set_index("choice_key")
    assert churn.loc["under_2", "pct"] == 50.0 and churn.loc["c6_plus", "pct"] == 24.3


def test_ids_are_zero_padded_to_fit() -> None:
    table = synthetic.generate("2023", scale=50)
    ids = table["ResponseID"]
    assert len(ids) == 10150
    assert ids.iloc[0] == "R00001" and ids.iloc[-1] == "R10150"
    assert ids.is_unique and list(ids) == sorted(ids)


def test_scale_below_one_is_refused() -> None:
    with pytest.raises(HakushoError, match="scale"):
        synthetic.generate("2023", scale=0)


def test_every_cell_is_text_and_codes_exist(survey_2025: Survey) -> None:
    table = synthetic.generate("2025")
    book = load_codebook("2025")
    assert list(table.columns) == book.expected_columns()
    for q in book.questions:
        if q.type == "multi":
            for choice in q.choices:
                assert set(table[q.multi_column(choice)]) <= {"", "0", "1"}, q.id
        else:
            codes = {str(c.code) for c in q.choices}
            assert set(table[q.column]) - {""} <= codes, q.id


def test_routing_is_respected(survey_2025: Survey) -> None:
    """Answered exactly when asked; routed multiple answers tick at least one choice."""
    for q in survey_2025.codebook.questions:
        asked = survey_2025.asked(q.id)
        answered = survey_2025.answered(q.id)
        assert (asked == answered).all(), q.id
        if q.type == "multi":
            ticks = survey_2025.multi(q.id)
            assert ticks[asked].notna().all().all(), q.id
            assert ticks[asked].astype(bool).any(axis=1).all(), q.id
            assert ticks[~asked].isna().all().all(), q.id
            if "none" in q.choice_keys:
                others = ticks[asked].drop(columns="none").astype(bool).any(axis=1)
                assert not (ticks[asked]["none"].astype(bool) & others).any(), f"{q.id}: 'none' with others"


def test_other_text_only_behind_other_answers(survey_2025: Survey) -> None:
    responses = survey_2025.responses
    filled_somewhere = False
    for q in survey_2025.codebook.questions:
        if not q.other_column:
            continue
        text = responses[f"{q.id}__other_text"]
        other = next(c for c in q.choices if c.other_text)
        chose = survey_2025.multi(q.id)[other.key] if q.type == "multi" else responses[q.id] == other.code
        chose = chose.fillna(False).astype(bool)
        assert not (text.notna() & ~chose).any(), q.id
        filled_somewhere |= bool(text.notna().any())
    assert filled_somewhere


def test_panel_was_screened(survey_2025: Survey) -> None:
    """The survey company only took people at companies of 1,000+ in CS, sales or support."""
    responses = survey_2025.responses
    panel = survey_2025.where([Condition(var="route", op="==", value="panel")])
    large = survey_2025.where([Condition(var="employees", op=">=", value=1000)])
    assert panel.sum() == 523
    assert large[panel].all()
    depts = survey_2025.multi("department")[panel][["customer_success", "customer_support", "sales"]]
    assert depts.astype(bool).any(axis=1).all()
    sns = ~panel
    assert responses.loc[sns, "industry__saas"].astype(bool).mean() > 0.6  # social media reached SaaS
    assert responses.loc[panel, "industry__saas"].astype(bool).mean() < 0.2


def _cs_tool_count(survey: Survey) -> pd.Series:
    ticks = survey.multi("tools")
    return ticks[list(synthetic._CS_TOOLS)].astype(float).sum(axis=1)


def test_retention_rises_with_cs_tools(survey_2025: Survey) -> None:
    doing = survey_2025.population("saas_doing")
    retention = survey_2025.responses.loc[doing, "retention"].astype(float)
    tools = _cs_tool_count(survey_2025)[doing]
    assert retention.corr(tools, method="spearman") > 0.3
    top = survey_2025.codebook.question("retention").choice("r90_100").code
    many = tools >= tools.median()
    assert (retention[many] == top).mean() > (retention[~many] == top).mean() + 0.15


def test_tool_adoption_rises_with_company_size(survey_2025: Survey) -> None:
    employees = survey_2025.responses["employees"].astype(float)
    assert employees.corr(_cs_tool_count(survey_2025), method="spearman") > 0.2


def test_bpo_use_rises_with_cs_headcount(survey_2025: Survey) -> None:
    responses = survey_2025.responses
    asked = responses["cs_headcount"].notna()
    bpo = responses.loc[asked, "services__cs_bpo"].astype(bool)
    headcount = responses.loc[asked, "cs_headcount"]
    assert bpo[headcount >= 6].mean() > 2 * bpo[headcount <= 2].mean()


def test_arr_never_exceeds_company_revenue(survey_2025: Survey) -> None:
    book = survey_2025.codebook
    lower = {c.code: c.lower for c in book.question("arr").choices}
    upper = {c.code: c.upper for c in book.question("revenue").choices if c.in_base}
    both = survey_2025.responses[["arr", "revenue"]].dropna()
    both = both[both["revenue"].isin(upper)]
    arr_low = both["arr"].map(lower).astype(float)
    rev_high = both["revenue"].map(upper).astype(float).fillna(np.inf)
    assert (arr_low < rev_high).all()


@pytest.fixture
def raw_dir(tmp_path, monkeypatch) -> Path:
    """The raw folder of a scratch project holding copies of the codebooks and calibrations."""
    root = tmp_path / "proj"
    for folder in ("codebook", "synthetic"):
        shutil.copytree(config.DATA_DIR / folder, root / "data" / folder)
    (root / "hakusho.toml").write_text('name = "scratch"\nwave = "2025"\ncompare = ["2023"]\n', encoding="utf-8")
    monkeypatch.setenv("HAKUSHO_PROJECT", str(root))
    assert config.raw_wave_dir("2023") == root / "data" / "raw" / "2023"
    return root / "data" / "raw"


def test_the_raw_folder_sample_is_replaced_only_with_force(raw_dir) -> None:
    target = raw_dir / "2023" / synthetic.RESPONSES_FILE
    target.parent.mkdir(parents=True)
    target.write_text("SampleID\nR0001\n", encoding="utf-8")
    with pytest.raises(HakushoError, match="--force"):
        synthetic.write("2023")
    assert target.read_text(encoding="utf-8") == "SampleID\nR0001\n"
    assert synthetic.write("2023", force=True) == target
    assert synthetic.write("2023") == target  # identical: nothing to refuse
    assert sorted(p.name for p in target.parent.iterdir()) == [synthetic.RESPONSES_FILE]


def test_force_never_replaces_an_export_the_codebook_calls_real(raw_dir) -> None:
    book = config.codebook_path("2023")
    text = book.read_text(encoding="utf-8")
    assert "synthetic: true" in text
    book.write_text(text.replace("synthetic: true", "synthetic: false"), encoding="utf-8")
    real = raw_dir / "2023" / synthetic.RESPONSES_FILE
    real.parent.mkdir(parents=True)
    real.write_bytes(b"ResponseID\nthe real export\n")
    with pytest.raises(HakushoError, match="says the 2023 data is real"):
        synthetic.write("2023", force=True)
    assert real.read_bytes() == b"ResponseID\nthe real export\n"


def test_write_refuses_to_sit_next_to_a_real_export(raw_dir, tmp_path) -> None:
    (raw_dir / "2023").mkdir(parents=True)
    (raw_dir / "2023" / "export.xlsx").write_bytes(b"")
    with pytest.raises(HakushoError, match=r"export\.xlsx"):
        synthetic.write("2023")
    assert sorted(p.name for p in (raw_dir / "2023").iterdir()) == ["export.xlsx"]
    elsewhere = tmp_path / "vendor"
    elsewhere.mkdir()
    (elsewhere / "export.xlsx").write_bytes(b"")
    with pytest.raises(OutputError, match=r"export\.xlsx"):  # --out: a folder hakusho did not write
        synthetic.write("2023", elsewhere, force=True)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["export.xlsx"]


def test_out_elsewhere_is_new_empty_or_an_earlier_synthetic_output(tmp_path) -> None:
    out = tmp_path / "sample" / "2023"
    first = synthetic.write("2023", out).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", synthetic.RESPONSES_FILE]
    synthetic.write("2023", out, seed=7)  # an earlier output of this command may be replaced
    assert (out / synthetic.RESPONSES_FILE).read_bytes() != first
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"notes\.txt"):
        synthetic.write("2023", out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_out_never_points_into_the_project_inputs() -> None:
    before = tree_hashes(config.DATA_DIR)
    for out in (config.raw_wave_dir("2023"), config.DATA_DIR, config.CODEBOOK_DIR, config.PROJECT_ROOT):
        with pytest.raises(OutputError, match="refusing to write"):
            synthetic.write("2025", out)
    assert tree_hashes(config.DATA_DIR) == before


def _targets(wave: str) -> dict:
    return copy.deepcopy(synthetic.load_targets(wave))


def test_counts_that_do_not_fill_the_cell_are_reported() -> None:
    targets = _targets("2023")
    targets["questions"]["nrr"]["cells"]["saas.doing"]["counts"]["n90_100"] = 70
    with pytest.raises(CodebookError, match=r"questions\.nrr\.cells\.saas\.doing: counts of nrr add up to 198, "
                                            r"but the cell has 203"):
        synthetic.generate("2023", targets=targets)


def test_unknown_choice_in_targets_is_reported() -> None:
    targets = _targets("2023")
    targets["questions"]["income"]["cells"]["saas.doing"]["counts"]["i_huge"] = 1
    with pytest.raises(CodebookError, match="income has no choice 'i_huge'") as info:
        synthetic.generate("2023", targets=targets)
    assert info.value.problems[0].value == "i_huge"


def test_unknown_question_and_missing_targets_are_reported() -> None:
    targets = _targets("2023")
    targets["questions"]["loyalty_index"] = {"cells": {}}
    with pytest.raises(CodebookError, match="questions the codebook 2023 lacks"):
        synthetic.generate("2023", targets=targets)
    targets = _targets("2023")
    del targets["questions"]["kpi_drivers"]
    with pytest.raises(CodebookError, match="no targets for a question asked of 203 respondents"):
        synthetic.generate("2023", targets=targets)


def test_impossible_multi_count_is_reported() -> None:
    targets = _targets("2023")
    targets["questions"]["kpis_tracked"]["cells"]["saas.doing"]["counts"]["nrr"] = 250
    with pytest.raises(CodebookError, match="kpis_tracked=nrr wants 250 respondents"):
        synthetic.generate("2023", targets=targets)


@given(n=st.integers(0, 5000), weights=st.lists(st.floats(0, 100), min_size=1, max_size=12))
def test_largest_remainder_sums_and_stays_within_one(n: int, weights: list[float]) -> None:
    w = np.array(weights)
    counts = synthetic._largest_remainder(n, w)
    if w.sum() <= 0 or n == 0:
        assert counts.sum() == 0
        return
    assert counts.sum() == n
    exact = w / w.sum() * n
    assert (np.abs(counts - exact) < 1 + 1e-9).all()
