"""The ``hakusho`` command line: thin wrappers that turn arguments into calls and errors into
one-line messages. The work itself lives in the stage modules.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from hakusho.config import display_path
from hakusho.errors import HakushoError

app = typer.Typer(
    name="hakusho",
    help="Rebuild the Customer Success White Paper from respondent-level survey data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one-line errors."),
    project: Annotated[Path | None, typer.Option(
        "--project", help="The project folder (holding hakusho.toml). Default: the working directory or the "
        "nearest folder above it that holds one.")] = None,
) -> None:
    _state["debug"] = debug
    if debug:
        logging.basicConfig(level=logging.WARNING)  # the libraries' own log records, to stderr
    if project is not None:
        from hakusho.project import use

        use(project)


@app.command("init")
def init_command(
    folder: Annotated[Path, typer.Argument(help="The new project's folder (new, or empty).")],
    sample: bool = typer.Option(False, "--sample", help="Include the synthetic sample (raw data of two waves, "
                                "codebooks, crosswalk, commentary) so that `hakusho build` works at once."),
) -> None:
    """Make a new project: hakusho.toml, the codebook to adapt, .gitignore, commentary stubs, a CI
    workflow (and with --sample the synthetic sample). Never writes over existing files."""
    from hakusho.scaffold import init_project

    made = init_project(folder, sample=sample)
    what = "with the synthetic sample" if sample else "to adapt"
    typer.echo(f"made a hakusho project in {made.root} ({len(made.files)} files, {what}). Next:")
    for step in made.next_steps():
        typer.echo(f"  {step}")


@app.command("lint-commentary")
def lint_commentary_command(
    wave: str | None = typer.Option(None, "--wave", help="Wave whose commentary (data/commentary/<wave>/) is "
                                    "checked (default: the report's wave)."),
    figures: Annotated[Path | None, typer.Option(
        "--figures", help="Built figures: report/<wave>/, a build directory or a figures.json "
        "(default: report/<wave>/).")] = None,
    strict: bool = typer.Option(False, "--strict", help="Numbers typed literally are errors, not warnings (CI)."),
) -> None:
    """Check the editors' commentary: every reference resolves, no number is typed literally."""
    from hakusho import config
    from hakusho.text import commentary, commentary_lint

    wave = wave or config.DEFAULT_WAVE
    source = figures or config.REPORT_DIR / wave
    docs = commentary.check_commentary(source, wave)
    findings = commentary_lint.lint_commentary(source, wave, strict=strict)
    for finding in findings:
        typer.echo(f"warning: {finding}", err=True)
    for missing in commentary.missing_commentary(wave):
        typer.echo(f"note: {missing}", err=True)
    typer.echo(f"{len(docs)} commentary file(s) checked, {len(findings)} warning(s)")


