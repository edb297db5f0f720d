"""Messages of the command line in the user's language: the ``cli`` message catalogs.

A message is raised or printed as ``Msg("filter.unknown_variable", name=var, valid=...)``: a
``str`` whose value is the English text — so code and tests that read a message as text keep
working — carrying its catalog key and parameters, so that the command line prints it in the
user's language (:func:`text`). Parameters are paths, ids, values and numbers, inserted as they
are; a parameter that is itself a ``Msg`` is translated with the message around it, so a stage
can wrap a message it did not write ("stage 'validate' failed: …") without losing its language.

The catalogs are ``hakusho/locale/<lang>/LC_MESSAGES/cli.po`` (keys as message ids, like the
report's catalogs), read from the package only: the tool's own messages are not a project's to
replace. Both languages carry every key; a test extracts every ``Msg("…")`` key from the source
with Babel and checks both catalogs.

Which language: :func:`choose_language` — ``--ui-lang``, else ``HAKUSHO_LANG``, else the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``, in POSIX order): Japanese for ``ja…``, English otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "cli"
LANGS = ("ja", "en")
DEFAULT_LANG = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


@cache
def catalog(lang: str) -> dict[str, str]:
    """The ``cli`` catalog of one language, keyed by message id."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale=lang, domain=DOMAIN) if m.id and m.string}


def tr(key: str, lang: str, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` with its parameters filled in (Msg parameters translated).

    A key missing from the catalog is a programming error (a test checks every key), reported
    with the key rather than hidden behind the other language.
    """
    table = catalog(lang if lang in LANGS else DEFAULT_LANG)
    try:
        template = table[key]
    except KeyError:
        raise KeyError(f"message '{key}' is missing from the {lang} {DOMAIN} catalog") from None
    constants: dict[str, object] = {}
    if "_below}" in template:  # a disclosure threshold, never typed in a catalog (read only then: pandas)
        from hakusho.i18n import catalog_constants

        constants = catalog_constants()
    if "{keep_kernel_seconds}" in template:  # the default, defined once (hakusho.config)
        from hakusho.config import DEFAULT_KEEP_KERNEL_SECONDS

        constants["keep_kernel_seconds"] = DEFAULT_KEEP_KERNEL_SECONDS
    return template.format(**constants, **{name: text(value, lang) for name, value in params.items()})


def has(key: str) -> bool:
    """Whether the catalogs know ``key`` (for messages chosen from data, such as pydantic's error types)."""
    return key in catalog(DEFAULT_LANG)


class Msg(str):
    """A message for people: English as its text, translated when printed (see the module notes)."""

    key: str
    params: Mapping[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> Msg:
        self = super().__new__(cls, tr(key, DEFAULT_LANG, **params))
        self.key = key
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries (render pool, kernels)
        return (_rebuild, (self.key, dict(self.params)))

    def tr(self, lang: str) -> str:
        return tr(self.key, lang, **self.params)


def _rebuild(key: str, params: dict[str, Any]) -> Msg:
    return Msg(key, **params)


class Listed:
    """Items listed in a message, joined the way ``lang`` joins them (``separator`` is a catalog
    key: ``list.separator`` "a, b" / 「a、b」, ``list.and`` "a and b" / 「a かつ b」)."""

    def __init__(self, items: Sequence[Any], separator: str = "list.separator") -> None:
        self.items = list(items)
        self.separator = separator

    def tr(self, lang: str) -> str:
        return tr(self.separator, lang).join(text(item, lang) for item in self.items)

    def __str__(self) -> str:
        return self.tr(DEFAULT_LANG)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listed) and (self.items, self.separator) == (other.items, other.separator)

    __hash__ = None  # type: ignore[assignment]


def text(value: Any, lang: str) -> str:
    """Any value as the message text of ``lang``: a Msg or Listed translated, a label given as
    ``{"ja": …, "en": …}`` in its language, anything else as it is."""
    if isinstance(value, Msg | Listed):
        return value.tr(lang)
    if isinstance(value, Mapping) and lang in value:  # a label given in both languages
        return str(value[lang])
    shown = str(value)  # an object whose str() is a message (a lint finding, a missing text)
    return shown.tr(lang) if isinstance(shown, Msg) else shown


def choose_language(argv: Sequence[str] | None, environ: Mapping[str, str]) -> str:
    """The language of the command line: ``--ui-lang`` in ``argv``, else ``HAKUSHO_LANG``, else
    the locale. An unknown ``--ui-lang`` or ``HAKUSHO_LANG`` value falls to the next source (the
    option itself then reports the bad value)."""
    args = list(argv or [])
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = None
        if arg == "--ui-lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--ui-lang="):
            value = arg.split("=", 1)[1]
        if value is not None and value.strip().lower() in LANGS:
            return value.strip().lower()
    wanted = environ.get("HAKUSHO_LANG", "").strip().lower()
    if wanted in LANGS:
        return wanted
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:  # the first one set decides, as POSIX has it
            return "ja" if value.lower().startswith("ja") else DEFAULT_LANG
    return DEFAULT_LANG


# A process started with HAKUSHO_LANG prints in that language from the start: the command line
# passes its choice to the kernels that run chapter notebooks, so an error raised there reads
# in the user's language too.
_current = {"lang": _chosen if (_chosen := os.environ.get("HAKUSHO_LANG", "").strip().lower()) in LANGS
            else DEFAULT_LANG}


def set_language(lang: str) -> None:
    """The language this process prints in (the command line sets it once, at start)."""
    _current["lang"] = lang if lang in LANGS else DEFAULT_LANG


def language() -> str:
    return _current["lang"]


def pad(value: str, width: int) -> str:
    """``value`` padded with spaces to ``width`` terminal columns (a wide character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in value)
    return value + " " * max(width - used, 0)


def say(value: Any) -> str:
    """A message in the language this process prints in."""
    return text(value, language())


def pydantic_message(err: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with one field, per language: pydantic's own words in English; in Japanese
    our validators' messages as raised, pydantic's common checks from the catalogs
    (``pydantic.<type>``), and pydantic's words only for a check the catalogs do not know."""
    english = str(err.get("msg", ""))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, Exception) and cause.args and isinstance(cause.args[0], Msg):
        return {"en": english, "ja": cause.args[0].tr("ja")}
    key = f"pydantic.{err.get('type')}"
    if has(key):
        ctx = err.get("ctx") or {}
        return {"en": english, "ja": tr(key, "ja", expected=ctx.get("expected", ""), pattern=ctx.get("pattern", ""))}
    return {"en": english, "ja": english}
