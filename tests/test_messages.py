"""The command line's messages: every key in both languages, extracted from the source with Babel;
messages that stay English as text and print in Japanese; the choice of language; located
problems that keep their location in either language."""

from __future__ import annotations

import contextlib
import io
import pickle
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from hakusho import messages
from hakusho.errors import DataError, Problem
from hakusho.messages import Listed, Msg, catalog, choose_language, tr

SOURCE = Path(messages.__file__).resolve().parent
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
# Keys built from data rather than written out (a question type, a pydantic error type, a command
# or option name, a word of the libraries the command line uses): the extraction cannot see them,
# so they are named here by family.
DYNAMIC = re.compile(r"^(type|pydantic|validate\.what|progress\.(stage|step|note)|help|crosswalk\.status|"
                     r"cli\.(panel|help|word))\.")
# Japanese messages that are only punctuation, symbols or placeholders.
SYMBOLS_ONLY = {"list.separator", "where.separator", "problem.at", "problem.value", "filter.source.other",
                "list.newline", "list.semicolon", "diff.text", "diff.where", "lint.finding", "cli.os_error",
                "cli.os_error_at",
                "codebook.at_field", "list.and", "list.or"}


def _used_keys() -> set[str]:
    keywords = {"Msg": None, "tr": None, "Listed": (2,)}  # Listed(items, key): the key is the second argument
    with contextlib.redirect_stderr(io.StringIO()):  # Babel notes every f-string argument it skips
        found = list(extract_from_dir(str(SOURCE), method_map=[("**.py", "python")], keywords=keywords))
    return {message for _, _, message, _, _ in found if isinstance(message, str) and "." in message}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_the_code_uses_is_in_both_catalogs_and_none_is_left_over() -> None:
    used = _used_keys()
    assert len(used) > 100
    for lang in messages.LANGS:
        assert sorted(used - set(catalog(lang))) == [], lang
    unused = {k for k in catalog("en") if k not in used and not DYNAMIC.match(k)}
    assert sorted(unused) == []
    assert set(catalog("ja")) == set(catalog("en"))


def test_both_languages_take_the_same_placeholders() -> None:
    ja, en = catalog("ja"), catalog("en")
    assert {k: _fields(v) for k, v in ja.items() if _fields(v) != _fields(en[k])} == {}


def test_japanese_messages_are_japanese_and_english_ones_are_not() -> None:
    assert [k for k, v in catalog("en").items() if JAPANESE.search(v)] == []
    assert sorted(k for k, v in catalog("ja").items() if not JAPANESE.search(v) and k not in SYMBOLS_ONLY) == []


def test_a_message_is_english_text_and_prints_in_japanese() -> None:
    msg = Msg("filter.unknown_variable", source=Msg("filter.source.filter"), name="foo")
    assert msg == "filter: unknown variable 'foo'" and isinstance(msg, str)
    assert msg.tr("ja") == "絞り込み：'foo' という項目はありません"
    assert pickle.loads(pickle.dumps(msg)).tr("ja") == msg.tr("ja")
    listed = Msg("validate.asked.when", column="Q19", routing=Listed(["a == 1", "b == 2"], "list.and"))
    assert listed == "Q19 is asked when a == 1 and b == 2"
    assert listed.tr("ja") == "Q19 は a == 1 かつ b == 2 のときに聞く設問"
    assert tr("filter.expected.one_of", "ja", values={"ja": "1人、10人", "en": "1, 10"}) == "1人、10人 のいずれか"


def test_a_problem_keeps_file_row_respondent_column_and_value_in_either_language() -> None:
    problem = Problem(Msg("validate.code_out_of_range"), file="data/raw/2025/responses.csv", row=6,
                      respondent="R0005", column="Q9", value="7", expected="1–4")
    assert str(problem) == ("data/raw/2025/responses.csv, row 6, respondent R0005, column Q9: code out of range "
                            "(value '7'; expected 1–4)")
    ja = problem.render("ja")
    assert ja == ("data/raw/2025/responses.csv、6行目、回答者 R0005、列 Q9："
                  "選択肢の番号が範囲外です（値 '7'。正しくは 1–4）")
    error = DataError(Msg("validate.mismatch.many", path="x.csv", wave="2025", n=25), [problem] * 25)
    lines = error.report(lang="ja").splitlines()
    assert lines[0] == "x.csv がコードブック 2025 と合いません（25件）" and lines[-1] == "  …ほかに5件"
    assert len(lines) == 22 and error.report().splitlines()[-1] == "  … and 5 more problem(s)"


@pytest.mark.parametrize(("argv", "environ", "expected"), [
    ([], {}, "en"),
    ([], {"LANG": "ja_JP.UTF-8"}, "ja"),
    ([], {"LANG": "C.UTF-8"}, "en"),
    ([], {"LC_ALL": "en_US.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),  # LC_ALL overrides LANG
    ([], {"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
    ([], {"HAKUSHO_LANG": "ja", "LC_ALL": "C"}, "ja"),
    (["--ui-lang", "en", "build"], {"HAKUSHO_LANG": "ja"}, "en"),
    (["--ui-lang=ja", "validate"], {"LANG": "en_US.UTF-8"}, "ja"),
    (["build", "--", "--ui-lang", "ja"], {}, "en"),
    (["--ui-lang", "fr"], {"LANG": "ja_JP.UTF-8"}, "ja"),  # an unknown value: the next source decides
])
def test_the_language_follows_option_environment_and_locale(argv, environ, expected) -> None:
    assert choose_language(argv, environ) == expected
