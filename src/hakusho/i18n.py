"""Message catalogs: every visible string of the report that is not a codebook label.

Catalogs are gettext ``.po`` files under ``hakusho/locale/<lang>/LC_MESSAGES/<domain>.po``; a
project replaces one by placing its own at ``locale/<lang>/LC_MESSAGES/<domain>.po``. Read
with Babel (no compiled ``.mo`` files to keep in sync). Message ids are stable keys such as
``slide.ch2-status.headline``; both languages carry every key, and a missing key is an error,
never a silent fallback to the key or to the other language.

Placeholders use ``{name}`` (``str.format`` fields), filled with values already formatted for the
language by :mod:`hakusho.text.numbers`. The disclosure thresholds are never typed into a
message: ``{indicative_below}`` and ``{suppress_below}`` are filled in every message from
:mod:`hakusho.analysis.disclosure`, the one place they are defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hakusho.errors import BuildError
from hakusho.messages import Msg

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGS = ("ja", "en")


def catalog_path(lang: str, domain: str) -> Path:
    """The catalog a build reads: the project's own copy when it has one, else the package's."""
    from hakusho import project

    try:
        root: Path | None = project.current().root
    except project.NoProjectError:
        root = None
    return _catalog_in(root, LOCALE_DIR, lang, domain)


@cache
def _catalog_in(root: Path | None, locale_dir: Path, lang: str, domain: str) -> Path:
    rel = Path(lang) / "LC_MESSAGES" / f"{domain}.po"
    own = root / "locale" / rel if root is not None else None
    return own if own is not None and own.is_file() else locale_dir / rel


def messages(lang: str, domain: str = "report") -> dict[str, str]:
    """All translated messages of one catalog, keyed by message id (empty strings dropped)."""
    if lang not in LANGS:
        raise BuildError(Msg("options.unknown", what=Msg("options.what.language"), name=lang, valid=", ".join(LANGS)))
    return _read_catalog(catalog_path(lang, domain), lang, domain)


@cache
def _read_catalog(path: Path, lang: str, domain: str) -> dict[str, str]:
    if not path.is_file():
        raise BuildError(Msg("i18n.no_catalog", name=path.name, lang=lang, domain=domain))
    from babel.messages.pofile import read_po  # imported with the first catalog: a no-op build reads none

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=domain)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def missing_keys(domain: str = "report") -> dict[str, list[str]]:
    """Keys present in one language's catalog but not the other's, per language."""
    keys = {lang: set(messages(lang, domain)) for lang in LANGS}
    every = set().union(*keys.values())
    return {lang: sorted(every - keys[lang]) for lang in LANGS if every - keys[lang]}


@cache
def catalog_constants() -> dict[str, object]:
    """Values every message may quote without being passed them: the disclosure thresholds."""
    from hakusho.analysis import disclosure  # imported late: disclosure writes its notes through this module

    return {"indicative_below": disclosure.INDICATIVE_BELOW, "suppress_below": disclosure.SUPPRESS_BELOW}


@dataclass(frozen=True)
class Translator:
    """``t("key", n="257")`` for one language and domain; unknown keys raise BuildError."""

    lang: str
    domain: str = "report"

    def __call__(self, key: str, **params: object) -> str:
        table = messages(self.lang, self.domain)
        try:
            text = table[key]
        except KeyError:
            raise BuildError(Msg("i18n.missing_key", key=key, lang=self.lang, domain=self.domain)) from None
        constants = catalog_constants()
        if not params and not any("{" + name + "}" in text for name in constants):
            return text
        try:
            return text.format(**{**constants, **params})
        except (KeyError, IndexError) as exc:
            raise BuildError(Msg("i18n.placeholder", key=key, lang=self.lang, name=exc)) from None

    def has(self, key: str) -> bool:
        return key in messages(self.lang, self.domain)


def translator(lang: str, domain: str = "report") -> Translator:
    messages(lang, domain)  # fail early on a missing catalog
    return Translator(lang, domain)
