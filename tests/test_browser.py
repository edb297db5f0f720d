"""The HTML report in a real browser: Debian's Chromium, driven by Playwright, launched by path.

Pages are served from 127.0.0.1 (a CSV link must download as it would from a web server). The
browser is never downloaded: without /usr/bin/chromium these tests skip, unless
HAKUSHO_REQUIRE_BROWSER=1 makes a missing browser a failure. Screenshots of a few sections are
saved under HAKUSHO_SCREENSHOTS (or the test's temporary folder) for people to look at.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fixtures_build import write_build

from hakusho.render.page import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("HAKUSHO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing and HAKUSHO_REQUIRE_BROWSER=1")
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both pages and the CSVs, as the build lays them out, served on a free local port."""
    _require_browser()
    root = tmp_path_factory.mktemp("site")
    build = write_build(root / "build")
    out = root / "report"
    for lang in ("ja", "en"):
        render_html(build, out, lang, commentary_root=root / "no-commentary")
    (out / "data").mkdir()
    for table in sorted(build.glob("chapters/*/tables/*.csv")):
        shutil.copyfile(table, out / "data" / table.name)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium(site: str) -> Iterator[Any]:
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
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(chromium: Any, url: str, **context: Any) -> tuple[Any, Any, list[str]]:
    ctx = chromium.new_context(**context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return ctx, page, errors


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_page_loads_without_errors_and_every_chart_is_visible(chromium, site: str, lang: str) -> None:
    ctx, page, errors = _open(chromium, f"{site}/{lang}/index.html")
    try:
        charts = page.locator("figure.chart .chart-svg svg:visible")
        assert charts.count() == 53
        assert page.locator("figure.chart .chart-wide svg:visible").count() == 53  # the slides' drawings
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 20, i
            assert chart.is_visible()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.reload()
        page.wait_for_load_state("load")
        assert all(url.startswith(site) or url.startswith("data:") for url in requests), requests
        assert errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_contents_anchors_resolve(chromium, site: str, lang: str) -> None:
    ctx, page, errors = _open(chromium, f"{site}/{lang}/index.html")
    try:
        hrefs = page.locator("#contents a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert len(hrefs) >= 30
        for href in hrefs:
            assert page.locator(f"[id='{href[1:]}']").count() == 1, href
        page.locator("#contents a[href='#ch3-effect']").click()
        page.wait_for_function("location.hash === '#ch3-effect'")
        # the scroll may be animated: wait until the section has arrived under the top bar
        page.wait_for_function("Math.abs(document.getElementById('ch3-effect').getBoundingClientRect().top) < 200")
        assert errors == []
    finally:
        ctx.close()


def test_language_switch_lands_on_the_same_section(chromium, site: str) -> None:
    ctx, page, errors = _open(chromium, f"{site}/ja/index.html#ch2-status")
    # Clicked in place: Playwright's own click would first scroll the sticky bar "into view",
    # moving the page away from the section being read.
    click_switch = "document.getElementById('lang-switch').click()"
    try:
        page.evaluate(click_switch)
        page.wait_for_url(f"{site}/en/index.html#ch2-status")
        page.wait_for_load_state("load")
        box = page.locator("#ch2-status").bounding_box()
        assert box is not None and 0 <= box["y"] < 200
        assert page.locator("#ch2-status .headline").inner_text().startswith("86.0% of SaaS respondents")
        # back again from a section reached by scrolling
        page.locator("#ch4-retention").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, 40)")
        page.evaluate(click_switch)
        page.wait_for_url(f"{site}/ja/index.html#ch4-retention")
        assert errors == []
    finally:
        ctx.close()


def test_section_links_name_the_other_language(chromium, site: str) -> None:
    ctx, page, _ = _open(chromium, f"{site}/en/index.html")
    try:
        link = page.locator("#ch5-budget .section-lang")
        assert link.get_attribute("href") == "../ja/index.html#ch5-budget"
        link.click()
        page.wait_for_url(f"{site}/ja/index.html#ch5-budget")
    finally:
        ctx.close()


def test_a_csv_link_downloads_the_table(chromium, site: str, tmp_path: Path) -> None:
    ctx, page, errors = _open(chromium, f"{site}/en/index.html", accept_downloads=True)
    try:
        page.locator("#chart-cs_status details summary").click()
        assert page.locator("#chart-cs_status table.data-table").is_visible()
        with page.expect_download() as info:
            page.locator("#chart-cs_status .chart-csv a").click()
        download = info.value
        assert download.suggested_filename == "cs_status.csv"
        target = tmp_path / "cs_status.csv"
        download.save_as(target)
        text = target.read_text(encoding="utf-8")
        assert text.startswith("chart_id,wave,population,series,filter,choice_code,choice_key")
        assert "cs_status,2025,saas,saas,,1,doing" in text
        assert errors == []
    finally:
        ctx.close()


# What sticks out of a phone's screen: every visible element whose box leaves the viewport, where
# an element inside a horizontally scrolling box (a table's) counts by that box instead; and every
# chart wider than its own box, since charts must scale rather than scroll.
_OVERFLOWING = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const vw = document.documentElement.clientWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const scroller = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return a;
    }
    return null;
  };
  const out = new Set();
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.closest('.visually-hidden, .skip')) continue;
    const own = el.getBoundingClientRect();
    if (own.width === 0 && own.height === 0) continue;
    const box = (scroller(el) || el).getBoundingClientRect();
    if (box.right > vw + 0.5 || box.left < -0.5) out.add(name(scroller(el) || el));
  }
  for (const svg of document.querySelectorAll('figure.chart svg')) {
    if (svg.getBoundingClientRect().width > svg.parentElement.clientWidth + 0.5) {
      out.add('chart wider than its box: ' + svg.closest('figure').id);
    }
  }
  return [...out];
}"""


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_nothing_is_wider_than_a_phone_and_charts_scale(chromium, site: str, lang: str) -> None:
    """At 390×844 (a phone held upright) no chart or table leaves the screen sideways: charts
    scale to their column, tables scroll inside their own box."""
    ctx, page, errors = _open(chromium, f"{site}/{lang}/index.html", viewport={"width": 390, "height": 844})
    try:
        assert page.evaluate(_OVERFLOWING) == []
        charts = page.locator("figure.chart .chart-svg svg:visible")
        assert charts.count() == 53
        assert page.locator("figure.chart .chart-phone svg:visible").count() == 53  # the phone's drawings
        widths = charts.evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
        assert min(widths) > 300  # scaled to the column, not shrunk to nothing
        # legible: no chart's text is drawn smaller than 9 CSS pixels
        heights = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg text')]
          .map(t => t.getBoundingClientRect().height).filter(h => h > 0)""")
        assert heights and min(heights) >= 9
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_screenshots_of_a_few_sections(chromium, site: str, shots: Path, lang: str, viewport: dict) -> None:
    ctx, page, errors = _open(chromium, f"{site}/{lang}/index.html", viewport=viewport)
    try:
        for section in ("cover", "contents", "ch2-status", "ch4-retention", "methodology"):
            element = page.locator(f"#{section}")
            element.scroll_into_view_if_needed()
            path = shots / f"{lang}-{viewport['width']}-{section}.png"
            element.screenshot(path=str(path))
            assert path.stat().st_size > 5000
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1  # nothing pushes the page sideways on a phone
        assert errors == []
    finally:
        ctx.close()
