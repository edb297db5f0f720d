"""The guides cannot drift from the tool: every command quoted in a code block of README.md,
README.ja.md and the data guides is read by the command line's own parser (options, arguments,
their values), and run, in the order a reader meets it, against a scratch project made with
``hakusho init DIR --sample``.

What a reader adapts is adapted here, in one table (PLACEHOLDERS): the export a reader has is
the sample's, a folder a reader names is a scratch one. To stay within a couple of minutes, a
build is made in Japanese HTML only, and one that names no chapters builds one chapter (the
report's own build, ``hakusho build``, keeps every chapter so that the editors' commands that
read it — lint, diff, verify — see a whole report); identical commands run once. Commands of
the next edition (those naming NEXT_EDITION) run in a copy of the project, as a new year's work
begins after the last report is out: a report's manifest lists the project's codebooks and
commentary, so ``hakusho verify`` of the current report would count the next edition's files as
changed inputs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("README.md", "README.ja.md", "data/README.md", "data/README.ja.md",
          "data/commentary/README.md", "data/commentary/README.ja.md")
# What a reader replaces with their own, and what stands in for it here.
PLACEHOLDERS = {
    "path/to/2026-export.csv": "data/raw/2025/responses.csv",  # the new export: the sample's
    "path/to/build": "report/2025",  # a build directory: the report's
    "data/examples/ledger_sample.csv": str(ROOT / "data" / "examples" / "ledger_sample.csv"),
    "/some/folder": "{scratch}/synthetic-scaled",
}
# Reports a command compares with, made by copying the current one when a reader would have kept it.
EARLIER_REPORTS = ("report-before/2025", "old-report/2025")
# Built in Japanese HTML only; REPORT_BUILD is the report itself (every chapter, into report/2025/).
NARROW = ("--format", "html", "--lang", "ja")
REPORT_BUILD = ("build",)
ONE_CHAPTER = ("--chapters", "ch1")
NEXT_EDITION = "2026"


@dataclass(frozen=True)
class Quoted:
    guide: str
    line: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.guide}:{self.line}: {shlex.join(self.words)}"


def quoted_commands(guide: str) -> list[Quoted]:
    """Every command of the guide's ``bash`` blocks, split at ``&&``, comments dropped."""
    out: list[Quoted] = []
    inside = False
    for number, line in enumerate((ROOT / guide).read_text(encoding="utf-8").splitlines(), start=1):
        fence = line.strip()
        if fence.startswith("```"):
            inside = not inside and fence[3:].strip() == "bash"
            continue
        if not inside or not fence:
            continue
        words: list[str] = []
        for word in [*shlex.split(line, comments=True), "&&"]:
            if word == "&&":
                if words:
                    out.append(Quoted(guide, number, tuple(words)))
                words = []
            else:
                words.append(word)
    return out


def inline_commands(guide: str) -> list[tuple[str, ...]]:
    """``hakusho …`` commands quoted in the guide's text, but those with a placeholder (``…``,
    ``<wave>``, ``DIR``)."""
    text = (ROOT / guide).read_text(encoding="utf-8")
    spans = re.findall(r"`(hakusho [^`]+)`", text)
    return [tuple(shlex.split(s)) for s in spans if not re.search(r"[…<>]|\b[A-Z]{3,}\b", s)]


ALL = [q for guide in GUIDES for q in quoted_commands(guide)]


def _parse(args: list[str]) -> None:
    """Parse ``args`` as the command line does (click's parser, every value converted), without
    running anything; raises click's UsageError/BadParameter on a drifted option."""
    from typer.main import get_command

    from hakusho.cli import app

    command = get_command(app)
    context = command.make_context("hakusho", list(args))
    while hasattr(command, "resolve_command"):
        # A group leaves its command and that command's arguments unparsed (click keeps the name
        # apart from the rest: protected_args, _protected_args since click 8.2).
        protected = getattr(context, "_protected_args", None) or getattr(context, "protected_args", [])
        rest = [*protected, *context.args]
        if not rest:
            break
        name, command, rest = command.resolve_command(context, rest)
        context = command.make_context(name, rest, parent=context)


def _command_named(names: list[str]) -> None:
    from typer.main import get_command

    from hakusho.cli import app

    command = get_command(app)
    for name in names:
        command = command.commands[name]  # KeyError: the guide names a command that is not there


def test_the_guides_quote_commands_and_readme_links_the_japanese_guide_first() -> None:
    assert len(ALL) > 40
    for guide in GUIDES:
        assert quoted_commands(guide), guide
    top = (ROOT / "README.md").read_text(encoding="utf-8").split("\n\n", 2)[:2]
    assert "(README.ja.md)" in "\n\n".join(top)
    ja = (ROOT / "README.ja.md").read_text(encoding="utf-8")
    for linked in ("data/README.ja.md", "data/commentary/README.ja.md", "README.md"):
        assert f"]({linked})" in ja and (ROOT / linked).is_file()