@app.command("diff")
def diff_command(
    old_report: Annotated[Path, typer.Argument(help="The earlier report (report/<wave>/) or build directory.")],
    new_report: Annotated[Path, typer.Argument(help="The later report or build directory.")],
    fmt: str = typer.Option("text", "--format", help="text (for people), csv or json (for tools)."),
    wave: str | None = typer.Option(None, "--wave", help="Wave of the commentary to scan (default: the new report's)."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit with status 1 when a figure changed."),
) -> None:
    """List every figure whose value changed between two builds, with the slides and commentary
    lines that quote it."""
    from hakusho.text import figure_diff

    changes = figure_diff.diff_reports(old_report, new_report, wave=wave)
    typer.echo(figure_diff.format_changes(changes, fmt).rstrip("\n"))
    if exit_code and changes:
        raise SystemExit(1)  # click's own Exit would be swallowed by main()'s standalone_mode=False


@app.command("kpi")
def kpi_command(
    ledger_csv: Annotated[Path, typer.Argument(help="Customer ledger CSV: customer_id, month (YYYY-MM), mrr (yen), "
                                               "optional nps (0-10).")],
    year: int | None = typer.Option(None, "--year", help="Year to report (default: the ledger's latest)."),
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the CSV and JSON files.")] = None,
    lang: str = typer.Option("ja", "--lang", help="Language of the printed tables: ja or en."),
    fmt: str = typer.Option("table", "--format", help="What to print: table, csv (monthly) or json."),
    benchmark: bool | None = typer.Option(None, "--benchmark/--no-benchmark", help="Compare with the survey's "
                                          "respondents (default: when the survey data is present)."),
    html: bool = typer.Option(False, "--html", help="Also write the benchmark as an HTML page into --out."),
) -> None:
    """Customer-success KPIs per month and for the year from a customer ledger, with a benchmark."""
    from hakusho.kpi.ledger import run_kpi

    run_kpi(ledger_csv, year=year, out=out, lang=lang, fmt=fmt, benchmark=benchmark, html=html)


@app.command("synthesize")
def synthesize_command(
    wave: str = typer.Option("2025", "--wave", help="Wave to generate: 2025 or 2023."),
    scale: int = typer.Option(1, "--scale", min=1, help="Multiply every cell (100 gives 78,100 rows for 2025)."),
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for responses.csv (default: data/raw/<wave>/).")] = None,
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the project's fixed seed)."),
    force: bool = typer.Option(False, "--force", help="Replace a responses.csv that differs from the result."),
) -> None:
    """Generate the synthetic respondent data of a wave, calibrated to the published figures."""
    from hakusho.survey import synthetic

    path = synthetic.write(wave, out, seed=synthetic.DEFAULT_SEED if seed is None else seed, scale=scale, force=force)
    typer.echo(f"wrote {path.name} to {path.parent} (wave {wave}, scale {scale})")


# ---------------------------------------------------------------------------- editions and crosswalks

edition_app = typer.Typer(help="Editions of the report: start next year's, record a released one.",
                          no_args_is_help=True)
app.add_typer(edition_app, name="edition")

_STATUS = {
    "identical": "compared (identical in both codebooks)",
    "mapped": "compared through the crosswalk file",
    "excluded": "not compared (excluded in the crosswalk file)",
    "changed": "NOT compared: choices changed, not in the crosswalk file",
    "new": "new: not asked in the earlier wave",
    "gone": "gone: not asked in the later wave",
}


@app.command("crosswalk")
def crosswalk_command(
    earlier: Annotated[str, typer.Argument(help="The earlier wave, e.g. 2025.")],
    later: Annotated[str, typer.Argument(help="The later wave, e.g. 2026.")],
    write: bool = typer.Option(False, "--write", help="Write the draft crosswalk file for the editor to finish "
                               "(data/codebook/crosswalk/EARLIER-LATER.yml; never replaces one)."),
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
    table = Table(title=f"crosswalk {earlier} → {later}", title_justify="left")
    for column in ("question", "status", "text"):
        table.add_column(column)
    for var, status in comparison.rows():
        book = book_from if status == "gone" else book_to
        table.add_row(var, _STATUS[status], book.by_id[var].label("en"))
    Console(width=160).print(table)
    counts = ", ".join(f"{len(getattr(comparison, k))} {k}" for k in _STATUS)
    typer.echo(f"{counts}; file: {path.relative_to(config.PROJECT_ROOT) if listed else 'none'}")
    if write:
        if path.exists():
            raise BuildError(f"{path.name} exists: edit it (hakusho never replaces it)")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(draft_text(book_from, book_to, comparison))
        typer.echo(f"wrote {path.relative_to(config.PROJECT_ROOT)}: map or exclude each changed question there")


@edition_app.command("new")
def edition_new_command(
    wave: Annotated[str, typer.Argument(help="The new edition's wave, e.g. 2026.")],
    source: str = typer.Option(..., "--from", help="The edition to start from, e.g. 2025."),
) -> None:
    """Start an edition as a copy of another: codebook copy, content contract, commentary stubs,
    crosswalk; then list what is left to do. Never replaces a file."""
    from hakusho.edition import _rel, new_edition

    made = new_edition(wave, source)
    for path in made.written:
        typer.echo(f"wrote {_rel(path)}")
    for path in made.kept:
        typer.echo(f"kept {_rel(path)} (already there)")
    typer.echo(f"\nstill to do for the {wave} edition:")
    for item in made.todo:
        typer.echo(f"  - {item}")


@edition_app.command("release")
def edition_release_command(
    wave: Annotated[str, typer.Argument(help="The edition, e.g. 2025.")],
    report: Annotated[Path | None, typer.Option("--report", help="The built report (default: report/<wave>/).")] = None,
    update: bool = typer.Option(False, "--update", help="Replace the record of an edition released before "
                                "(a deliberate, reviewed step)."),
) -> None:
    """Record a released edition's figures in the project; later changes that move one are named."""
    from hakusho.edition import _rel, release

    typer.echo(f"recorded the figures of edition {wave} in {_rel(release(wave, report, update=update))}")


@edition_app.command("check")
def edition_check_command(
    wave: Annotated[str, typer.Argument(help="A released edition, e.g. 2025.")],
    report: Annotated[Path | None, typer.Argument(help="The built report (default: report/<wave>/).")] = None,
) -> None:
    """Compare a build of a released edition with its record; exit 1 naming every moved figure."""
    from hakusho import config
    from hakusho.edition import moved_figures
    from hakusho.text import figure_diff

    moved = moved_figures(wave, report or config.REPORT_DIR / wave)
    if moved:
        typer.echo(figure_diff.format_changes(moved, "text").rstrip("\n"))
        raise SystemExit(1)
    typer.echo(f"edition {wave}: every released figure is as recorded")


# ---------------------------------------------------------------------------- build, verify, notebook

_FILTER_HELP = ("Keep only respondents meeting VAR OP VALUE (three arguments, e.g. --filter employees '>=' 1000; "
                "quote the operator for the shell). Repeatable; filters combine with AND. Operators: == != < <= > >= "
                "in, 'not in' (VALUE a,b,c), includes, excludes. The whole filter may also be one quoted argument: "
                "--filter 'route == sns'.")
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
            raise typer.BadParameter(f"'{value}' needs two more arguments: VAR OP VALUE", param_hint="--filter")
        out.append((value, rest.pop(0), rest.pop(0)))
    if rest:
        raise typer.BadParameter(f"no such option or argument: {' '.join(rest)}", param_hint="the command line")
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
    wave: str | None = typer.Option(None, "--wave", help="Survey wave the report is about (default: the "
                                    "project's edition, hakusho.toml's wave)."),
    compare: str | None = typer.Option(None, "--compare", help="Wave to compare with (year-over-year charts; "
                                       "default: hakusho.toml's compare for its edition, else the wave before); "
                                       "'none' for no comparison."),
    segment: str = typer.Option("saas", "--segment", help="saas (the SaaS report), non_saas, or all (the "
                                "integrated report, both segments side by side)."),
    chapters: str | None = typer.Option(None, "--chapters", help="Chapters to build, e.g. ch1,ch4 (default: all)."),
    lang: str | None = typer.Option(None, "--lang", help="Languages: ja, en or ja,en (default: hakusho.toml's "
                                    "languages)."),
    fmt: str | None = typer.Option(None, "--format", help="Outputs: html, pdf, xlsx (the tabulation workbook), "
                                   "quarto (the Quarto project), comma-separated (default: hakusho.toml's formats)."),
    engine: str = typer.Option("internal", "--engine", help="internal (hakusho's renderers) or quarto (render "
                               "through Quarto)."),
    filter_: Annotated[list[str] | None, typer.Option("--filter", metavar="VAR OP VALUE", help=_FILTER_HELP)] = None,
    allow_small_base: bool = typer.Option(False, "--allow-small-base", help="Build even when a filter leaves "
                                          "fewer than 30 respondents (small bases are then marked)."),
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Folder holding <wave>/ raw exports "
                                                  "(default: data/raw).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default: report/<wave>/, or "
                                             "report/<wave>-<segment>-<what differs>/ for other segments, "
                                             "filters, chapters, languages or formats). Replaced only when "
                                             "absent, empty or a report hakusho built there, unchanged.")] = None,
    force: bool = typer.Option(False, "--force", help="Ignore the cache: validate, execute and render everything."),
    jobs: int = typer.Option(0, "--jobs", min=0, help="Notebooks run in parallel (default: one per CPU core)."),
    quiet: bool = typer.Option(False, "--quiet", help="Plain log lines instead of the live progress display."),
    fresh_kernels: bool = typer.Option(False, "--fresh-kernels", help="Start a new kernel for every notebook "
                                       "instead of reusing warm ones (slower; same output)."),
    strict: bool = typer.Option(False, "--strict", help="Numbers typed literally in the editors' commentary "
                                "are errors, not warnings (CI builds with it)."),
) -> None:
    """Build the report: validate the data, execute the chapter notebooks, render HTML and PDF,
    publish atomically. Only what changed since the last build is redone."""
    from hakusho import config
    from hakusho.i18n import LANGS
    from hakusho.pipeline import build
    from hakusho.pipeline.options import FORMATS, split_list
    from hakusho.pipeline.progress import make_reporter

    project = config.current_project()
    options = _build_options(
        wave, compare, segment, _filters(filter_, ctx.args), allow_small_base, data_dir,
        chapters=split_list(chapters),
        langs=split_list(lang or ",".join(project.languages), valid=LANGS, what="language"),
        formats=split_list(fmt or ",".join(project.formats), valid=FORMATS, what="format"),
        engine=engine, out=out, force=force,
        jobs=jobs, reuse_kernels=not fresh_kernels, strict=strict)
    result = build.build(options, reporter=make_reporter(quiet=quiet))
    where = display_path(result.target)
    if result.up_to_date:
        typer.echo(f"{where} is up to date ({result.seconds:.2f} s)")
        return
    typer.echo(f"built {where} in {result.seconds:.1f} s: {len(result.executed)} chapter(s) executed, "
               f"{len(result.cached)} cached; {len(result.rendered)} render(s), {len(result.reused)} reused")


