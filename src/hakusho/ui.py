"""The command line's wording in the user's language: ``--help`` from the catalogs, the words of
the libraries it is built on (Typer and its click), and usage errors.

Help texts live only in the ``cli`` catalogs, keyed by where they appear: ``help.hakusho`` for
the program, ``help.hakusho.build`` for a command, ``help.hakusho.build.wave`` for one of its
options or arguments (by parameter name), ``help.option.help`` for every ``--help``. They are
set on the click command tree once, before the command line is parsed (:func:`localize`), so
``hakusho build --help`` is in the language :func:`hakusho.messages.choose_language` chose.

Typer prints English help in Rich panels. Rich wraps lines at spaces, which Japanese text does
not have (a long help line would be cut), so Japanese help is printed by Typer's plain formatter
instead; :func:`library_wording` gives both their words in the language (panel titles, section
headings, ``Usage:``, ``[default: …]``, the ``--help`` option's own help). A usage error (a missing
argument, an unknown option, a bad value) is raised by Typer's click with English text; it is
reworded here from the exception's own fields (:func:`usage_error`), keeping the option names
and values it quotes.
"""

from __future__ import annotations

import re
from typing import Any

from hakusho.messages import Msg, catalog, has, text, tr

HELP_PREFIX = "help."


def help_key(path: str, param: str | None = None) -> str:
    return f"{HELP_PREFIX}{path}" + (f".{param}" if param else "")


def command_tree(command: Any, path: str = "hakusho") -> list[tuple[str, Any]]:
    """Every command of the tree with its path (``hakusho``, ``hakusho.edition.new`` …)."""
    out = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        out += command_tree(sub, f"{path}.{name}")
    return out


def localize(command: Any, lang: str) -> None:
    """Set every help text of the command tree from the catalogs of ``lang``.

    A command or parameter the catalogs do not know keeps the help its code gives (a test
    checks that every one is known).
    """
    for path, cmd in command_tree(command):
        if lang != "en" and hasattr(cmd, "rich_markup_mode"):
            cmd.rich_markup_mode = None  # plain help: see the module notes
        if has(help_key(path)):
            cmd.help = tr(help_key(path), lang)
            # The first sentence: click shortens a help text at a space, which Japanese has none of.
            cmd.short_help = re.split(r"(?<=[。.])\s*|：|: ", cmd.help, maxsplit=1)[0].rstrip("。.")
        for param in cmd.params:
            key = HELP_PREFIX + "option.help" if param.name == "help" else help_key(path, param.name)
            if has(key):
                param.help = tr(key, lang)


def library_wording(lang: str) -> None:
    """Typer's panel titles, hints and ``Usage:`` prefix in ``lang``."""
    from typer._click import formatting

    words = catalog(lang)  # templates Typer fills in itself ("[default: {}]"), taken as they are
    # Typer's Rich panels get their words when help is formatted: importing Rich's formatting
    # takes longer than a no-op build, which prints no help.
    from typer import core as typer_core

    for cls in (typer_core.TyperCommand, typer_core.TyperGroup):
        unworded = getattr(cls.format_help, "__wrapped__", cls.format_help)

        def format_help(self: Any, ctx: Any, formatter: Any, unworded: Any = unworded) -> Any:
            rich_wording(words)
            return unworded(self, ctx, formatter)

        format_help.__wrapped__ = unworded  # type: ignore[attr-defined]
        cls.format_help = format_help  # type: ignore[method-assign]
    # Typer's own words, looked up through the gettext function its modules bound at import.

    library = {english: words[key] for english, key in _LIBRARY_WORDS.items()}
    typer_core._ = lambda message: library.get(message, message)  # type: ignore[attr-defined]
    help_text = tr("help.option.help", lang)
    original_help = getattr(typer_core.TyperCommand.get_help_option, "__wrapped__", None)
    for cls in (typer_core.TyperCommand, typer_core.TyperGroup):
        base = getattr(cls.get_help_option, "__wrapped__", cls.get_help_option)

        def get_help_option(self: Any, ctx: Any, base: Any = base) -> Any:
            option = base(self, ctx)
            if option is not None:
                option.help = help_text
            return option

        get_help_option.__wrapped__ = base  # type: ignore[attr-defined]
        cls.get_help_option = get_help_option  # type: ignore[method-assign]
    del original_help
    default = tr("cli.usage", lang) + " "
    original = getattr(formatting.HelpFormatter.write_usage, "__wrapped__", formatting.HelpFormatter.write_usage)

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, prefix if prefix is not None else default)

    write_usage.__wrapped__ = original  # type: ignore[attr-defined]
    formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]


