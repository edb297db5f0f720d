"""The ``hakusho`` command line: thin wrappers that turn arguments into calls and errors into
one-line messages. The work itself lives in the stage modules.

Everything it prints — messages, errors, progress, ``--help`` — is in the user's language
(:func:`hakusho.messages.choose_language`: ``--ui-lang``, ``HAKUSHO_LANG``, the locale), from the
``cli`` catalogs; help texts live only there (:mod:`hakusho.ui`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from hakusho.config import display_path
from hakusho.errors import HakushoError
from hakusho.messages import Msg, choose_language, language, say, set_language, tr

app = typer.Typer(
    name="hakusho",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _echo(message: object, *, err: bool = False) -> None:
    """One line (a message or a value) in the user's language."""
    typer.echo(say(message), err=err)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug"),
    project: Annotated[Path | None, typer.Option("--project")] = None,
    ui_lang: str | None = typer.Option(None, "--ui-lang", metavar="ja|en"),
) -> None:
    # The language was chosen from the arguments before they were parsed (help texts depend on
    # it); here a bad value is reported.
    if ui_lang is not None and ui_lang.strip().lower() not in ("ja", "en"):
        raise typer.BadParameter(Msg("cli.bad_ui_lang", value=ui_lang), param_hint="--ui-lang")
    _state["debug"] = debug
    if debug:
        logging.basicConfig(level=logging.WARNING)  # the libraries' own log records, to stderr
    if project is not None:
        from hakusho.project import use

        use(project)


@app.command("init")
def init_command(
    folder: Annotated[Path, typer.Argument()],
    sample: bool = typer.Option(False, "--sample"),
) -> None:
    """Make a new project: hakusho.toml, the codebook to adapt, .gitignore, commentary stubs, a CI
    workflow (and with --sample the synthetic sample). Never writes over existing files."""
    from hakusho.scaffold import init_project

    made = init_project(folder, sample=sample)
    what = Msg("cli.init.with_sample") if sample else Msg("cli.init.to_adapt")
    _echo(Msg("cli.init.made", path=made.root, n=len(made.files), what=what))
    for step in made.next_steps():
        _echo(f"  {say(step)}")


@app.command("lint-commentary")
def lint_commentary_command(
    wave: str | None = typer.Option(None, "--wave"),
    figures: Annotated[Path | None, typer.Option(
        "--figures")] = None,
    strict: bool = typer.Option(False, "--strict"),
) -> None:
    """Check the editors' commentary: every reference resolves, no number is typed literally."""
    from hakusho import config
    from hakusho.text import commentary, commentary_lint

    wave = wave or config.DEFAULT_WAVE
    source = figures or config.REPORT_DIR / wave
    docs = commentary.check_commentary(source, wave)
    findings = commentary_lint.lint_commentary(source, wave, strict=strict)
    for finding in findings:
        _echo(Msg("cli.warning", message=finding), err=True)
    for missing in commentary.missing_commentary(wave):
        _echo(Msg("cli.note", message=missing), err=True)
    _echo(Msg("cli.lint.checked", files=len(docs), warnings=len(findings)))


@app.command("diff")
def diff_command(
    old_report: Annotated[Path, typer.Argument()],
    new_report: Annotated[Path, typer.Argument()],
    fmt: str = typer.Option("text", "--format"),
    wave: str | None = typer.Option(None, "--wave"),
    exit_code: bool = typer.Option(False, "--exit-code"),
) -> None:
    """List every figure whose value changed between two builds, with the slides and commentary
    lines that quote it."""
    from hakusho.text import figure_diff

    changes = figure_diff.diff_reports(old_report, new_report, wave=wave)
    _echo(say(figure_diff.format_changes(changes, fmt)).rstrip("\n"))
    if exit_code and changes:
        raise SystemExit(1)  # click's own Exit would be swallowed by main()'s standalone_mode=False


