"""The figure diff: exactly the figures that moved, with where the report quotes them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from hakusho import cli, config
from hakusho.analysis.tabulate import percent
from hakusho.errors import BuildError
from hakusho.survey.codebook import load_codebook
from hakusho.survey.wave import Survey
from hakusho.text import commentary
from hakusho.text.figure_diff import (
    FigureChange,
    diff_figures,
    diff_reports,
    format_changes,
    locate,
    report_wave,
    slides_by_chart,
)

# Two questions of a tiny survey: cs_status (single answer) and contribution (multiple answers).
CS_STATUS = ("doing", "planning", "not_doing")
CONTRIBUTION = ("retention", "expansion", "loyalty")


def respondents() -> dict[str, dict]:
    """Twelve respondents, built in code so the test states every answer."""
    status = ["doing"] * 9 + ["planning"] * 2 + ["not_doing"]
    picks = [{"retention"}, {"retention", "expansion"}, {"expansion"}, {"retention"}, {"loyalty"},
             {"retention", "loyalty"}, {"retention"}, set(), {"expansion"}, {"retention"}, set(), set()]
    answers = zip(status, picks, strict=True)
    return {f"r{i:02d}": {"cs_status": s, "contribution": p} for i, (s, p) in enumerate(answers)}


def figures_of(people: dict[str, dict]) -> dict[str, dict]:
    """Figures as the contract names them, computed from respondents with the report's rounding."""
    figures: dict[str, dict] = {}
    base = len(people)
    counts = {k: sum(p["cs_status"] == k for p in people.values()) for k in CS_STATUS}
    figures["cs_status.base"] = {"value": base, "kind": "n", "base": base, "disclosure": "ok"}
    for key, count in counts.items():
        figures[f"cs_status.{key}.count"] = {"value": count, "kind": "count", "base": base, "disclosure": "ok"}
        figures[f"cs_status.{key}.pct"] = {"value": percent(count, base), "kind": "pct", "base": base,
                                           "disclosure": "ok"}
    top = sorted(counts, key=lambda k: (-counts[k], CS_STATUS.index(k)))[0]
    figures["cs_status.top1"] = {"value": top, "kind": "choice", "base": base, "disclosure": "ok",
                                 "label": {"ja": top, "en": top}}
    doing = {rid: p for rid, p in people.items() if p["cs_status"] == "doing"}
    figures["contribution.base"] = {"value": len(doing), "kind": "n", "base": len(doing), "disclosure": "ok"}
    for key in CONTRIBUTION:
        count = sum(key in p["contribution"] for p in doing.values())
        figures[f"contribution.{key}.count"] = {"value": count, "kind": "count", "base": len(doing),
                                                "disclosure": "ok"}
        figures[f"contribution.{key}.pct"] = {"value": percent(count, len(doing)), "kind": "pct",
                                              "base": len(doing), "disclosure": "ok"}
    return figures


def test_one_respondent_changed_lists_exactly_the_figures_that_moved() -> None:
    before = respondents()
    after = respondents()
    after["r05"]["contribution"] = {"retention", "expansion", "loyalty"}  # r05 ticks one more box
    changes = diff_figures(figures_of(before), figures_of(after))
    assert [(c.figure_id, c.old, c.new, c.change) for c in changes] == [
        ("contribution.expansion.count", 3, 4, 1),
        ("contribution.expansion.pct", 33.3, 44.4, pytest.approx(11.1)),
    ]
    assert all(c.status == "changed" for c in changes)


def test_a_respondent_who_changes_group_moves_both_groups_and_the_practising_base() -> None:
    before = respondents()
    after = respondents()
    after["r00"]["cs_status"] = "planning"  # r00 (retention only) no longer practises
    moved = {c.figure_id for c in diff_figures(figures_of(before), figures_of(after))}
    assert moved == {
        "cs_status.doing.count", "cs_status.doing.pct", "cs_status.planning.count", "cs_status.planning.pct",
        "contribution.base", "contribution.retention.count",
        "contribution.retention.pct", "contribution.expansion.pct", "contribution.loyalty.pct",
    }


