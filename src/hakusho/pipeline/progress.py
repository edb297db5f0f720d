"""Progress of a build on the terminal: a live display, or plain log lines when piped.

Stage names, the words of a step's state and the notes stages pass (``executed``, ``rendered``
…) are shown in the user's language (``progress.*`` in the cli catalogs); chapter ids, task names
and paths as they are.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from hakusho.messages import Msg, has, pad, say


class Reporter:
    """Progress of a build, one line per stage and per step. Thread-safe."""

    def stage(self, name: str) -> None: ...
    def step(self, key: str, label: str) -> None: ...
    def start(self, key: str) -> None: ...
    def done(self, key: str, *, cached: bool = False, note: str = "") -> None: ...
    def fail(self, key: str) -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


class PlainReporter(Reporter):
    """Plain log lines (not a terminal, or --quiet): one per finished step."""

    def __init__(self, stream: Any = None, *, verbose: bool = True) -> None:
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.t0 = time.perf_counter()
        self.lock = threading.Lock()
        self.started: dict[str, float] = {}
        self.labels: dict[str, str] = {}

    def _line(self, text: str) -> None:
        with self.lock:
            print(f"[{time.perf_counter() - self.t0:6.2f}s] {text}", file=self.stream, flush=True)

    def stage(self, name: str) -> None:
        if self.verbose:
            self._line(f"{word('stage', name)} …")

    def step(self, key: str, label: str) -> None:
        self.labels[key] = word("step", label)

    def start(self, key: str) -> None:
        self.started[key] = time.perf_counter()

    def done(self, key: str, *, cached: bool = False, note: str = "") -> None:
        label = self.labels.get(key, key)
        if cached:
            state = say(Msg("progress.cached_note", note=word("note", note))) if note else say(Msg("progress.cached"))
            self._line(f"  {pad(label, 12)} {state}")
        else:
            took = time.perf_counter() - self.started.get(key, time.perf_counter())
            state = word("note", note) if note else say(Msg("progress.done"))
            took_text = say(Msg("progress.took", state=state, seconds=f"{took:.2f}"))
            self._line(f"  {pad(label, 12)} {took_text}")

    def fail(self, key: str) -> None:
        failed = say(Msg("progress.failed_plain"))
        self._line(f"  {pad(self.labels.get(key, key), 12)} {failed}")

    def message(self, text: str) -> None:
        self._line(text)


class RichReporter(Reporter):
    """A live display: a line per stage and per step with its elapsed time; cache hits marked."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn
        from rich.text import Text

        class Seconds(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text("" if task.elapsed is None else f"{task.elapsed:6.2f}s", style="yellow")

        self.console = Console()
        self.progress = Progress(SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description}"),
                                 TextColumn("{task.fields[status]:<10}"), Seconds(),
                                 console=self.console, redirect_stdout=False, redirect_stderr=False,
                                 transient=False)
        self.tasks: dict[str, Any] = {}
        self.current_stage: str | None = None
        self.progress.start()

    def _finish_stage(self) -> None:
        if self.current_stage is not None:
            task = self.tasks[f"stage:{self.current_stage}"]
            self.progress.update(task, completed=1, status="")
            self.progress.stop_task(task)

    def stage(self, name: str) -> None:
        self._finish_stage()
        self.current_stage = name
        self.tasks[f"stage:{name}"] = self.progress.add_task(f"[bold]{pad(word('stage', name), 24)}[/bold]", total=1,
                                                             status="")

    def step(self, key: str, label: str) -> None:
        waiting = say(Msg("progress.waiting"))
        self.tasks[key] = self.progress.add_task(f"  {pad(word('step', label), 22)}", total=1, start=False,
                                                 status=f"[dim]{waiting}")

    def start(self, key: str) -> None:
        self.progress.start_task(self.tasks[key])
        self.progress.update(self.tasks[key], status=say(Msg("progress.running")))

    def done(self, key: str, *, cached: bool = False, note: str = "") -> None:
        task = self.tasks[key]
        if cached:
            status = "[cyan]" + (say(Msg("progress.cached_note", note=word("note", note))) if note
                                 else say(Msg("progress.cached")))
        else:
            status = word("note", note) if note else say(Msg("progress.done"))
        self.progress.update(task, completed=1, status=status)
        self.progress.stop_task(task)

    def fail(self, key: str) -> None:
        failed = say(Msg("progress.failed"))
        self.progress.update(self.tasks[key], status=f"[red]{failed}")
        self.progress.stop_task(self.tasks[key])

    def message(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self._finish_stage()
        self.progress.stop()


def word(kind: str, name: str) -> str:
    """A stage name, step label or note in the user's language, when the catalogs know it
    (``progress.stage.validate``, ``progress.note.executed``); else as it is (a chapter id)."""
    key = f"progress.{kind}.{name}"
    return say(Msg(key)) if name and has(key) else name


def make_reporter(*, quiet: bool = False) -> Reporter:
    """Rich on a terminal; plain lines when piped, on a dumb terminal or with --quiet."""
    if not quiet and sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
        return RichReporter()
    return PlainReporter(verbose=not quiet)