@app.command("kpi")
def kpi_command(
    ledger_csv: Annotated[Path, typer.Argument()],
    year: int | None = typer.Option(None, "--year"),
    out: Annotated[Path | None, typer.Option("--out")] = None,
    lang: str = typer.Option("ja", "--lang"),
    fmt: str = typer.Option("table", "--format"),
    benchmark: bool | None = typer.Option(None, "--benchmark/--no-benchmark"),
    html: bool = typer.Option(False, "--html"),
) -> None:
    """Customer-success KPIs per month and for the year from a customer ledger, with a benchmark."""
    from hakusho.kpi.ledger import run_kpi

    run_kpi(ledger_csv, year=year, out=out, lang=lang, fmt=fmt, benchmark=benchmark, html=html)


@app.command("synthesize")
def synthesize_command(
    wave: str = typer.Option("2025", "--wave"),
    scale: int = typer.Option(1, "--scale", min=1),
    out: Annotated[Path | None, typer.Option(
        "--out")] = None,
    seed: int | None = typer.Option(None, "--seed"),
    force: bool = typer.Option(False, "--force"),
) -> None:
    """Generate the synthetic respondent data of a wave, calibrated to the published figures."""
    from hakusho.survey import synthetic

    path = synthetic.write(wave, out, seed=synthetic.DEFAULT_SEED if seed is None else seed, scale=scale, force=force)
    _echo(Msg("cli.synthesize.wrote", name=path.name, folder=path.parent, wave=wave, scale=scale))


# ---------------------------------------------------------------------------- editions and crosswalks

edition_app = typer.Typer(no_args_is_help=True)
app.add_typer(edition_app, name="edition")

_STATUS = ("identical", "mapped", "excluded", "changed", "new", "gone")  # crosswalk.status.<status>


