"""``hakusho diff`` on real builds of the project's own data: the default report, an integrated
(segment) build and a filtered one, each built twice — from the shipped sample and from a copy in
which one practising SaaS respondent moved up one retention band.

Whatever a build writes under ``figures/`` — the chapters' and the cross analysis's, chi-square,
p-values and Cramér's V included — the diff must read, and list exactly the figures whose value
differs between the two builds' files. Slow: six builds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hakusho import cli, config
from hakusho.build_folder import read_figures
from hakusho.pipeline import build
from hakusho.pipeline.options import parse_filters

pytestmark = pytest.mark.slow

EPOCH = 1_700_000_000
QUICK = {"chapters": ("ch4", "cross"), "langs": ("en",), "formats": ("html",)}


def _moved_respondent(data_dir: Path) -> tuple[str, str]:
    """Copy both waves into ``data_dir``, moving one practising SaaS respondent's retention from
    80–90 % to 90–100 %; returns the respondent's id and response route code."""
    import pandas as pd

    from hakusho.survey.load import load_waves

    survey, _ = load_waves("2025", "")
    book = survey.codebook
    retention = book.question("retention")
    practising = survey.population("saas_doing").fillna(False).astype(bool)
    answers = survey.responses
    candidates = answers.index[practising & (answers["retention"] == retention.choice("r80_90").code)]
    respondent = sorted(candidates)[0]
    for wave in ("2025", "2023"):
        (data_dir / wave).mkdir(parents=True)
        for source in sorted(config.raw_wave_dir(wave).iterdir()):
            (data_dir / wave / source.name).write_bytes(source.read_bytes())
    path = data_dir / "2025" / "responses.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    row = frame[book.id_column] == respondent
    assert row.sum() == 1 and frame.loc[row, retention.column].item() == str(retention.choice("r80_90").code)
    frame.loc[row, retention.column] = str(retention.choice("r90_100").code)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return respondent, frame.loc[row, book.question("route").column].item()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """{kind: (build from the sample, build with the moved respondent)} for three kinds of build."""
    root = tmp_path_factory.mktemp("diff-builds")
    _, route = _moved_respondent(root / "data")
    kinds = {
        "default": {},
        "segment": {"segment": "all", **QUICK},
        "filtered": {"filters": parse_filters([("route", "==", route)]), **QUICK},
    }
    out: dict[str, tuple[Path, Path]] = {}
    for kind, options in kinds.items():
        pair = []
        for side, data_dir in (("before", None), ("after", root / "data")):
            opts = build.BuildOptions(source_date_epoch=EPOCH, data_dir=data_dir, out=root / kind / side,
                                      cache_dir=root / f"cache-{side}", **options)
            pair.append(build.build(opts).target)
        out[kind] = (pair[0], pair[1])
    return out


def _figures_files(report: Path) -> dict[str, dict]:
    """Every figures file of a report read as plain JSON, merged: the test's own reading."""
    merged: dict[str, dict] = {}
    for path in sorted((report / "figures").glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def _diff(capsys: pytest.CaptureFixture, before: Path, after: Path) -> set[str]:
    assert cli.main(["diff", str(before), str(after), "--format", "json"]) == 0, capsys.readouterr().err
    return {f["figure_id"] for f in json.loads(capsys.readouterr().out)["figures"]}


@pytest.mark.parametrize("kind", ["default", "segment", "filtered"])
def test_diff_lists_exactly_the_figures_whose_value_moved(builds, capsys, kind):
    before, after = builds[kind]
    old, new = _figures_files(before), _figures_files(after)
    assert "cross.json" in {p.name for p in (before / "figures").iterdir()}
    assert len(read_figures(before)) == len(old) and len(read_figures(after)) == len(new)  # every file, every id
    expected = {fid for fid in old.keys() | new.keys()
                if fid not in old or fid not in new or old[fid]["value"] != new[fid]["value"]}
    moved = _diff(capsys, before, after)
    assert moved == expected
    assert {fid for fid in moved if "retention" not in fid} == set()  # nothing else moved
    if kind == "filtered":
        # A filtered build is a researcher's output: its counts are perturbed, each cell by its own
        # records' keys. The cells the respondent left and joined draw new noise, which may happen
        # to give the old count; cells without the respondent keep theirs (nothing else moved).
        assert moved & {"retention.r80_90.count", "retention.r90_100.count"}
        return
    assert {"retention.r80_90.count", "retention.r90_100.count"} <= moved
    # the cross of retention by CS tools: its cells and the statistics of its tests
    stats = {f"cross.retention_by_tools.{name}" for name in ("chi2", "p_value", "cramers_v")}
    assert stats <= moved


def test_the_text_diff_shows_test_statistics_and_locates_the_cross(builds, capsys):
    before, after = builds["default"]
    assert cli.main(["diff", str(before), str(after)]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    chi2 = next(line for line in lines if line.startswith("cross.retention_by_tools.chi2 "))
    old, new = (_figures_files(r)["cross.retention_by_tools.chi2"]["value"] for r in (before, after))
    assert chi2.startswith(f"cross.retention_by_tools.chi2 {old:g} → {new:g} {new - old:+.4g}")
    assert "slide cross-retention_by_tools" in lines[lines.index(next(x for x in lines if x.startswith(
        "cross.retention_by_tools.chi2 "))) + 1]


def test_a_build_compared_with_itself_has_no_change(builds, capsys):
    for before, _ in builds.values():
        assert cli.main(["diff", str(before), str(before), "--exit-code"]) == 0
        assert capsys.readouterr().out.strip() == "No figure changed."


def test_filtered_and_segment_builds_differ_from_the_default_in_their_own_figures(builds, capsys):
    default, _ = builds["default"]
    filtered, _ = builds["filtered"]
    moved = _diff(capsys, default, filtered)
    assert any(fid.startswith("cross.") for fid in moved) and any(fid.startswith("retention.") for fid in moved)
    # figures of chapters the filtered build did not run are reported as removed, not as errors
    assert "cs_status.base" in moved