def test_equal_values_are_not_changes_and_missing_figures_are() -> None:
    old = {"a.x.count": {"value": 221, "kind": "count"}, "a.x.pct": {"value": 86.0, "kind": "pct"},
           "a.sig": {"value": True, "kind": "flag"}, "gone.x.pct": {"value": 1.0, "kind": "pct"}}
    new = {"a.x.count": {"value": 221.0, "kind": "count"}, "a.x.pct": {"value": 86, "kind": "pct"},
           "a.sig": {"value": 1, "kind": "flag"}, "new.x.pct": {"value": None, "kind": "pct"}}
    changes = diff_figures(old, new)
    assert [(c.figure_id, c.status) for c in changes] == [
        ("a.sig", "changed"), ("gone.x.pct", "removed"), ("new.x.pct", "added")]


def test_a_suppressed_value_is_a_change_without_a_difference() -> None:
    old = {"a.x.pct": {"value": 50.0, "kind": "pct"}}
    new = {"a.x.pct": {"value": None, "kind": "pct"}}
    (change,) = diff_figures(old, new)
    assert change.change is None and change.new is None


def test_changes_are_located_on_slides_and_in_commentary(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    folder.mkdir()
    (folder / "ch2.ja.md").write_text(
        "---\nsummary:\n  - ${cs_status.doing.pct}が実践\n---\n本文${cs_status.doing.count}社。\n", encoding="utf-8")
    (folder / "ch2.en.md").write_text("---\nsummary: [x]\n---\n\nNow ${cs_status.doing.pct}.\n", encoding="utf-8")
    changes = [FigureChange("cs_status.doing.pct", "pct", "changed", 86.0, 85.6, -0.4),
               FigureChange("unknown_chart.x.pct", "pct", "changed", 1.0, 2.0, 1.0)]
    located = locate(changes, slides_by_chart(), commentary.quotes_by_figure("2025", tmp_path))
    assert located[0].slides == ("ch2-status",)
    assert located[0].quoted_in == ("2025/ch2.en.md:5", "2025/ch2.ja.md:3")
    assert located[1].slides == () and located[1].quoted_in == ()


def test_every_chart_of_the_spec_and_every_cross_has_a_slide() -> None:
    from hakusho.analysis.cross_spec import load_crosses
    from hakusho.analysis.spec import default_spec

    slides = slides_by_chart()
    assert set(slides) == set(default_spec().charts) | {f"cross.{c.id}" for c in load_crosses()} | {"explore"}
    assert slides["cross.retention_by_tools"] == "cross-retention_by_tools"


def test_test_statistics_are_changes_with_every_digit() -> None:
    old = {"cross.x.chi2": {"value": 61.138, "kind": "statistic", "digits": 1},
           "cross.x.p_value": {"value": 1.2e-12, "kind": "p_value"},
           "cross.x.cramers_v": {"value": 0.526, "kind": "statistic", "digits": 3}}
    new = {"cross.x.chi2": {"value": 60.9, "kind": "statistic", "digits": 1},
           "cross.x.p_value": {"value": 3.4e-12, "kind": "p_value"},
           "cross.x.cramers_v": {"value": 0.526, "kind": "statistic", "digits": 3}}
    changes = locate(diff_figures(old, new), {"cross.x": "cross-x"}, {})
    assert [(c.figure_id, c.slides) for c in changes] == [("cross.x.chi2", ("cross-x",)),
                                                        ("cross.x.p_value", ("cross-x",))]
    text = [" ".join(line.split()) for line in format_changes(changes, "text").splitlines()]
    assert "cross.x.chi2 61.138 → 60.9 -0.238" in text
    assert "cross.x.p_value 1.2e-12 → 3.4e-12 +2.2e-12" in text
    assert json.loads(format_changes(changes, "json"))["figures"][0]["change"] == -0.238


def _report_layouts(root: Path, figures: dict) -> list[Path]:
    """The same figures stored as a merged file, per chapter, and as a build directory."""
    merged, per_chapter, build = root / "merged", root / "per_chapter", root / "build"
    merged.mkdir(parents=True)
    (merged / "figures.json").write_text(json.dumps(figures), encoding="utf-8")
    (per_chapter / "figures").mkdir(parents=True)
    (build / "chapters" / "ch2").mkdir(parents=True)
    (build / "chapters" / "ch3").mkdir(parents=True)
    ch2 = {k: v for k, v in figures.items() if k.startswith("cs_status")}
    ch3 = {k: v for k, v in figures.items() if not k.startswith("cs_status")}
    for name, part in (("ch2", ch2), ("ch3", ch3)):
        (per_chapter / "figures" / f"{name}.json").write_text(json.dumps(part), encoding="utf-8")
        (build / "chapters" / name / "figures.json").write_text(json.dumps(part), encoding="utf-8")
    return [merged, per_chapter, build]


def test_reports_are_read_from_each_layout(tmp_path: Path) -> None:
    before = figures_of(respondents())
    after_people = respondents()
    after_people["r04"]["contribution"] = set()  # r04 had ticked loyalty only
    after = figures_of(after_people)
    old_layouts = _report_layouts(tmp_path / "old", before)
    new_layouts = _report_layouts(tmp_path / "new", after)
    results = {
        tuple(c.figure_id for c in diff_reports(o, n, wave="2025", commentary_root=tmp_path / "none"))
        for o in old_layouts for n in new_layouts
    }
    assert results == {("contribution.loyalty.count", "contribution.loyalty.pct")}


def test_the_report_wave_comes_from_its_manifest_or_folder(tmp_path: Path) -> None:
    (tmp_path / "2023").mkdir()
    assert report_wave(tmp_path / "2023") == "2023"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "manifest.json").write_text('{"wave": "2027"}', encoding="utf-8")
    assert report_wave(tmp_path / "x") == "2027"


