"""Editions and crosswalks per pair of waves: what is compared, ``edition new``, released records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from hakusho import edition
from hakusho.analysis.spec import default_spec, load_spec
from hakusho.cli import main
from hakusho.errors import BuildError, CodebookError
from hakusho.survey.codebook import load_codebook
from hakusho.survey.crosswalk import (
    compare_codebooks,
    crosswalk_between,
    crosswalk_path,
    draft_text,
    load_crosswalk,
    validate_crosswalk,
)
from hakusho.text.commentary import missing_commentary, read_commentary

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repository's project (its data and hakusho.toml; the package's defaults)."""
    root = tmp_path / "wp"
    for rel in ("data/codebook", "data/commentary", "data/raw/2025", "data/raw/2023"):
        shutil.copytree(REPO / rel, root / rel)
    shutil.copyfile(REPO / "hakusho.toml", root / "hakusho.toml")
    monkeypatch.setenv("HAKUSHO_PROJECT", str(root))
    return root


def _codebook_2026(root: Path, edit=None) -> Path:
    """The 2025 codebook as a 2026 one (what an editor's copy looks like), optionally edited."""
    text = edition.codebook_copy((root / "data/codebook/2025.yml").read_text(encoding="utf-8"), "2025", "2026")
    if edit:
        text = edit(text)
    path = root / "data/codebook/2026.yml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ crosswalks per pair


def test_the_2023_2025_pair_lists_only_what_needs_a_decision(project: Path) -> None:
    books = load_codebook("2023"), load_codebook("2025")
    listed = load_crosswalk(crosswalk_path("2023", "2025"))
    found = compare_codebooks(*books, listed)
    assert set(found.mapped) == {"nrr", "arpa", "kpis_tracked", "income"}
    assert "cs_status" in found.identical  # same key, type and choices: comparable unlisted
    assert "employees" in found.changed and "revenue_churn" in found.gone and "retention" in found.new
    effective = crosswalk_between(*books)
    assert effective.variable("cs_status").inferred and not effective.variable("nrr").inferred
    assert effective.variable("employees") is None  # changed choices are never compared silently


def test_identical_questions_need_no_file_and_changed_ones_are_reported(project: Path) -> None:
    _codebook_2026(project, lambda t: t.replace("key: arr_under_1", "key: arr_below_1", 1))
    books = load_codebook("2025"), load_codebook("2026")
    assert not crosswalk_path("2025", "2026").exists()
    found = compare_codebooks(*books)
    assert found.changed == ("arr",) and not found.new and not found.gone
    assert {"nrr", "arpa", "kpis_tracked", "income", "cs_status"} <= set(found.identical)
    effective = crosswalk_between(*books)
    assert effective.variable("nrr").choices == {c.key: c.key for c in books[1].question("nrr").choices}
    assert effective.variable("arr") is None
    draft = draft_text(*books, found)
    doc = yaml.safe_load(draft)
    assert doc == {"from_wave": "2025", "to_wave": "2026", "variables": []}  # nothing compared until decided
    assert "#  - from: arr" in draft and "arr_under_1: ?" in draft and "new in 2026: arr_below_1" in draft