@pytest.mark.parametrize("quoted", ALL, ids=str)
def test_every_quoted_command_is_one_the_tool_understands(quoted: Quoted) -> None:
    words = list(quoted.words)
    if words[0] == "hakusho":
        _parse(words[1:])
    elif words[:4] == ["python3", "-m", "pip", "install"]:
        # nox, or the package itself: this repository, named by the folder it was cloned into
        assert words[4:] in (["nox"], ["./hakusho"]) and (ROOT / "pyproject.toml").is_file()
    elif words[0] == "nox":
        noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
        sessions = words[words.index("-s") + 1:]
        for session in sessions:
            assert re.search(rf"def {session}\(", noxfile), session
    else:
        assert words[0] in ("cd", "mkdir", "cp"), quoted


@pytest.mark.parametrize("guide", GUIDES)
def test_commands_in_the_guides_text_are_understood_too(guide: str) -> None:
    for words in inline_commands(guide):
        if words[-1] == "--help":  # the parser would print the help and stop
            _command_named(list(words[1:-1]))
            continue
        try:
            _parse(list(words[1:]))
        except Exception as exc:  # click's MissingParameter (Typer carries its own click)
            if type(exc).__name__ != "MissingParameter":
                raise
            # A command named in a sentence ("`hakusho diff` lists …"): the name must be a command.
            assert not [w for w in words[1:] if w.startswith("-")], words
            _command_named(list(words[1:]))


# ------------------------------------------------------------------------------ running them


class Reader:
    """Runs quoted commands as a reader would, in a scratch folder holding one sample project."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.names: set[str] = set()  # names the guides gave the project (`hakusho init NAME`)
        self.project: Path | None = None
        self.cwd = scratch
        self.done: dict[tuple[str, ...], subprocess.CompletedProcess[str]] = {}
        self.next_year: Path | None = None  # the copy of the project the next edition is made in

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("HAKUSHO_PROJECT", "HAKUSHO_LANG", "LC_ALL", "LC_MESSAGES")}
        return {**env, "LANG": "C.UTF-8", "SOURCE_DATE_EPOCH": "1700000000"}

    def start_block(self) -> None:
        self.cwd = self.project or self.scratch

    def words(self, quoted: Quoted) -> list[str]:
        out = []
        for word in quoted.words:
            for placeholder, stand_in in PLACEHOLDERS.items():
                if word == placeholder:
                    word = stand_in.format(scratch=self.scratch)
            out.append(word)
        return out

    def run(self, quoted: Quoted) -> None:
        if self.project is None or not any(NEXT_EDITION in w for w in quoted.words):
            self._run(quoted)
            return
        if self.next_year is None:
            self.next_year = self.scratch / "next-year" / self.project.name
            shutil.copytree(self.project, self.next_year, symlinks=True)
        here = self.cwd
        self.cwd = self.next_year / here.relative_to(self.project) if here.is_relative_to(self.project) else here
        try:
            self._run(quoted)
        finally:
            self.cwd = here

    def _run(self, quoted: Quoted) -> None:
        words = self.words(quoted)
        if words[0] in ("python3", "nox"):
            return  # installing: the suite runs in the installed package
        if words[0] == "cd":
            target = self.cwd / words[1]
            self.cwd = self.project if words[1] in self.names or not target.is_dir() else target
            assert self.cwd is not None and self.cwd.is_dir(), quoted
            return
        if words[0] == "mkdir":
            (self.cwd / words[-1]).mkdir(parents=True, exist_ok=True)
            return
        if words[0] == "cp":
            source, target = self.cwd / words[-2], self.cwd / words[-1]
            if source.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target)
            else:
                shutil.copyfile(source, target)
            return
        assert words[0] == "hakusho", quoted
        args = words[1:]
        if args[0] == "init":
            self.init(quoted, args)
            return
        if subcommand(quoted) == "build":
            args = self.narrowed(args)
        if args[0] == "diff":
            for earlier in EARLIER_REPORTS:
                if earlier in args and not (self.cwd / earlier).exists():
                    shutil.copytree(self.cwd / "report" / "2025", self.cwd / earlier)
        if args[0] == "preview":
            self.preview(quoted, args)
            return
        result = self.hakusho(args)
        assert result.returncode == 0, f"{quoted}\n{result.stdout}\n{result.stderr}"

    def hakusho(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        key = (str(self.cwd), *args)
        if key not in self.done:
            self.done[key] = subprocess.run([sys.executable, "-m", "hakusho.cli", *args], cwd=self.cwd,
                                            env=self.env(), capture_output=True, text=True, timeout=900)
        return self.done[key]

    def narrowed(self, args: list[str]) -> list[str]:
        if args[args.index("build"):] == list(REPORT_BUILD):
            return [*args, *NARROW, "--out", "report/2025"]  # where the default build puts it
        extra = [] if "--chapters" in args else list(ONE_CHAPTER)
        for option, value in zip(NARROW[::2], NARROW[1::2], strict=True):
            if option not in args:
                extra += [option, value]
        return [*args, *extra]

    def init(self, quoted: Quoted, args: list[str]) -> None:
        name = args[1]
        where = self.scratch if self.project is None else self.scratch / f"again-{len(self.names)}"
        where.mkdir(exist_ok=True)
        self.cwd = where
        result = self.hakusho(args)
        assert result.returncode == 0, f"{quoted}\n{result.stderr}"
        assert (where / name / "hakusho.toml").is_file()
        self.names.add(name)
        if self.project is None:
            self.project = where / name
        else:  # the guide's project is made already: the reader goes on in it
            self.cwd = self.project

    def preview(self, quoted: Quoted, args: list[str]) -> None:
        """Serve until the first build is shown, then stop as a reader does (Ctrl-C)."""
        server = subprocess.Popen([sys.executable, "-m", "hakusho.cli", *args, "--port", "0", *NARROW],
                                  cwd=self.cwd, env=self.env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        lines = []
        try:
            assert server.stdout is not None
            for line in server.stdout:
                lines.append(line)
                if line.startswith("rebuilt in") or line.startswith("build failed"):
                    break
        finally:
            server.send_signal(signal.SIGINT)
            rest, _ = server.communicate(timeout=120)
        out = "".join(lines) + rest
        assert server.returncode == 0 and "rebuilt in" in out and "preview stopped" in out, f"{quoted}\n{out}"


def blocks(guide: str) -> Iterator[list[Quoted]]:
    """The guide's commands, block by block (a block starts where its fence does)."""
    current: list[Quoted] = []
    text = (ROOT / guide).read_text(encoding="utf-8").splitlines()
    for quoted in quoted_commands(guide):
        if current and any(line.strip().startswith("```") for line in text[current[-1].line:quoted.line - 1]):
            yield current
            current = []
        current.append(quoted)
    if current:
        yield current


