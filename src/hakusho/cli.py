"""The ``hakusho`` command line: thin wrappers that turn arguments into calls and errors into
one-line messages. The work itself lives in the stage modules.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

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
) -> None:
    _state["debug"] = debug


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
    from hakusho import commentary, commentary_lint, config

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
    from hakusho import figure_diff

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
    from hakusho.ledger import run_kpi

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
    from hakusho import synthetic

    path = synthetic.write(wave, out, seed=synthetic.DEFAULT_SEED if seed is None else seed, scale=scale, force=force)
    typer.echo(f"wrote {path.name} to {path.parent} (wave {wave}, scale {scale})")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, printing hakusho errors as messages with their exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except HakushoError as exc:
        if _state["debug"]:
            raise
        print(f"error: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was published; the previous report is unchanged", file=sys.stderr)
        return 130
    except SystemExit as exc:  # typer/click exits (usage errors, --help)
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors arrive as ClickException subclasses
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            print("aborted", file=sys.stderr)
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