@app.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument(help="A built report, e.g. report/2025.")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="The raw data folder, for a report built "
                                                  "with --data-dir.")] = None,
    jobs: int = typer.Option(0, "--jobs", min=0, help="Notebooks run in parallel (default: one per CPU core)."),
    quiet: bool = typer.Option(False, "--quiet", help="Plain log lines instead of the live progress display."),
) -> None:
    """Rebuild a report from scratch in a temporary folder and compare it byte for byte; exits
    non-zero listing every file that differs."""
    from hakusho.pipeline.progress import make_reporter
    from hakusho.pipeline.verify import verify, verify_error

    result = verify(folder, data_dir=data_dir, jobs=jobs, reporter=make_reporter(quiet=quiet))
    if not result.ok:
        raise verify_error(result)
    for line in result.changed_inputs:
        typer.echo(f"note: {line}", err=True)
    typer.echo(f"{display_path(result.folder)}: all {result.files} files identical to a fresh rebuild")


@app.command("notebook", context_settings=_EXTRA_ARGS)
def notebook_command(
    ctx: typer.Context,
    chapter: Annotated[str, typer.Argument(help="Chapter id, e.g. ch4.")],
    filter_: Annotated[list[str] | None, typer.Option("--filter", metavar="VAR OP VALUE", help=_FILTER_HELP)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Notebook file to write (default: "
                                             "<NN_name>[-<filter>].ipynb here).")] = None,
    wave: str | None = typer.Option(None, "--wave", help="Survey wave (default: the project's edition)."),
    compare: str | None = typer.Option(None, "--compare", help="Wave to compare with (default: the project's); "
                                       "'none' for no comparison."),
    segment: str = typer.Option("saas", "--segment", help="saas, non_saas or all."),
    allow_small_base: bool = typer.Option(False, "--allow-small-base", help="Run even when a filter leaves "
                                          "fewer than 30 respondents."),
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Folder holding <wave>/ raw exports.")] = None,
    lang: str = typer.Option("ja", "--lang", help="Language of the labels and charts the notebook shows (ja or "
                             "en); its charts are drawn in that language only."),
    force: bool = typer.Option(False, "--force", help="Execute even when the cache holds this run."),
    quiet: bool = typer.Option(False, "--quiet", help="Plain log lines instead of the live progress display."),
) -> None:
    """Execute one chapter notebook (with filters) and write it, outputs included, for opening in
    Jupyter."""
    from hakusho.i18n import LANGS
    from hakusho.pipeline import build
    from hakusho.pipeline.options import split_list
    from hakusho.pipeline.progress import make_reporter

    options = _build_options(wave, compare, segment, _filters(filter_, ctx.args), allow_small_base, data_dir,
                             force=force, langs=split_list(lang, valid=LANGS, what="language")[:1] or LANGS[:1])
    path = build.chapter_notebook(options, chapter, out, reporter=make_reporter(quiet=quiet))
    typer.echo(f"wrote {display_path(path)}")