@app.command("crosswalk")
def crosswalk_command(
    earlier: Annotated[str, typer.Argument()],
    later: Annotated[str, typer.Argument()],
    write: bool = typer.Option(False, "--write"),
) -> None:
    """What two waves have in common: which questions are compared, which changed, which are new."""
    from rich.console import Console
    from rich.table import Table

    from hakusho import config
    from hakusho.errors import BuildError
    from hakusho.survey.codebook import load_codebook
    from hakusho.survey.crosswalk import compare_codebooks, crosswalk_path, draft_text, load_crosswalk

    book_from, book_to = load_codebook(earlier), load_codebook(later)
    path = crosswalk_path(earlier, later)
    listed = load_crosswalk(path) if path.is_file() else None
    comparison = compare_codebooks(book_from, book_to, listed)
    table = Table(title=say(Msg("crosswalk.title", earlier=earlier, later=later)), title_justify="left")
    for column in (Msg("crosswalk.column.question"), Msg("crosswalk.column.status"), Msg("crosswalk.column.text")):
        table.add_column(say(column))
    for var, status in comparison.rows():
        book = book_from if status == "gone" else book_to
        table.add_row(var, say(Msg(f"crosswalk.status.{status}")), book.by_id[var].label(language()))
    Console(width=160).print(table)
    counts = {k: len(getattr(comparison, k)) for k in _STATUS}
    file = path.relative_to(config.PROJECT_ROOT) if listed else Msg("crosswalk.no_file")
    _echo(Msg("crosswalk.counts", file=file, **counts))
    if write:
        if path.exists():
            raise BuildError(Msg("crosswalk.exists", name=path.name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(draft_text(book_from, book_to, comparison))
        _echo(Msg("crosswalk.wrote", path=path.relative_to(config.PROJECT_ROOT)))


@edition_app.command("new")
def edition_new_command(
    wave: Annotated[str, typer.Argument()],
    source: str = typer.Option(..., "--from"),
) -> None:
    """Start an edition as a copy of another: codebook copy, content contract, commentary stubs,
    crosswalk; then list what is left to do. Never replaces a file."""
    from hakusho.edition import _rel, new_edition

    made = new_edition(wave, source)
    for path in made.written:
        _echo(Msg("cli.wrote", path=_rel(path)))
    for path in made.kept:
        _echo(Msg("edition.kept", path=_rel(path)))
    _echo("")
    _echo(Msg("edition.todo", wave=wave))
    for item in made.todo:
        _echo(f"  - {say(item)}")


@edition_app.command("release")
def edition_release_command(
    wave: Annotated[str, typer.Argument()],
    report: Annotated[Path | None, typer.Option("--report")] = None,
    update: bool = typer.Option(False, "--update"),
) -> None:
    """Record a released edition's figures in the project; later changes that move one are named."""
    from hakusho.edition import _rel, release

    _echo(Msg("edition.recorded", wave=wave, path=_rel(release(wave, report, update=update))))


@edition_app.command("check")
def edition_check_command(
    wave: Annotated[str, typer.Argument()],
    report: Annotated[Path | None, typer.Argument()] = None,
) -> None:
    """Compare a build of a released edition with its record; exit 1 naming every moved figure."""
    from hakusho import config
    from hakusho.edition import moved_figures
    from hakusho.text import figure_diff

    moved = moved_figures(wave, report or config.REPORT_DIR / wave)
    if moved:
        _echo(say(figure_diff.format_changes(moved, "text")).rstrip("\n"))
        raise SystemExit(1)
    _echo(Msg("edition.as_recorded", wave=wave))


# ---------------------------------------------------------------------------- build, verify, notebook

_EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}


def _filters(values: list[str] | None, extra: list[str]) -> list:
    """Pair each --filter with the two arguments after it (click hands those over separately)."""
    rest = list(extra)
    out: list = []
    for value in values or []:
        if any(ch.isspace() for ch in value.strip()):
            out.append(value)
            continue
        if len(rest) < 2:
            raise typer.BadParameter(Msg("cli.filter_needs_two", value=value), param_hint="--filter")
        out.append((value, rest.pop(0), rest.pop(0)))
    if rest:
        raise typer.BadParameter(Msg("cli.no_such_argument", args=" ".join(rest)),
                                 param_hint=Msg("cli.the_command_line"))
    return out


def _build_options(wave: str | None, compare: str | None, segment: str, filters: list, allow_small_base: bool,
                   data_dir: Path | None, **rest: object):
    from hakusho import config
    from hakusho.pipeline.options import BuildOptions, parse_filters

    wave = wave or config.DEFAULT_WAVE
    compare = config.current_project().compare_for(wave) if compare is None else compare
    return BuildOptions(
        wave=wave, compare_wave="" if compare.lower() in ("", "none") else compare, segment=segment,
        filters=parse_filters(filters, wave=wave), allow_small_base=allow_small_base, data_dir=data_dir, **rest)


@app.command("build", context_settings=_EXTRA_ARGS)
def build_command(
    ctx: typer.Context,
    wave: str | None = typer.Option(None, "--wave"),
    compare: str | None = typer.Option(None, "--compare"),
    segment: str = typer.Option("saas", "--segment"),
    chapters: str | None = typer.Option(None, "--chapters"),
    lang: str | None = typer.Option(None, "--lang"),
    fmt: str | None = typer.Option(None, "--format"),
    engine: str = typer.Option("internal", "--engine"),
    filter_: Annotated[list[str] | None, typer.Option("--filter", metavar="VAR OP VALUE")] = None,
    allow_small_base: bool = typer.Option(False, "--allow-small-base"),
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    force: bool = typer.Option(False, "--force"),
    jobs: int = typer.Option(0, "--jobs", min=0),
    quiet: bool = typer.Option(False, "--quiet"),
    fresh_kernels: bool = typer.Option(False, "--fresh-kernels"),
    strict: bool = typer.Option(False, "--strict"),
) -> None:
    """Build the report: validate the data, execute the chapter notebooks, render HTML and PDF,
    publish atomically. Only what changed since the last build is redone."""
    from hakusho import config
    from hakusho.i18n import LANGS
    from hakusho.pipeline import build
    from hakusho.pipeline.kept import keep_seconds
    from hakusho.pipeline.options import FORMATS, split_list
    from hakusho.pipeline.progress import make_reporter

    project = config.current_project()
    # A researcher rerunning one chapter keeps its kernel for the next try, as `notebook` does.
    one_chapter = len(split_list(chapters)) == 1
    options = _build_options(
        wave, compare, segment, _filters(filter_, ctx.args), allow_small_base, data_dir,
        chapters=split_list(chapters), keep_kernel=keep_seconds() if one_chapter else 0.0,
        langs=split_list(lang or ",".join(project.languages), valid=LANGS, what="language"),
        formats=split_list(fmt or ",".join(project.formats), valid=FORMATS, what="format"),
        engine=engine, out=out, force=force,
        jobs=jobs, reuse_kernels=not fresh_kernels, strict=strict)
    result = build.build(options, reporter=make_reporter(quiet=quiet))
    where = display_path(result.target)
    if result.up_to_date:
        _echo(Msg("cli.up_to_date", where=where, seconds=f"{result.seconds:.2f}"))
        return
    _echo(Msg("cli.built", where=where, seconds=f"{result.seconds:.1f}", executed=len(result.executed),
              cached=len(result.cached), rendered=len(result.rendered), reused=len(result.reused)))


@app.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument()],
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    jobs: int = typer.Option(0, "--jobs", min=0),
    quiet: bool = typer.Option(False, "--quiet"),
) -> None:
    """Rebuild a report from scratch in a temporary folder and compare it byte for byte; exits
    non-zero listing every file that differs."""
    from hakusho.pipeline.progress import make_reporter
    from hakusho.pipeline.verify import verify, verify_error

    result = verify(folder, data_dir=data_dir, jobs=jobs, reporter=make_reporter(quiet=quiet))
    if not result.ok:
        raise verify_error(result)
    for line in result.changed_inputs:
        _echo(Msg("cli.note", message=line), err=True)
    _echo(Msg("cli.verify.identical", path=display_path(result.folder), n=result.files))