def test_an_exclusion_carries_its_note_and_is_checked(project: Path) -> None:
    _codebook_2026(project)
    path = crosswalk_path("2025", "2026")
    path.write_text('from_wave: "2025"\nto_wave: "2026"\nvariables:\n  - from: nrr\n    to: nrr\n    exclude: true\n'
                    '    note: {ja: 定義を変えたため比較しない, en: "Not compared: the definition changed"}\n',
                    encoding="utf-8")
    books = load_codebook("2025"), load_codebook("2026")
    effective = crosswalk_between(*books)
    assert effective.variable("nrr") is None and effective.exclusion("nrr").note.en.startswith("Not compared")
    assert "nrr" in compare_codebooks(*books, load_crosswalk(path)).excluded
    path.write_text(path.read_text(encoding="utf-8").replace("from: nrr", "from: nrrr"), encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        validate_crosswalk(load_crosswalk(path), *books)
    assert "no variable 'nrrr' in codebook 2025" in err.value.report()
    path.write_text('from_wave: "2025"\nto_wave: "2026"\nvariables:\n  - {from: nrr, to: nrr, exclude: true}\n',
                    encoding="utf-8")
    with pytest.raises(CodebookError, match="malformed"):
        load_crosswalk(path)


def test_crosswalk_command_prints_and_writes_the_draft(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _codebook_2026(project, lambda t: t.replace("key: arr_under_1", "key: arr_below_1", 1))
    assert main(["crosswalk", "2025", "2026", "--write"]) == 0
    out = capsys.readouterr().out
    assert "NOT compared: choices changed" in out and "1 changed" in out
    assert crosswalk_path("2025", "2026").is_file()
    assert main(["crosswalk", "2025", "2026", "--write"]) != 0  # never replaces the editor's file
    assert "exists" in capsys.readouterr().err


# ------------------------------------------------------------------------------ edition new


def test_edition_new_starts_2026_from_2025(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edition", "new", "2026", "--from", "2025"]) == 0
    out = capsys.readouterr().out
    book = load_codebook("2026")
    assert book.wave == "2026" and book.survey.title.en.endswith("2026") and book.survey.short_title.ja == "白書2026"
    assert book.survey.period_start == load_codebook("2025").survey.period_start  # for the editor to set
    spec = default_spec("2026")
    assert spec == load_spec(project / "data/editions/2026/chapters.yml")
    assert not [c for c in spec.charts.values() if c.wave == "compare"]  # 2023's reference charts are 2025's
    assert {"nrr", "arpa", "kpis_tracked", "income"} <= {c.id for c in spec.charts.values() if c.compare == "yoy"}
    assert "ch4-2023-churn" not in {s.id for ch in spec.chapters for s in ch.slides}
    assert default_spec("2025") == default_spec()  # the 2025 edition is untouched
    # Commentary stubs keep the 2025 text and references as notes; they publish nothing.
    stub = read_commentary(project / "data/commentary/2026/ch2.en.md")
    assert stub.unwritten and "${cs_status.doing.pct}" in "\n".join(stub.lines)
    assert len(missing_commentary("2026")) == 14
    # The crosswalk, inferred: every question identical, nothing to decide.
    assert yaml.safe_load(crosswalk_path("2025", "2026").read_text(encoding="utf-8"))["variables"] == []
    for needle in ("put the 2026 raw export into data/raw/2026/", "period_start", "revenue_churn_2023",
                   "reference no longer resolves: appendix.en.md: ${income.2023.median}", "hakusho build --wave 2026"):
        assert needle in out, needle
    # Run again: nothing is replaced.
    before = {p: p.read_bytes() for p in (project / "data").rglob("*") if p.is_file()}
    assert main(["edition", "new", "2026", "--from", "2025"]) == 0
    assert "wrote" not in capsys.readouterr().out
    assert before == {p: p.read_bytes() for p in (project / "data").rglob("*") if p.is_file()}


def test_an_editors_own_codebook_copy_is_kept(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _codebook_2026(project, lambda t: t.replace('period_end: "2024-12-31"', 'period_end: "2025-12-31"'))
    mine = path.read_bytes()
    assert main(["edition", "new", "2026", "--from", "2025"]) == 0
    assert path.read_bytes() == mine and "kept data/codebook/2026.yml" in capsys.readouterr().out


def test_edition_new_refuses_a_missing_source(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edition", "new", "2027", "--from", "2019"]) == 4
    assert "no codebook of edition 2019" in capsys.readouterr().err


# ------------------------------------------------------------------------------ released editions


def test_release_records_once_and_names_moved_figures(project: Path, tmp_path: Path) -> None:
    report = tmp_path / "report2025"
    (report / "figures").mkdir(parents=True)
    figures = {"cs_status.doing.pct": {"value": 86.0, "kind": "pct", "base": 257, "disclosure": "ok"},
               "cs_status.base": {"value": 257, "kind": "n", "base": 257, "disclosure": "ok"}}
    (report / "figures" / "ch2.json").write_text(json.dumps(figures), encoding="utf-8")
    # The cross-analysis part records test statistics and p-values: they are figures too.
    cross = {"cross.nrr_by_tools.chi2": {"value": 20.5, "kind": "statistic", "digits": 1, "base": 221},
             "cross.nrr_by_tools.p_value": {"value": 0.002, "kind": "p_value", "base": 221}}
    (report / "figures" / "cross.json").write_text(json.dumps(cross), encoding="utf-8")
    (report / "figures" / "explore.json").write_text(json.dumps({}), encoding="utf-8")
    record = edition.release("2025", report)
    assert record == project / "data/editions/2025/released/figures"
    assert sorted(p.name for p in record.iterdir()) == ["ch2.json", "cross.json"]  # not the explorer's tables
    with pytest.raises(BuildError, match="already released"):
        edition.release("2025", report)
    assert edition.moved_figures("2025", report) == []
    figures["cs_status.doing.pct"]["value"] = 85.9
    (report / "figures" / "ch2.json").write_text(json.dumps(figures), encoding="utf-8")
    cross["cross.nrr_by_tools.chi2"]["value"] = 20.6
    (report / "figures" / "cross.json").write_text(json.dumps(cross), encoding="utf-8")
    moved = edition.moved_figures("2025", report)
    assert [m.figure_id for m in moved] == ["cross.nrr_by_tools.chi2", "cs_status.doing.pct"]
    edition.release("2025", report, update=True)
    assert edition.moved_figures("2025", report) == []


def test_starting_the_next_edition_changes_nothing_an_earlier_report_was_built_from(project: Path) -> None:
    """A 2025 report's inputs (its cache keys and its manifest, which ``hakusho verify`` compares)
    are the 2025 edition's files only: ``edition new 2026`` adds files, never inputs of 2025."""
    from hakusho.pipeline.options import BuildOptions
    from hakusho.pipeline.plan import make_plan

    options = BuildOptions(wave="2025", compare_wave="2023")
    before = make_plan(options)
    assert "data/codebook/2025.yml" in before.inputs and "data/codebook/crosswalk/2023-2025.yml" in before.inputs
    assert any(k.startswith("data/commentary/2025/") for k in before.inputs)
    (project / "data/raw/2026").mkdir(parents=True)
    shutil.copyfile(project / "data/raw/2025/responses.csv", project / "data/raw/2026/responses.csv")
    assert main(["edition", "new", "2026", "--from", "2025"]) == 0
    (project / "data/README.md").write_text("notes for the editors\n", encoding="utf-8")
    after = make_plan(options)
    assert after.inputs == before.inputs
    assert (after.chapter_keys, after.build_key) == (before.chapter_keys, before.build_key)
    # The 2025 edition's own files still count.
    (project / "data/commentary/2025/ch1.en.md").write_text("# Changed\n", encoding="utf-8")
    assert make_plan(options).inputs != before.inputs