def read_guides(reader: Reader, guides: tuple[str, ...], wanted: Callable[[Quoted], bool]) -> list[Quoted]:
    """Run the guides' ``wanted`` commands in order (``cd`` and ``hakusho init`` always); the
    project is made by the first ``hakusho init`` (or one is made, for a guide without one)."""
    ran: list[Quoted] = []
    for guide in guides:
        for block in blocks(guide):
            reader.start_block()
            for quoted in block:
                always = quoted.words[0] == "cd" or quoted.words[:2] == ("hakusho", "init")
                if not (always or wanted(quoted)):
                    continue
                if reader.project is None and quoted.words[0] == "hakusho" and not always:
                    reader.init(quoted, ["init", "guide-project", "--sample"])
                    reader.start_block()
                reader.run(quoted)
                ran.append(quoted)
    return ran


def subcommand(quoted: Quoted) -> str:
    words = [w for w in quoted.words[1:] if not w.startswith("--")] if quoted.words[0] == "hakusho" else []
    if quoted.words[1:2] == ("--project",):
        words = words[1:]
    return words[0] if words else quoted.words[0]


# The report's cycle — report/2025/ and what reads it, the year's new edition — in one test; the
# other builds and the notebooks beside it in another (each on its own scratch project).
CYCLE_BUILDS = {("hakusho", "build"), ("hakusho", "--project", "../white-paper", "build"),
                ("hakusho", "build", "--wave", "2026", "--compare", "2025")}


def in_cycle(quoted: Quoted) -> bool:
    if subcommand(quoted) in ("build", "notebook"):
        return quoted.words in CYCLE_BUILDS
    return True


@pytest.mark.slow
def test_the_report_cycle_of_the_guides_runs_as_quoted(tmp_path: Path) -> None:
    reader = Reader(tmp_path)
    ran = read_guides(reader, GUIDES, in_cycle)
    assert {q.words for q in ran} >= CYCLE_BUILDS
    assert {subcommand(q) for q in ran} >= {"validate", "lint-commentary", "diff", "verify", "edition", "crosswalk",
                                            "preview", "kpi", "synthesize"}
    project = reader.project
    assert project is not None and (project / "report" / "2025" / "manifest.json").is_file()
    assert reader.next_year is not None and (reader.next_year / "data" / "codebook" / "2026.yml").is_file()
    assert list((reader.next_year / "report").glob("2026*"))
    # The sample's export, regenerated as the data guide says, is the same bytes.
    assert (project / "data" / "raw" / "2025" / "responses.csv").read_bytes() == \
        (ROOT / "data" / "raw" / "2025" / "responses.csv").read_bytes()


@pytest.mark.slow
def test_the_other_builds_and_notebooks_of_the_guides_run_as_quoted(tmp_path: Path) -> None:
    reader = Reader(tmp_path)
    ran = read_guides(reader, GUIDES, lambda q: subcommand(q) in ("build", "notebook") and not in_cycle(q))
    assert len({q.words for q in ran if subcommand(q) in ("build", "notebook")}) >= 8