@app.command("notebook", context_settings=_EXTRA_ARGS)
def notebook_command(
    ctx: typer.Context,
    chapter: Annotated[str, typer.Argument()],
    filter_: Annotated[list[str] | None, typer.Option("--filter", metavar="VAR OP VALUE")] = None,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    wave: str | None = typer.Option(None, "--wave"),
    compare: str | None = typer.Option(None, "--compare"),
    segment: str = typer.Option("saas", "--segment"),
    allow_small_base: bool = typer.Option(False, "--allow-small-base"),
    data_dir: Annotated[Path | None, typer.Option("--data-dir")] = None,
    lang: str = typer.Option("ja", "--lang"),
    force: bool = typer.Option(False, "--force"),
    quiet: bool = typer.Option(False, "--quiet"),
) -> None:
    """Execute one chapter notebook (with filters) and write it, outputs included, for opening in
    Jupyter."""
    from hakusho.i18n import LANGS
    from hakusho.pipeline import build
    from hakusho.pipeline.kept import keep_seconds
    from hakusho.pipeline.options import split_list
    from hakusho.pipeline.progress import make_reporter

    # The kernel stays up for the next try (HAKUSHO_KEEP_KERNEL seconds idle; 0: never kept).
    options = _build_options(wave, compare, segment, _filters(filter_, ctx.args), allow_small_base, data_dir,
                             force=force, langs=split_list(lang, valid=LANGS, what="language")[:1] or LANGS[:1],
                             keep_kernel=keep_seconds())
    path = build.chapter_notebook(options, chapter, out, reporter=make_reporter(quiet=quiet))
    _echo(Msg("cli.wrote", path=display_path(path)))