CHANGES = [
    FigureChange("cs_status.doing.count", "count", "changed", 221, 220, -1, ("ch2-status",),
                 ("data/commentary/2025/ch2.ja.md:7",)),
    FigureChange("cs_status.doing.pct", "pct", "changed", 86.0, 85.6, -0.4000000000000057, ("ch2-status",),
                 ("data/commentary/2025/ch2.en.md:3", "data/commentary/2025/ch2.ja.md:3")),
    FigureChange("effect.top1", "choice", "added", None, "yes", None, ("ch3-effect",), ()),
]


def test_text_output_is_for_editors() -> None:
    text = format_changes(CHANGES, "text")
    assert text.splitlines() == [
        "3 figure(s) changed:",
        "",
        "  cs_status.doing.count    221 → 220    -1",
        "      slide ch2-status; quoted in data/commentary/2025/ch2.ja.md:7",
        "  cs_status.doing.pct    86.0% → 85.6%  -0.4 pt",
        "      slide ch2-status; quoted in data/commentary/2025/ch2.en.md:3, data/commentary/2025/ch2.ja.md:3",
        "  effect.top1                — → yes    added",
        "      slide ch3-effect",
    ]
    assert format_changes([], "text") == "No figure changed."


def test_csv_and_json_outputs_are_for_tools() -> None:
    rows = list(csv.DictReader(io.StringIO(format_changes(CHANGES, "csv"))))
    assert rows[1] == {"figure_id": "cs_status.doing.pct", "kind": "pct", "status": "changed", "old": "86.0",
                       "new": "85.6", "change": "-0.4", "slides": "ch2-status",
                       "quoted_in": "data/commentary/2025/ch2.en.md:3;data/commentary/2025/ch2.ja.md:3"}
    assert rows[2]["old"] == "" and rows[2]["status"] == "added"
    data = json.loads(format_changes(CHANGES, "json"))
    assert data["changed"] == 3
    assert data["figures"][1]["change"] == -0.4 and data["figures"][1]["slides"] == ["ch2-status"]
    with pytest.raises(BuildError, match="unknown diff format 'xml'"):
        format_changes(CHANGES, "xml")


