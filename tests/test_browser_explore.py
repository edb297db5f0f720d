"""The Explore part in a real browser (Debian's Chromium via Playwright), in both languages.

The pages are rendered from a build made in code (tests/fixtures_build.py) plus the explorer's
real tables, computed from the shipped sample. What the page shows is checked against the raw
CSV counted with pandas (tests/raw_tables.py), against hakusho's number formats, and with axe-core
(bundled by the axe-playwright-python test dependency and injected into the page: nothing is
downloaded).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fixtures_build import write_build
from raw_tables import raw_breakdown
from test_browser import ARGS, CHROMIUM, _open, _QuietHandler, _require_browser

from hakusho.analysis.disclosure import SUPPRESS_BELOW
from hakusho.analysis.explore import compute_explorer, write_explorer
from hakusho.render.page import render_html
from hakusho.survey.codebook import load_codebook
from hakusho.survey.load import load_waves
from hakusho.text import numbers

pytestmark = pytest.mark.browser

PAGE_BUDGET = 2_500_000  # bytes: one language's whole page
NRR_BY_SIZE = "#explore?question=nrr&breakdown=employees&segment=saas&measure=pct"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Both pages with the explorer, served on a free local port; also their folder."""
    _require_browser()
    root = tmp_path_factory.mktemp("explore-site")
    build = write_build(root / "build")
    write_explorer(compute_explorer(load_waves("2025")[0]), build / "parts" / "explore")
    out = root / "report"
    for lang in ("ja", "en"):
        render_html(build, out, lang, commentary_root=root / "no-commentary")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium(site: tuple[str, Path]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("HAKUSHO_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("explore-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _rows(page: Any) -> list[dict[str, Any]]:
    """The explorer's table as shown: group key, n (data-n) and the text of each choice cell."""
    return page.locator("#explore-table tbody tr").evaluate_all("""rows => rows.map(r => ({
        group: r.getAttribute('data-group'),
        n: Number(r.querySelector('td[data-n]').getAttribute('data-n')),
        nText: r.querySelector('td[data-n]').textContent,
        cells: Array.from(r.querySelectorAll('td[data-choice]')).map(td => ({
            choice: Number(td.getAttribute('data-choice')),
            text: td.firstChild ? td.firstChild.textContent : ''}))}))""")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nrr_by_company_size_shows_the_raw_datas_counts_and_shares(chromium, site, lang: str) -> None:
    url, _ = site
    ctx, page, errors = _open(chromium, f"{url}/{lang}/index.html{NRR_BY_SIZE}")
    try:
        book = load_codebook("2025")
        employees, nrr = book.question("employees"), book.question("nrr")
        raw = raw_breakdown("nrr", "employees")
        rows = {r["group"]: r for r in _rows(page)}
        assert list(rows)[1:] == [c.key for c in employees.choices]
        assert rows["total"]["n"] == sum(g.n for g in raw.values())
        for choice in employees.choices:
            group, row = raw[choice.code], rows[choice.key]
            assert row["n"] == group.n and row["nText"] == numbers.count(group.n, lang)
            texts = [c["text"] for c in row["cells"]]
            if group.n >= SUPPRESS_BELOW:
                assert texts == [numbers.pct(group.shares[c.code], lang) for c in nrr.choices], choice.key
            else:
                assert texts == [numbers.DASH] * len(nrr.choices), choice.key
        page.locator("#explore-controls input[name='measure'][value='count']").check()
        page.wait_for_function("location.hash.indexOf('measure=count') > 0")
        rows = {r["group"]: r for r in _rows(page)}
        for choice in employees.choices:
            texts = [c["text"] for c in rows[choice.key]["cells"]]
            assert texts == [numbers.count(raw[choice.code].counts[c.code], lang) for c in nrr.choices], choice.key
        assert errors == []
    finally:
        ctx.close()


VIEWS = ["question=nrr&breakdown=employees&segment=saas",
         "question=tools&breakdown=cs_headcount&segment=saas",
         "question=cs_status&breakdown=revenue&segment=non_saas",
         "question=income&breakdown=position&segment=all",
         "question=challenges&breakdown=department&segment=saas"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_groups_under_ten_show_no_percentage(chromium, site, lang: str) -> None:
    url, _ = site
    ctx, page, errors = _open(chromium, f"{url}/{lang}/index.html#explore")
    try:
        small = 0
        for view in VIEWS:
            page.evaluate(f"location.hash = '#explore?{view}&measure=pct'")
            page.wait_for_function(f"document.getElementById('explore-share').getAttribute('href')"
                                   f".indexOf('{view}') > 0")
            for row in _rows(page):
                texts = [c["text"] for c in row["cells"]]
                if row["n"] < SUPPRESS_BELOW:
                    small += 1
                    assert not any("%" in t for t in texts), (view, row)
                    bar = page.locator(f"#explore-chart .explore-row:nth-child({_position(page, row['group'])})")
                    assert bar.locator(".explore-seg").count() == 0 and "%" not in bar.inner_text()
                else:
                    assert any("%" in t for t in texts), (view, row)
        assert small >= 5
        assert errors == []
    finally:
        ctx.close()


def _position(page: Any, group: str) -> int:
    keys = page.locator("#explore-table tbody tr").evaluate_all("rows => rows.map(r => r.getAttribute('data-group'))")
    return keys.index(group) + 1


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_csv_download_matches_the_table(chromium, site, lang: str, tmp_path: Path) -> None:
    url, _ = site
    view = "#explore?question=tools&breakdown=employees&segment=saas&measure=pct"
    ctx, page, errors = _open(chromium, f"{url}/{lang}/index.html{view}", accept_downloads=True)
    try:
        shares = _rows(page)
        page.locator("#explore-controls input[name='measure'][value='count']").check()
        counts = _rows(page)
        with page.expect_download() as info:
            page.locator("#explore-csv").click()
        download = info.value
        assert download.suggested_filename == "explore-tools-employees-saas.csv"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        records = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
        header, body = records[0], records[1:]
        assert len(header) == 10 and len(body) == len(counts) * len(load_codebook("2025").question("tools").choices)
        labels = page.locator("#explore-table tbody th").evaluate_all(
            "ths => ths.map(th => th.firstChild.textContent)")
        choices = page.locator("#explore-table thead th").evaluate_all("ths => ths.slice(2).map(th => th.textContent)")
        by_cell = {(r[3], r[6]): r for r in body}
        for label, shown, counted in zip(labels, shares, counts, strict=True):
            for cell in counted["cells"]:
                record = by_cell[(label, choices[cell["choice"]])]
                assert record[4] == str(counted["n"])
                assert numbers.count(int(record[7]), lang) == cell["text"]
            for cell in shown["cells"]:
                record = by_cell[(label, choices[cell["choice"]])]
                expected = numbers.DASH if record[8] == "" else numbers.pct(float(record[8]), lang)
                assert cell["text"] == expected
        assert errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_url_fragment_restores_the_view(chromium, site, lang: str) -> None:
    url, _ = site
    view = "#explore?question=tools&breakdown=department&segment=all&measure=count&choice=3"
    ctx, page, errors = _open(chromium, f"{url}/{lang}/index.html{view}")
    try:
        state = page.evaluate("""() => ({q: document.getElementById('explore-question').value,
            b: document.getElementById('explore-breakdown').value,
            s: document.querySelector("input[name='segment']:checked").value,
            m: document.querySelector("input[name='measure']:checked").value,
            c: document.getElementById('explore-choice').value,
            top: document.getElementById('explore').getBoundingClientRect().top})""")
        assert state == {**state, "q": "tools", "b": "department", "s": "all", "m": "count", "c": "3"}
        assert abs(state["top"]) < 200  # the page opens on the explorer
        assert page.locator("#explore-share").get_attribute("href") == view
        # A change is written to the address, and a reload (or a shared link) opens it again.
        page.select_option("#explore-breakdown", "position")
        page.wait_for_function("location.hash.indexOf('breakdown=position') > 0")
        page.reload()
        page.wait_for_load_state("load")
        assert page.locator("#explore-breakdown").input_value() == "position"
        assert page.locator("#explore-question").input_value() == "tools"
        assert page.locator("#explore-table tbody tr").count() == 1 + 7
        # The other language opens on the same view.
        other = "en" if lang == "ja" else "ja"
        assert page.locator("#explore-lang").get_attribute("href").startswith(f"../{other}/index.html#explore?")
        assert errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_axe_finds_nothing_serious_or_critical(chromium, site, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    url, _ = site
    ctx, page, _ = _open(chromium, f"{url}/{lang}/index.html{NRR_BY_SIZE}")
    try:
        results = Axe().run(page)
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == []
        page.select_option("#explore-question", "tools")  # a multiple-answer view has a third control
        results = Axe().run(page, context={"include": [["#explore"]]})
        assert [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_explorer_fits_a_phone_and_is_within_the_budget(chromium, site, shots: Path, lang: str) -> None:
    url, out = site
    assert (out / lang / "index.html").stat().st_size < PAGE_BUDGET
    for width, height in ((390, 844), (1280, 900)):
        ctx, page, errors = _open(chromium, f"{url}/{lang}/index.html{NRR_BY_SIZE}",
                                  viewport={"width": width, "height": height})
        try:
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            for selector in ("#explore-controls", "#explore-chart", "#explore-view .table-wrap"):
                box = page.locator(selector).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, selector
            path = shots / f"explore-{lang}-{width}.png"
            page.locator("#explore").screenshot(path=str(path))
            assert path.stat().st_size > 5000
            assert errors == []
        finally:
            ctx.close()