@app.command("preview", context_settings=_EXTRA_ARGS)
def preview_command(
    ctx: typer.Context,
    port: int = typer.Option(8000, "--port", min=0, max=65535),
    lang: str | None = typer.Option(None, "--lang"),
    fmt: str = typer.Option("html", "--format"),
    wave: str | None = typer.Option(None, "--wave"),
    compare: str | None = typer.Option(None, "--compare"),
    segment: str = typer.Option("saas", "--segment"),
    filter_: Annotated[list[str] | None, typer.Option("--filter", metavar="VAR OP VALUE")] = None,
    allow_small_base: bool = typer.Option(False, "--allow-small-base"),
    jobs: int = typer.Option(0, "--jobs", min=0),
) -> None:
    """Serve the report on 127.0.0.1 and rebuild it whenever its inputs change; the open page
    reloads by itself. Nothing is written outside the build cache. Ctrl-C stops."""
    from hakusho import config
    from hakusho.i18n import LANGS
    from hakusho.pipeline.options import FORMATS, split_list
    from hakusho.pipeline.preview import preview

    project = config.current_project()
    options = _build_options(
        wave, compare, segment, _filters(filter_, ctx.args), allow_small_base, None,
        langs=split_list(lang or ",".join(project.languages), valid=LANGS, what="language"),
        formats=tuple(f for f in split_list(fmt, valid=FORMATS, what="format") if f in ("html", "pdf")) or ("html",),
        jobs=jobs)
    preview(options, port=port, log=lambda line: _echo(line, err=True))


@app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument()],
    codebook: Annotated[Path | None, typer.Option("--codebook")] = None,
    wave: str | None = typer.Option(None, "--wave"),
) -> None:
    """Check a raw export against its codebook: every problem listed (exit code non-zero), or one
    line saying it is fine."""
    from hakusho.survey.validate import validate_path

    _echo(validate_path(path, codebook=codebook, wave=wave))


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, printing hakusho errors as messages with their exit codes.

    SIGTERM is taken as Ctrl-C, so that a command stopped either way cleans up what it staged
    and says so in one line."""
    _skip_final_collection()
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    # Notebook execution logs through papermill's logger (a kernel killed on Ctrl-C: "Kernel died
    # …"); hakusho reports every failure itself, in one line, so those records go nowhere.
    # --debug lets them through.
    quiet = logging.NullHandler()
    logging.getLogger("papermill").addHandler(quiet)
    try:
        return _run(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)
        logging.getLogger("papermill").removeHandler(quiet)


_final_collection_skipped = False


def _skip_final_collection() -> None:
    """Let the interpreter end without its last full garbage collection.

    Once a command is done, Python still walks every object it ever made (pandas, matplotlib,
    the renderers) looking for reference cycles: a quarter of a second after a build has printed
    its last line, paid on every command. Freezing them all as the very last exit handler (the
    first registered runs last) skips that walk; files are closed and every other exit handler
    has run by then.
    """
    global _final_collection_skipped
    if not _final_collection_skipped:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _final_collection_skipped = True


def command(lang: str) -> typer.core.TyperGroup:
    """The click command tree of the app, its help and the libraries' words in ``lang``."""
    from typer.main import get_command

    from hakusho.ui import library_wording, localize

    group = get_command(app)
    localize(group, lang)
    library_wording(lang)
    return group


def _run(argv: list[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    lang = choose_language(args, os.environ)
    set_language(lang)
    try:
        command(lang).main(args=args, prog_name="hakusho", standalone_mode=False)
    except HakushoError as exc:
        if _state["debug"]:
            raise
        print(tr("cli.error", lang, message=exc.report(lang=lang)), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(tr("cli.interrupted", lang), file=sys.stderr)
        return 130
    except SystemExit as exc:  # typer/click exits (usage errors, --help)
        return int(exc.code or 0)
    except OSError as exc:  # a full disk, a vanished folder… that no stage turned into a message
        if _state["debug"]:
            raise
        reason = exc.strerror or type(exc).__name__
        message = tr("cli.os_error_at", lang, reason=reason, path=display_path(exc.filename)) if exc.filename \
            else tr("cli.os_error", lang, reason=reason)
        print(tr("cli.error", lang, message=message), file=sys.stderr)
        return 1
    except Exception as exc:
        # Usage errors arrive as click exceptions; Typer ships its own copy of click, so they are
        # recognised by what they can do rather than by class.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            if type(exc).__name__ == "NoArgsIsHelpError":
                show()  # the help of the command, already in the user's language
            else:
                from hakusho.ui import usage_error

                print(usage_error(exc, lang), file=sys.stderr)
            return code
        if type(exc).__name__ == "Abort":
            print(tr("cli.aborted", lang), file=sys.stderr)
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
