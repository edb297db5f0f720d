"""The ``hakusho`` command line: thin wrappers that turn arguments into calls and errors into
one-line messages. The work itself lives in the stage modules.
"""

from __future__ import annotations

import sys

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
