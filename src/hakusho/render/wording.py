"""Catalog look-ups and number formatting for one language: what every part of the view model
uses to turn the build's language-neutral documents into the words of the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hakusho.analysis.contingency import TEST_SLUGS
from hakusho.analysis.cross_stats import INDEPENDENCE_TEST
from hakusho.errors import BuildError
from hakusho.i18n import LANGS, Translator
from hakusho.text import numbers

# Every significance test the outputs name, and the catalog key of its name.
TEST_KEYS = {**{name: f"test.{slug}" for name, slug in TEST_SLUGS.items()}, INDEPENDENCE_TEST: "test.chi2_independence"}


def other_lang(lang: str) -> str:
    """The report's other language (the link in the page's corner)."""
    return next(x for x in LANGS if x != lang)


class Wording:
    """Catalog look-ups and number formatting for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.t = Translator(lang)

    def __call__(self, key: str, **params: object) -> str:
        return self.t(key, **params)

    def join(self, items: Sequence[str]) -> str:
        return self.t("ui.list_separator").join(items)

    def label(self, obj: Mapping[str, str]) -> str:
        return str(obj[self.lang])


def test_name(test: str | None, tx: Wording) -> str:
    """A test's name in the page's language (an unknown test is an error, never a guess)."""
    if test not in TEST_KEYS:
        raise BuildError(f"unknown significance test '{test}' (known: {', '.join(TEST_KEYS)})")
    return tx(TEST_KEYS[test])


def period(info: Mapping[str, Any], lang: str) -> str:
    return numbers.date_range(info["period_start"], info["period_end"], lang)
