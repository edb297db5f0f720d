"""Every edition on file keeps building: the 2025 edition exactly as released, and the next edition
made the way an editor makes it — a new export, ``hakusho edition new 2026 --from 2025``, a build
compared with 2025 — touching nothing but data, codebook, crosswalk, edition and commentary files.

The 2026 export is a fixture derived from the synthetic 2025 sample (586 of its respondents) and
labelled synthetic by its codebook, which is a copy of 2025's.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest

from hakusho.cli import main
from hakusho.edition import moved_figures

REPO = Path(__file__).resolve().parents[1]
CODE = ("src", "notebooks", "templates")
COMPARED = ("nrr", "arpa", "kpis_tracked", "income")  # identical in 2025 and 2026: compared unlisted

pytestmark = pytest.mark.slow


def _tree(root: Path, folders: tuple[str, ...]) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted((root / folder).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A copy of the project after the editor's steps and both builds; the package's files before."""
    root = tmp_path_factory.mktemp("editions") / "wp"
    shutil.copytree(REPO / "data", root / "data", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(REPO / "hakusho.toml", root / "hakusho.toml")
    code_before = _tree(REPO, CODE)
    mp = pytest.MonkeyPatch()
    mp.setenv("HAKUSHO_PROJECT", str(root))
    mp.setenv("SOURCE_DATE_EPOCH", "1733011200")
    try:
        # 1. The new export: 586 of the 2025 respondents.
        lines = (root / "data/raw/2025/responses.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        (root / "data/raw/2026").mkdir()
        (root / "data/raw/2026/responses.csv").write_text("".join(lines[:587]), encoding="utf-8")
        data_before = _tree(root, ("data",))
        # 2. The edition, from 2025's; 3. the build, compared with 2025; and the 2025 edition.
        assert main(["edition", "new", "2026", "--from", "2025"]) == 0
        assert main(["validate", str(root / "data/raw/2026")]) == 0
        assert main(["build", "--wave", "2026", "--compare", "2025", "--quiet", "--jobs", "2"]) == 0
        assert main(["build", "--quiet", "--jobs", "2"]) == 0
        # The three-wave series: 2026 against 2025 and 2023.
        assert main(["build", "--wave", "2026", "--compare", "2025,2023", "--quiet", "--jobs", "2"]) == 0
    finally:
        mp.undo()
    return root, code_before, data_before


def test_the_editors_steps_touch_only_data_and_text(editions) -> None:
    root, code_before, data_before = editions
    assert _tree(REPO, CODE) == code_before  # no file of the package, its notebooks or templates changed
    changed = {k for k, v in _tree(root, ("data",)).items() if data_before.get(k) != v}
    allowed = re.compile(r"data/(codebook/2026\.yml|codebook/crosswalk/2025-2026\.yml|editions/2026/[a-z]+\.yml"
                         r"|commentary/2026/[a-z0-9]+\.(ja|en)\.md)$")
    assert changed and all(allowed.match(path) for path in changed), sorted(changed)
    assert not [p for p in root.iterdir() if p.name not in ("data", "report", "hakusho.toml")]


def test_the_2026_report_compares_every_identical_question_with_2025(editions) -> None:
    root, _, _ = editions
    report = root / "report/2026"
    figures = {}
    for path in (report / "figures").glob("*.json"):
        figures.update(json.loads(path.read_text(encoding="utf-8")))
    assert figures["ch1.n_total"]["value"] == 586
    for chart in COMPARED:
        assert any(fid.startswith(f"{chart}.") and fid.endswith(".change_pt") for fid in figures), chart
    assert not [fid for fid in figures if "_2023" in fid or ".2023." in fid]  # no 2023 reference left
    for lang in ("ja", "en"):
        page = (report / lang / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in page and "2026" in page
        text = _pdf_text(report / lang / f"hakusho-2026-{lang}.pdf")
        assert "2026" in text and "2025" in text
    en = _pdf_text(report / "en" / "hakusho-2026-en.pdf")
    assert "Customer Success White Paper 2026" in en and "2023 edition" not in en
    assert "白書2023" not in _pdf_text(report / "ja" / "hakusho-2026-ja.pdf")


def test_the_three_wave_series_shows_every_wave_with_a_test_per_step(editions) -> None:
    root, _, _ = editions
    report = root / "report/2026-saas-vs2025+2023"
    figures, first = {}, {}
    for path in (report / "figures").glob("*.json"):
        figures.update(json.loads(path.read_text(encoding="utf-8")))
    for path in (root / "report/2025/figures").glob("*.json"):
        first.update(json.loads(path.read_text(encoding="utf-8")))
    for chart in COMPARED:  # asked in three waves: all three shown
        for wave in ("2026", "2025", "2023"):
            assert any(fid.startswith(f"{chart}.{wave}.") for fid in figures) or wave == "2026", (chart, wave)
        # 2023 read in 2026 terms through both crosswalks equals 2023 read in 2025 terms (2025 → 2026
        # is identical), so the composed map is the 2023 → 2025 map.
        earliest = {k: v["value"] for k, v in figures.items() if k.startswith(f"{chart}.2023.")}
        assert earliest and earliest == {k: v["value"] for k, v in first.items() if k.startswith(f"{chart}.2023.")}
    for lang, step, caveat in (("en", "Change from 2023 to 2025", "HiCustomer"),
                               ("ja", "2023年調査から2025年調査への変化", "HiCustomer")):
        page = (report / lang / "index.html").read_text(encoding="utf-8")
        assert page.count(step) >= len(COMPARED) and caveat in page
        text = _pdf_text(report / lang / f"hakusho-2026-{lang}.pdf")
        assert step.replace(" ", "") in text.replace("\n", "").replace(" ", "")
    methodology = _pdf_text(report / "en" / "hakusho-2026-en.pdf")
    for wave in ("Customer Success White Paper 2025", "Customer Success White Paper 2023"):
        assert wave in methodology
    assert "Routes:" in methodology


def test_the_2025_edition_still_builds_with_every_released_figure(editions) -> None:
    root, _, _ = editions
    mp = pytest.MonkeyPatch()
    mp.setenv("HAKUSHO_PROJECT", str(root))
    try:
        moved = moved_figures("2025", root / "report/2025")
        assert moved == [], [f"{m.figure_id}: {m.old} → {m.new}" for m in moved]
        # Reference charts of 2023 stay in the 2025 edition, named from the 2023 codebook.
        ch4 = json.loads((root / "report/2025/figures/ch4.json").read_text(encoding="utf-8"))
        assert any(fid.startswith("revenue_churn_2023.") for fid in ch4)
        en = _pdf_text(root / "report/2025/en/hakusho-2025-en.pdf")
        assert "Monthly revenue churn (2023 edition)" in en
    finally:
        mp.undo()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_new_editions_pages_work_in_a_browser(editions, lang: str) -> None:
    """The 2026 report and the three-wave series in Chromium, as the 2025 report is checked: no
    console error, every chart drawn and visible, the contents' anchors resolve."""
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM, _require_browser

    _require_browser()
    root, _, _ = editions
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for folder in ("2026", "2026-saas-vs2025+2023"):
                page = browser.new_page()
                errors: list[str] = []
                page.on("console", lambda msg, seen=errors: seen.append(msg.text)
                        if msg.type in ("error", "warning") else None)
                page.on("pageerror", lambda exc, seen=errors: seen.append(str(exc)))
                page.goto((root / "report" / folder / lang / "index.html").as_uri())
                page.wait_for_load_state("load")
                charts = page.locator("figure.chart .chart-svg svg:visible")
                assert charts.count() > 40
                for i in range(charts.count()):
                    chart = charts.nth(i)
                    chart.scroll_into_view_if_needed()
                    box = chart.bounding_box()
                    assert box is not None and box["width"] > 100 and box["height"] > 20, (folder, i)
                for anchor in page.locator("nav a[href^='#']").evaluate_all("els => els.map(e => e.hash)"):
                    assert page.locator(anchor.replace(":", "\\:")).count() == 1, (folder, anchor)
                assert errors == [], (folder, errors)
                page.close()
        finally:
            browser.close()