def test_diff_command_exit_codes(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(config, "COMMENTARY_DIR", tmp_path / "commentary")
    before = figures_of(respondents())
    after_people = respondents()
    after_people["r11"]["cs_status"] = "planning"
    old = _report_layouts(tmp_path / "old", before)[0]
    new = _report_layouts(tmp_path / "new", figures_of(after_people))[1]
    assert cli.main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 figure(s) changed:")
    assert "cs_status.planning.pct 16.7% → 25.0% +8.3 pt" in [" ".join(line.split()) for line in out.splitlines()]
    assert cli.main(["diff", str(old), str(new), "--exit-code", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["changed"] == 4
    assert cli.main(["diff", str(old), str(old), "--exit-code"]) == 0
    assert capsys.readouterr().out.strip() == "No figure changed."
    assert cli.main(["diff", str(old), str(tmp_path / "nowhere")]) == BuildError.exit_code
    assert "no figures found" in capsys.readouterr().err


def _chapter_figures(chapter: str, survey: Survey) -> dict:
    from hakusho.analysis.chapter import compute_chapter

    return dict(compute_chapter(chapter, survey, None, segment="saas").figures)


def test_two_real_builds_differing_in_one_respondent_list_exactly_the_moved_figures(tmp_path: Path) -> None:
    """The shipped 2025 sample and a copy in which one practising SaaS respondent ticks one more
    specialist team: only that team's count and share move (in every id that names them)."""
    import pandas as pd

    from hakusho.survey.load import load_waves

    raw = config.raw_wave_dir("2025") / "responses.csv"
    if not raw.is_file():
        pytest.skip("the 2025 sample is not in data/raw")
    codebook = load_codebook(config.codebook_path("2025"))
    question = codebook.question("specialist_teams")
    survey, _ = load_waves("2025", "")
    before = _chapter_figures("ch5", survey)
    counts = {c.key: before[f"specialist_teams.{c.key}.count"]["value"] for c in question.choices}
    # A team whose count + 1 meets no other count, so that no rank changes with it.
    key = next(k for k, n in sorted(counts.items()) if k not in ("none", "other")
               and not any(n <= m <= n + 1 for other, m in counts.items() if other != k))
    answers = survey.responses
    practising = answers["industry__saas"].fillna(False).astype(bool) & (
        answers["cs_status"] == codebook.question("cs_status").choice("doing").code).fillna(False).astype(bool)
    teams = answers[[f"specialist_teams__{k}" for k in counts]].fillna(False).astype(bool)
    candidates = teams[practising & ~teams[f"specialist_teams__{key}"] & ~teams["specialist_teams__none"]
                       & teams.any(axis=1)].index
    respondent = sorted(candidates)[0]

    frame = pd.read_csv(raw, dtype=str, keep_default_na=False, encoding="utf-8")
    row = frame[codebook.id_column] == respondent
    assert row.sum() == 1
    frame.loc[row, question.multi_column(question.choice(key))] = "1"
    (tmp_path / "2025").mkdir()
    frame.to_csv(tmp_path / "2025" / "responses.csv", index=False, lineterminator="\n", encoding="utf-8")
    after = _chapter_figures("ch5", load_waves("2025", "", data_dir=tmp_path)[0])

    moved = {c.figure_id for c in diff_figures(before, after)}
    assert moved == {fid for fid in before if fid.startswith("specialist_teams.") and f".{key}." in fid}
    assert f"specialist_teams.{key}.count" in moved and f"specialist_teams.{key}.pct" in moved
