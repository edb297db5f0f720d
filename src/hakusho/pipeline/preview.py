"""``hakusho preview``: the report served on 127.0.0.1, rebuilt when its inputs change, and the
open page reloaded by itself — what ``quarto preview`` and ``mkdocs serve`` do for their sites.

* **Builds** go through the same stages and the same content-hash cache as ``hakusho build``
  (:func:`hakusho.pipeline.build.build_tree`), so a rebuild redoes only what an edit changed: a
  sentence of commentary re-renders its own language's page and nothing else (no notebook, no
  chart); a raw export re-validates and re-executes the chapters. A page is rendered in the
  preview's own process (or one forked from it), which keeps what pages are made from by
  content (figures, checked commentary, charts placed in the page, the explorer's part:
  :class:`hakusho.content_store.Remembered`), so an edit of the text re-renders a page in a
  fraction of a second — the same bytes a build writes. Decks, when asked for, follow the pages.
  Each build is assembled in a folder of its own under a temporary folder and published by
  switching what the server shows: in the project the preview writes only to the build cache —
  never ``report/<wave>/`` — and it removes its folders when it stops.
* **Warm kernels**: one pool of kernels lives as long as the preview, so a notebook or data
  edit runs chapters without starting Python, pandas and matplotlib again. An edit of Python
  code restarts them (a kernel keeps the modules it imported).
* **Watching**: the project folder (report/ left out), through watchfiles — file-system events
  from the operating system (inotify, FSEvents…), grouped while an editor is still saving.
* **Reloading**: every HTML page is served with a small script listening to Server-Sent Events;
  after a build it receives ``reload``. A failed build replaces the pages by a page naming the
  stage and the problem (never the stale report), which reloads in turn once the input is fixed.
* **Stopping**: Ctrl-C (or SIGTERM) stops the watcher, the server and the kernels, and removes
  the preview's folders.

The HTTP server is the standard library's, bound to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import mimetypes
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hakusho import config
from hakusho.errors import HakushoError
from hakusho.i18n import LANGS, Translator
from hakusho.messages import Listed, Msg
from hakusho.pipeline.build import (
    BuildInterrupted,
    BuildResult,
    build_tree,
    kernel_pool,
    shared_cache,
    sigterm_as_interrupt,
)
from hakusho.pipeline.options import BuildOptions
from hakusho.pipeline.plan import make_plan
from hakusho.pipeline.progress import Reporter
from hakusho.pipeline.render_pool import render_tasks
from hakusho.pipeline.runner import KernelPool

HOST = "127.0.0.1"
EVENTS = "/__hakusho__/events"
CATALOG = "preview"
KEEPALIVE = 10.0  # seconds between comments on an idle event stream
QUIET_MS = 500  # milliseconds without a change after which the watcher says the project is quiet
# Reloads a page when the preview has built something newer than the page shows.
RELOAD_SCRIPT = """<script>(() => {{
  const events = new EventSource("{events}?seen={version}");
  events.addEventListener("reload", () => {{ events.close(); location.reload(); }});
}})();</script>"""


@dataclass(frozen=True)
class Shown:
    """What the server shows: the last good build's folder, or the last build's failure."""

    version: int
    tree: Path | None
    error: HakushoError | None = None
    seconds: float = 0.0


class Preview:
    """A preview of one report: its builds, its kernels, its server and its watcher."""

    def __init__(self, options: BuildOptions, *, port: int = 8000, log: Callable[[Msg], None] = print,
                 reporter: Reporter | None = None) -> None:
        self.options = options
        self.log = log
        self.reporter = reporter or Reporter()
        make_plan(options)  # options a build would refuse are refused before anything starts
        self.root = Path(tempfile.mkdtemp(prefix="hakusho-preview-"))
        self._shown = Shown(version=0, tree=None)
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._numbers = itertools.count(1)
        self._folders: list[Path] = []
        self._built: BuildResult | None = None  # the last build shown
        self._warm = False  # whether this process has rendered the pages once (see _warm_up)
        self.pool: KernelPool | None = None
        self.server = ThreadingHTTPServer((HOST, port), _handler(self))
        self.server.daemon_threads = True
        self._serving = threading.Thread(target=self.server.serve_forever, name="hakusho-preview-http", daemon=True)

    # -- what is shown

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}/"

    @property
    def shown(self) -> Shown:
        return self._shown

    def _show(self, shown: Shown) -> None:
        with self._changed:
            self._shown = shown
            self._changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """The version shown once it differs from ``seen`` (or after ``timeout``, or stopping)."""
        with self._changed:
            self._changed.wait_for(lambda: self._shown.version != seen or self._stopping.is_set(), timeout)
            return self._shown.version

    # -- running

    def start(self) -> None:
        """Serve, and build once."""
        self._serving.start()
        self.rebuild()

    def rebuild(self, changed: Iterable[Path] = ()) -> Shown:
        """Build again (kernels restarted first when Python code changed) and show the result.

        The pages come first: with a PDF asked for too, the pages are built and shown (and open
        pages reloaded) before the deck is typeset, which then joins the report shown without
        reloading them. Either build does only what the edit changed (the build's cache), from
        what this process keeps warm (:class:`hakusho.content_store.Remembered`, see
        :meth:`_warm_up`): an edit of commentary re-renders its own language's page only.
        """
        changed = list(changed)
        if any(p.suffix == ".py" for p in changed) and self.pool is not None:
            self._stop_pool()
        if self.pool is None or self.pool.closed:
            self.pool = self._start_pool()
        started = time.perf_counter()
        pages = pages_first(self.options)
        shown = self._build(pages or self.options, started, reload=True)
        if pages is not None and shown.error is None:
            shown = self._build(self.options, started, reload=False)
        return shown

    def _build(self, options: BuildOptions, started: float, *, reload: bool) -> Shown:
        """One build of ``options``, shown; ``reload``: open pages are told to reload (a build
        that adds the deck to the pages already shown changes none of them)."""
        folder = self.root / str(next(self._numbers))
        try:
            result = build_tree(options, folder, reporter=self.reporter, pool=self.pool)
        except BuildInterrupted:
            shutil.rmtree(folder, ignore_errors=True)
            raise KeyboardInterrupt from None
        except HakushoError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            shown = Shown(self._shown.version + 1, self._shown.tree, exc, time.perf_counter() - started)
            self._show(shown)
            self.log(Msg("cli.preview.failed", seconds=f"{shown.seconds:.2f}", message=exc.message))
            return shown
        version = self._shown.version + 1 if reload or self._shown.error is not None else self._shown.version
        shown = Shown(version, result.target, None, time.perf_counter() - started)
        self._show(shown)
        self._built = result
        self._folders.append(folder)
        old, self._folders = self._folders[:-2], self._folders[-2:]  # the one shown and the one before
        if old:  # (a page may still load from it) — removed while the browser reloads
            threading.Thread(target=_remove, args=(old,), name="hakusho-preview-clean", daemon=True).start()
        ran = [*result.executed, *result.rendered]
        done: list[Any] = [*ran, Msg("cli.preview.reused", n=len(result.reused))] if result.reused else ran
        self.log(Msg("cli.preview.rebuilt", seconds=f"{shown.seconds:.2f}",
                     done=Listed(done) if done else Msg("cli.preview.nothing_to_redo")))
        return shown

    def _warm_up(self) -> None:
        """Render the pages once in this process, into a folder thrown away, once a build has
        been shown and the project is quiet (:meth:`watch`): the first build takes its pages
        from the cache, or renders them in processes of their own, and would leave this process
        cold — the editor's first edit
        would then import the renderers and read every chart, figure and table the pages show.
        What is read and made here is kept (by content) for the edits to come."""
        built = self._built
        self._warm = True
        if built is None or built.build_dir is None or not built.build_dir.is_dir():
            return
        scratch = Path(tempfile.mkdtemp(prefix="warm-", dir=self.root))
        try:
            plan = make_plan(self.options)
            tasks = [t for t in plan.tasks if t.fmt == "html"]
            with shared_cache(plan.cache.root):
                render_tasks(tasks, built.build_dir, scratch, epoch=plan.epoch, engine=self.options.engine, jobs=1,
                             reporter=Reporter())
        except (HakushoError, OSError):
            pass  # the next build says what is wrong, as it would have without the warm-up
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def watch(self) -> None:
        """Rebuild on every change to the project's inputs until stopped (Ctrl-C). Once the
        project is watched and quiet, the pages are rendered once in this process (warm-up): an
        edit saved meanwhile is seen when it is done, never lost."""
        import watchfiles

        for changes in watchfiles.watch(config.PROJECT_ROOT, watch_filter=InputFilter(self._ignored()),
                                        stop_event=self._stopping, step=30, raise_interrupt=True,
                                        rust_timeout=QUIET_MS, yield_on_timeout=True):
            if not changes:
                if not self._warm and self._shown.error is None:
                    self._warm_up()
                continue
            paths = sorted({Path(p) for _, p in changes})
            shown = ", ".join(_display(p) for p in paths[:3]) + (" …" if len(paths) > 3 else "")
            self.log(Msg("cli.preview.changed", paths=shown))
            self.rebuild(paths)

    def close(self) -> None:
        """Stop serving, stop the kernels, remove the preview's folders (the cache stays)."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self._stop_pool()
        shutil.rmtree(self.root, ignore_errors=True)

    def _ignored(self) -> list[Path]:
        report = config.REPORT_DIR
        return [report, Path(report).resolve()]

    def _start_pool(self) -> KernelPool:
        plan = make_plan(self.options)
        return kernel_pool(plan, self.options.jobs or os.cpu_count() or 1, reporter=self.reporter)

    def _stop_pool(self) -> None:
        if self.pool is not None:
            self.pool.kill()
            self.pool.close()
            self.pool = None


def pages_first(options: BuildOptions) -> BuildOptions | None:
    """The options of the pages alone, when ``options`` asks for more than the pages (the deck):
    a preview builds and shows those first. None when there is nothing to put first."""
    if "html" not in options.formats or options.formats == ("html",):
        return None
    return replace(options, formats=("html",))


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


class InputFilter:
    """watchfiles' default filter (editor droppings, caches, version control) plus the report
    folder, where builds write: the preview watches only what a report is built from."""

    def __init__(self, ignored: Iterable[Path]) -> None:
        import watchfiles

        self._default = watchfiles.DefaultFilter()
        self._ignored = [str(p) for p in ignored]

    def __call__(self, change: Any, path: str) -> bool:
        if any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in self._ignored):
            return False
        return bool(self._default(change, path))


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(config.PROJECT_ROOT).resolve()).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------ HTTP


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "hakusho-preview"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == EVENTS:
                self._events()
            else:
                self._file(path)

        def _events(self) -> None:
            query = urlsplit(self.path).query
            seen = next((int(v) for k, _, v in (p.partition("=") for p in query.split("&"))
                         if k == "seen" and v.isdigit()), -1)
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                self.wfile.write(b"retry: 300\n\n")
                self.wfile.flush()
                while not preview._stopping.is_set():
                    version = preview.wait_for_change(seen, KEEPALIVE)
                    if version != seen:
                        self.wfile.write(f"event: reload\ndata: {version}\n\n".encode("ascii"))
                        self.wfile.flush()
                        return
                    self.wfile.write(b": waiting\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

        def _file(self, path: str) -> None:
            shown = preview.shown
            lang = next((part for part in path.split("/") if part in LANGS), LANGS[0])
            if path == "/":
                langs = [lang for lang in LANGS if lang in preview.options.langs] or list(LANGS)
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", f"/{langs[0]}/")
                self.end_headers()
                return
            if path.endswith("/"):
                path += "index.html"
            is_page = path.endswith(".html")
            if shown.error is not None and is_page:
                self._send(HTTPStatus.OK, error_page(shown, lang).encode("utf-8"), "text/html; charset=utf-8")
                return
            target = _inside(shown.tree, path) if shown.tree is not None else None
            if target is None or not target.is_file():
                if shown.tree is None and is_page:  # still building the first time
                    self._send(HTTPStatus.SERVICE_UNAVAILABLE, waiting_page(shown, lang).encode("utf-8"),
                               "text/html; charset=utf-8")
                else:
                    self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
                return
            data = target.read_bytes()
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if is_page:
                data = with_reload(data.decode("utf-8"), shown.version).encode("utf-8")
                kind = "text/html; charset=utf-8"
            self._send(HTTPStatus.OK, data, kind)

        def _send(self, status: HTTPStatus, data: bytes, kind: str) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

    return Handler


def _inside(root: Path, path: str) -> Path | None:
    """``path`` of a URL as a file under ``root``, or None when it would leave it."""
    target = (root / path.lstrip("/")).resolve()
    try:
        target.relative_to(root.resolve())
    except ValueError:
        return None
    return target


def with_reload(page: str, version: int) -> str:
    """The page with the script that reloads it after the next build."""
    script = RELOAD_SCRIPT.format(events=EVENTS, version=version)
    at = page.rfind("</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def error_page(shown: Shown, lang: str) -> str:
    """A page naming the failed build's problem (it reloads once a build succeeds)."""
    t = Translator(lang, CATALOG)
    body = (f"<main><h1>{html.escape(t('preview.failed'))}</h1>"
            f"<p>{html.escape(t('preview.failed_hint'))}</p>"
            f"<pre>{html.escape(shown.error.report(lang=lang) if shown.error else '')}</pre></main>")
    return _page(lang, t("preview.failed"), body, shown.version)


def waiting_page(shown: Shown, lang: str) -> str:
    t = Translator(lang, CATALOG)
    body = f"<main><h1>{html.escape(t('preview.building'))}</h1></main>"
    return _page(lang, t("preview.building"), body, shown.version)


def _page(lang: str, title: str, body: str, version: int) -> str:
    style = ("body{font-family:sans-serif;margin:2rem;line-height:1.5}"
             "pre{white-space:pre-wrap;background:#fdf3e7;border-left:4px solid #c0392b;padding:1rem}")
    return with_reload(f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                       f"<title>{html.escape(title)}</title><style>{style}</style></head>"
                       f"<body>{body}</body></html>", version)


# ------------------------------------------------------------------------------ the command


def preview(options: BuildOptions, *, port: int = 8000, log: Callable[[Msg], None] = print) -> None:
    """Serve the report and rebuild it as its inputs change, until Ctrl-C."""
    session = Preview(options, port=port, log=log)
    with sigterm_as_interrupt():
        try:
            log(Msg("cli.preview.serving", url=session.url))
            session.start()
            session.watch()
        except KeyboardInterrupt:
            pass
        finally:
            session.close()
            log(Msg("cli.preview.stopped"))