def rich_wording(words: dict[str, str]) -> None:
    """The words of Typer's Rich panels (titles, hints) from a catalog."""
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = words["cli.panel.arguments"]
    rich_utils.OPTIONS_PANEL_TITLE = words["cli.panel.options"]
    rich_utils.COMMANDS_PANEL_TITLE = words["cli.panel.commands"]
    rich_utils.ERRORS_PANEL_TITLE = words["cli.panel.error"]
    rich_utils.DEFAULT_STRING = words["cli.help.default"]
    rich_utils.REQUIRED_LONG_STRING = words["cli.help.required"]
    rich_utils.ENVVAR_STRING = words["cli.help.envvar"]
    rich_utils.RICH_HELP = words["cli.help.try"]


# The English words of Typer's plain help and the catalog keys that say them.
_LIBRARY_WORDS = {"Arguments": "cli.panel.arguments", "Options": "cli.panel.options",
                  "Commands": "cli.panel.commands", "required": "cli.word.required",
                  "default: {default}": "cli.word.default", "env var: {var}": "cli.word.envvar",
                  "(deprecated) ": "cli.word.deprecated"}


# Typer checks values with pydantic: its English messages, reworded by the catalogs' pydantic.* keys.
def _pydantic_words(message: str, lang: str) -> str:
    for key, english in catalog("en").items():
        if key.startswith("pydantic.") and english and message.startswith(english):
            return tr(key, lang, expected="", pattern="")
    return message


def usage_error(exc: Any, lang: str) -> str:
    """A usage error as the command line prints it: the usage line, the hint to ``--help`` and
    the error, in ``lang``."""
    ctx = getattr(exc, "ctx", None)
    lines = []
    if ctx is not None:
        pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
        lines.append(f"{tr('cli.usage', lang)} {ctx.command_path} {pieces}".rstrip())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(tr("cli.try_help", lang, command=f"{ctx.command_path} --help"))
        lines.append("")
    lines.append(tr("cli.error", lang, message=_usage_message(exc, lang)))
    return "\n".join(lines)


def _hint(exc: Any, lang: str) -> str:
    """The option or argument an error is about, as the command line names it."""
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        try:
            hint = param.get_error_hint()
        except TypeError:  # click's own signature takes the context
            hint = param.get_error_hint(exc.ctx)
    if isinstance(hint, list | tuple):
        hint = " / ".join(str(h) for h in hint)
    return text(hint, lang) if hint is not None else ""


_REQUIRES = re.compile(r"^Option '(?P<name>[^']+)' requires (an argument|(?P<n>\d+) arguments)\.$")
_EXTRA = re.compile(r"^Got unexpected extra arguments? \((?P<args>.*)\)$")
_NO_COMMAND = re.compile(r"^No such command '(?P<name>[^']+)'\.?$")


def _usage_message(exc: Any, lang: str) -> str:
    kind = type(exc).__name__
    message = getattr(exc, "message", "") or ""
    if kind == "MissingParameter":
        param_type = getattr(exc, "param_type", None) or getattr(getattr(exc, "param", None), "param_type_name", "")
        if param_type == "argument":
            return tr("cli.missing_argument", lang, name=_hint(exc, lang))
        return tr("cli.missing_option", lang, name=_hint(exc, lang))
    if kind == "NoSuchOption":
        found = tr("cli.no_such_option", lang, name=exc.option_name)
        if getattr(exc, "possibilities", None):
            found += tr("cli.possible_options", lang, options=", ".join(sorted(exc.possibilities)))
        return found
    if kind == "BadParameter":
        detail = message.tr(lang) if isinstance(message, Msg) else _pydantic_words(str(message), lang)
        hint = _hint(exc, lang)
        return tr("cli.bad_value_for", lang, name=hint, detail=detail) if hint else \
            tr("cli.bad_value", lang, detail=detail)
    m = _REQUIRES.match(str(message))
    if m:
        return tr("cli.option_needs_value", lang, name=m["name"])
    m = _EXTRA.match(str(message))
    if m:
        return tr("cli.extra_arguments", lang, args=m["args"])
    m = _NO_COMMAND.match(str(message))
    if m:
        return tr("cli.no_such_command", lang, name=m["name"])
    if str(message).startswith("Missing command"):
        return tr("cli.missing_command", lang)
    return text(message, lang)