@app.command("preview", context_settings=_EXTRA_ARGS)
def preview_command(
    ctx: typer.Context,
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free one)."),
    lang: str | None = typer.Option(None, "--lang", help="Languages: ja, en or ja,en (default: hakusho.toml's "
                                    "languages)."),
    fmt: str = typer.Option("html", "--format", help="Outputs besides the pages: html,pdf adds the PDF decks."),
    wave: str | None = typer.Option(None, "--wave", help="Survey wave (default: the project's edition)."),
    compare: str | None = typer.Option(None, "--compare", help="Wave to compare with (default: the project's); "
                                       "'none' for no comparison."),
    segment: str = typer.Option("saas", "--segment", help="saas, non_saas or all."),
    filter_: Annotated[list[str] | None, typer.Option("--filter", metavar="VAR OP VALUE", help=_FILTER_HELP)] = None,
    allow_small_base: bool = typer.Option(False, "--allow-small-base", help="Build even when a filter leaves "
                                          "fewer than 30 respondents."),
    jobs: int = typer.Option(0, "--jobs", min=0, help="Kernels kept warm (default: one per CPU core)."),
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
    preview(options, port=port, log=lambda line: typer.echo(line, err=True))


@app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument(help="A wave folder (data/raw/2025) or a raw export file.")],
    codebook: Annotated[Path | None, typer.Option("--codebook", help="Codebook file (default: "
                                                  "data/codebook/<wave>.yml).")] = None,
    wave: str | None = typer.Option(None, "--wave", help="Wave of the data (default: the folder's name)."),
) -> None:
    """Check a raw export against its codebook: every problem listed (exit code non-zero), or one
    line saying it is fine."""
    from hakusho.survey.validate import validate_path

    typer.echo(validate_path(path, codebook=codebook, wave=wave))


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, printing hakusho errors as messages with their exit codes.

    SIGTERM is taken as Ctrl-C, so that a command stopped either way cleans up what it staged
    and says so in one line."""
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


def _run(argv: list[str] | None) -> int:
    try:
        app(args=argv, standalone_mode=False)
    except HakushoError as exc:
        if _state["debug"]:
            raise
        print(f"error: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was written; earlier outputs are unchanged", file=sys.stderr)
        return 130
    except SystemExit as exc:  # typer/click exits (usage errors, --help)
        return int(exc.code or 0)
    except OSError as exc:  # a full disk, a vanished folder… that no stage turned into a message
        if _state["debug"]:
            raise
        where = f" ({display_path(exc.filename)})" if exc.filename else ""
        print(f"error: {exc.strerror or type(exc).__name__}{where}", file=sys.stderr)
        return 1
    except Exception as exc:
        # Usage errors arrive as click exceptions; Typer ships its own copy of click, so they are
        # recognised by what they can do rather than by class.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        if type(exc).__name__ == "Abort":
            print("aborted", file=sys.stderr)
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
