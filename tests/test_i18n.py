"""The report catalogs: every key in both languages, matching placeholders, no Japanese in English."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from hakusho import i18n
from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError
from hakusho.i18n import Translator, messages, missing_keys
from hakusho.render.viewmodel import UI_KEYS
from hakusho.text.prose import default_rules

JAPANESE = re.compile(r"[\u203b\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]")
# English messages allowed to hold Japanese: the language switch names the other language in it.
EN_ALLOWED = {"ui.other_language"}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_report_key_exists_in_both_languages() -> None:
    assert missing_keys("report") == {}


def _rule_params() -> dict[str, set[str]]:
    """Per message key, the parameters the headline rules can pass to it."""
    params: dict[str, set[str]] = {}
    rules = default_rules()
    variants = [rules.small_base.headline, rules.small_base.commentary]
    for slide in rules.slides.values():
        for sentence in [slide.headline, *slide.commentary]:
            variants += sentence.variants
    for variant in variants:
        params.setdefault(variant.key, set()).update(variant.params)
    return params


def test_rule_messages_use_only_the_parameters_the_rules_pass() -> None:
    # Each language may leave a parameter out (English need not repeat a label Japanese quotes),
    # but never ask for one the rules do not give.
    unknown = {}
    for key, given in _rule_params().items():
        for lang in i18n.LANGS:
            extra = _fields(messages(lang)[key]) - given
            if extra:
                unknown[(key, lang)] = extra
    assert unknown == {}


def test_other_messages_take_the_same_placeholders_in_both_languages() -> None:
    # The English colophon also names the publisher in Japanese (the allow-listed native name).
    allowed = {"colophon.publisher"}
    ja, en = messages("ja"), messages("en")
    rule_keys = set(_rule_params())
    differ = {key: (_fields(ja[key]), _fields(en[key])) for key in ja
              if key not in rule_keys | allowed and _fields(ja[key]) != _fields(en[key])}
    assert differ == {}


def test_english_catalog_has_no_japanese() -> None:
    leaks = {k: v for k, v in messages("en").items() if JAPANESE.search(v) and k not in EN_ALLOWED}
    assert leaks == {}


def test_japanese_catalog_is_japanese() -> None:
    # Keys whose Japanese text is legitimately Latin only (a symbol, a format, a language name).
    latin = {"ui.page_title", "ui.significant_mark", "ui.other_language", "colophon.publisher",
             "colophon.copyright", "ui.base_value", "method.condition.other",
             "explore.js.n", "explore.js.higher", "explore.js.lower", "explore.js.differs", "explore.js.csv_file"}
    not_japanese = sorted(k for k, v in messages("ja").items() if not JAPANESE.search(v) and k not in latin)
    assert not_japanese == []


def test_keys_used_by_rules_ui_and_slides_exist() -> None:
    keys = set(default_rules().message_keys())
    keys |= {f"ui.{k}" for k in UI_KEYS}
    keys |= {f"slide.{s.id}.title" for ch in default_spec().chapters for s in ch.slides}
    keys |= {f"ui.part.{segment}" for segment in default_spec().segments}
    for lang in i18n.LANGS:
        assert sorted(keys - set(messages(lang))) == [], lang


def test_every_spec_slide_has_rules() -> None:
    slides = {s.id for ch in default_spec().chapters for s in ch.slides}
    assert slides == set(default_rules().slides)


def test_a_missing_key_is_an_error_not_a_fallback() -> None:
    with pytest.raises(BuildError, match="missing from the en report catalog"):
        Translator("en")("slide.no-such-slide.title")


def test_a_key_missing_in_one_language_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for lang in i18n.LANGS:
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        source = i18n.catalog_path(lang, "report").read_text(encoding="utf-8")
        if lang == "en":
            source = source.replace('msgid "ui.contents"\nmsgstr "Contents"\n', "")
        (folder / "report.po").write_text(source, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)  # catalogs are read (and cached) by path
    assert missing_keys("report") == {"en": ["ui.contents"]}
