"""hakusho preview on the tiny project (tests/fake_project.py): it serves the built pages with a
reload script, rebuilds after an edit and tells the open page over Server-Sent Events, shows a
failed build's problem instead of the stale report, watches the project's files by itself, and
stops leaving the project as it was but for the build cache. The real report in Chromium is the
browser test at the end."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from fake_project import REAL_ROOT, point, prepare, snapshot

from hakusho.messages import text
from hakusho.pipeline.options import BuildOptions
from hakusho.pipeline.preview import EVENTS, Preview, with_reload

OPTS = BuildOptions(jobs=1, formats=("html",), source_date_epoch=1_700_000_000)


@pytest.fixture
def project(tmp_path, monkeypatch):
    base = prepare(tmp_path)
    point(monkeypatch, base)
    return base / "proj"


@pytest.fixture
def preview(project):
    lines: list[str] = []
    session = Preview(OPTS, port=0, log=lines.append)
    session.lines = lines
    try:
        yield session
    finally:
        session.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def next_event(preview: Preview, seen: int) -> str:
    """The first event the stream sends a page that shows version ``seen``."""
    with urllib.request.urlopen(f"{preview.url.rstrip('/')}{EVENTS}?seen={seen}", timeout=30) as stream:
        for raw in stream:
            line = raw.decode("utf-8").strip()
            if line.startswith("event:"):
                return line.split(":", 1)[1].strip()
    return ""


def test_pages_are_served_with_a_script_that_reloads_them(preview: Preview) -> None:
    preview.start()
    status, page = get(preview.url + "ja/")
    assert status == 200 and page.startswith("<html lang='ja'>")
    assert f'EventSource("{EVENTS}?seen={preview.shown.version}")' in page
    assert get(preview.url)[0] == 200  # / leads to the first language's page
    assert get(preview.url + "ja/style.css") == (200, "body{}\n")  # other files as they are
    assert get(preview.url + "../../etc/passwd")[0] == 404
    assert any(line.startswith("rebuilt in") for line in preview.lines)


def test_an_edit_rebuilds_what_changed_and_reloads_the_page(preview: Preview, project: Path) -> None:
    preview.start()
    seen = preview.shown.version
    events: list[str] = []
    listener = threading.Thread(target=lambda: events.append(next_event(preview, seen)))
    listener.start()
    time.sleep(0.3)  # the page is open and listening
    template = project / "templates" / "page.txt"
    template.write_text("<title>{lang} edited</title>\n", encoding="utf-8")
    shown = preview.rebuild([template])
    listener.join(timeout=30)
    assert events == ["reload"] and shown.version == seen + 1 and shown.error is None
    assert "edited" in get(preview.url + "en/")[1]
    assert preview.lines[-1].startswith("rebuilt in") and "html ja" in preview.lines[-1]
    assert "ch1" not in preview.lines[-1]  # no chapter ran again for a template


def test_a_commentary_edit_rerenders_its_own_language_only(preview: Preview, project: Path, tmp_path: Path) -> None:
    """An edit of the English commentary runs no chapter and re-renders the English page alone
    (the Japanese page does not read it); the stages that ran are what the build reports and
    what the renderers log, never a timing."""
    preview.start()
    log = tmp_path / "render.log"
    log.write_text("", encoding="utf-8")
    commentary = project / "data" / "commentary" / "2025" / "ch1.en.md"
    commentary.write_text(commentary.read_text(encoding="utf-8") + "Another note.\n", encoding="utf-8")
    shown = preview.rebuild([commentary])
    assert shown.error is None
    built = preview._built
    assert built is not None and built.executed == [] and built.rendered == ["html en"]
    assert sorted(built.cached) == ["ch1", "ch2", "ch3", "cross"]  # every chapter from the cache
    assert log.read_text(encoding="utf-8").splitlines() == ["html en"]
    assert text(preview.lines[-1], "en").endswith("html en, 1 page(s) as built before")


def test_the_pages_come_before_the_deck(project: Path, tmp_path: Path) -> None:
    """With the deck asked for too, an edit shows (and reloads) the pages first; the deck then
    joins the report shown without reloading them again."""
    session = Preview(BuildOptions(jobs=1, formats=("html", "pdf"), source_date_epoch=1_700_000_000), port=0,
                      log=lambda line: None)
    try:
        session.start()
        assert session.shown.version == 1
        assert (session.shown.tree / "ja" / "hakusho-2025-ja.pdf").is_file()
        log = tmp_path / "render.log"
        log.write_text("", encoding="utf-8")
        template = project / "templates" / "page.txt"
        template.write_text("<title>{lang} edited</title>\n", encoding="utf-8")
        shown = session.rebuild([template])
        assert shown.version == 2 and shown.error is None  # one reload, for the pages
        assert (shown.tree / "ja" / "hakusho-2025-ja.pdf").is_file()
        assert log.read_text(encoding="utf-8").splitlines()[:2] == ["html ja", "html en"]
    finally:
        session.close()


def test_a_page_that_missed_a_build_reloads_at_once(preview: Preview) -> None:
    preview.start()
    preview.rebuild()
    assert next_event(preview, preview.shown.version - 1) == "reload"


def test_a_failed_build_shows_its_problem_not_the_stale_report(preview: Preview, project: Path) -> None:
    preview.start()
    raw = project / "data" / "raw" / "2025" / "responses.csv"
    good = raw.read_text(encoding="utf-8")
    raw.write_text(good.replace("r001,1,sns", "r001,BAD,sns"), encoding="utf-8")
    shown = preview.rebuild([raw])
    assert shown.error is not None
    status, page = get(preview.url + "ja/")
    assert status == 200 and "レポートを作成できませんでした" in page and "選択肢の番号ではありません" in page
    assert "3行目" in page and "BAD" in page and "<html lang='ja'>" not in page
    english = get(preview.url + "en/index.html")[1]  # the problem in the page's language, same location
    assert "The report could not be built" in english and "not a choice code" in english
    assert "row 3" in english and "BAD" in english
    failed = preview.lines[-1]  # the log line, in the command line's language
    assert text(failed, "en").startswith("build failed (") and text(failed, "ja").startswith("ビルドできませんでした（")
    assert text(failed, "en").split(": ", 1)[1] == text(shown.error.message, "en")
    assert EVENTS in page  # and it reloads when the data is fixed
    raw.write_text(good, encoding="utf-8")
    assert preview.rebuild([raw]).error is None
    assert get(preview.url + "ja/")[1].startswith("<html lang='ja'>")


def test_the_preview_watches_the_project_and_stops_cleanly(preview: Preview, project: Path) -> None:
    before = snapshot(project, skip=("report",))
    preview.start()
    log = project.parent / "render.log"
    log.write_text("", encoding="utf-8")
    watcher = threading.Thread(target=preview.watch)
    watcher.start()
    time.sleep(1.5)  # the watcher is set up, and the project has been quiet long enough
    assert preview._warm and sorted(log.read_text(encoding="utf-8").split()) == ["en", "html", "html", "ja"]
    seen = preview.shown.version
    template = project / "templates" / "page.txt"
    original = template.read_text(encoding="utf-8")
    template.write_text("<title>{lang} watched</title>\n", encoding="utf-8")
    deadline = time.monotonic() + 60
    while preview.shown.version == seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "watched" in get(preview.url + "ja/")[1]
    (project / "report" / "ignored.txt").write_text("a build's own writes are not inputs\n", encoding="utf-8")
    time.sleep(1.0)
    assert preview.shown.version == seen + 1
    template.write_text(original, encoding="utf-8")
    root = preview.root
    preview.close()
    watcher.join(timeout=30)
    assert not watcher.is_alive() and not root.exists()
    (project / "report" / "ignored.txt").unlink()
    assert snapshot(project, skip=("report",)) == before
    assert not [p for p in (project / "report").iterdir() if p.name != ".hakusho-cache"]


# ------------------------------------------------------------------------------ the real report


@pytest.mark.slow
def test_a_commentary_edit_rerenders_the_page_a_build_would_write(tmp_path: Path, monkeypatch) -> None:
    """The real report previewed in Japanese: an edit of a chapter's commentary runs no notebook
    and draws no chart (every chapter comes from the cache, the drawings' store gains nothing),
    re-renders the Japanese page alone, and that page — every file of the report shown — is
    byte for byte what ``hakusho build`` writes, in a fresh process, for the same inputs."""
    from hakusho.pipeline.cache import CACHE_DIR_NAME

    project = tmp_path / "project"
    for folder in ("notebooks", "templates", "data"):
        shutil.copytree(REAL_ROOT / folder, project / folder)
    shutil.copyfile(REAL_ROOT / "hakusho.toml", project / "hakusho.toml")
    (project / "report").mkdir()
    monkeypatch.setenv("HAKUSHO_PROJECT", str(project))
    monkeypatch.chdir(project)
    session = Preview(BuildOptions(langs=("ja",), formats=("html",), source_date_epoch=1_700_000_000), port=0,
                      log=lambda line: None)
    try:
        session.start()
        assert session.shown.error is None
        cache = project / "report" / CACHE_DIR_NAME
        drawn = sorted(p.name for p in (cache / "charts").iterdir())
        commentary = project / "data" / "commentary" / "2025" / "ch1.ja.md"
        sentence = "プレビューで確かめる一文です。"
        commentary.write_text(commentary.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
        shown = session.rebuild([commentary])
        assert shown.error is None
        built = session._built
        assert built is not None and built.executed == [] and built.rendered == ["html ja"]
        assert "ch1" in built.cached and "explore" in built.cached
        assert sorted(p.name for p in (cache / "charts").iterdir()) == drawn
        page = (shown.tree / "ja" / "index.html").read_text(encoding="utf-8")
        assert sentence in page
        served = get(session.url + "ja/")[1]
        assert served.replace(with_reload("", shown.version), "") == page
        shown_files = snapshot(shown.tree)
    finally:
        session.close()
    # hakusho build, in a process of its own, with the chapters already computed (as the preview
    # found them) but nothing rendered: the page must come out the same.
    reference = tmp_path / "reference" / "report"
    shutil.copytree(cache / "chapters", reference.parent / CACHE_DIR_NAME / "chapters")
    env = {**os.environ, "HAKUSHO_PROJECT": str(project), "SOURCE_DATE_EPOCH": "1700000000"}
    subprocess.run([sys.executable, "-m", "hakusho.cli", "build", "--quiet", "--lang", "ja", "--format", "html",
                    "--out", str(reference)], cwd=project, env=env, check=True, capture_output=True)
    assert shown_files == snapshot(reference)
    assert shown_files["ja/index.html"] == hashlib.sha256(page.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------ in Chromium

CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.browser
def test_a_commentary_edit_shows_in_the_open_page(tmp_path: Path) -> None:
    """The real report, previewed by the command: an editor's sentence appears in Chromium by
    itself; Ctrl-C stops the preview and leaves the project as it was but for its cache."""
    if not CHROMIUM.exists():
        if os.environ.get("HAKUSHO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and HAKUSHO_REQUIRE_BROWSER=1")
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    project = tmp_path / "project"
    for folder in ("notebooks", "templates", "data"):
        shutil.copytree(REAL_ROOT / folder, project / folder)
    shutil.copyfile(REAL_ROOT / "hakusho.toml", project / "hakusho.toml")
    (project / "report").mkdir()
    before = snapshot(project, skip=("report",))
    commentary = project / "data" / "commentary" / "2025" / "ch1.ja.md"
    port = _free_port()
    env = {**os.environ, "HAKUSHO_PROJECT": str(project), "SOURCE_DATE_EPOCH": "1700000000"}
    server = subprocess.Popen([sys.executable, "-m", "hakusho.cli", "--ui-lang", "ja", "preview", "--port", str(port),
                               "--lang", "ja"],
                              cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/ja/"
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and get_or_none(url) != 200:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            page = browser.new_page()
            page.goto(url)
            sentence = "プレビューで確かめる一文です。"
            assert sentence not in page.inner_text("body")
            commentary.write_text(commentary.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
            page.wait_for_function("s => document.body.innerText.includes(s)", arg=sentence, timeout=300_000)
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=120)
    assert server.returncode == 0, out
    assert "で表示します" in out and "プレビューを終えました" in out  # the editor's language
    commentary.write_text(commentary.read_text(encoding="utf-8").replace("\nプレビューで確かめる一文です。\n", ""),
                          encoding="utf-8")
    assert snapshot(project, skip=("report",)) == before
    assert [p.name for p in (project / "report").iterdir()] == [".hakusho-cache"]


def get_or_none(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return None
