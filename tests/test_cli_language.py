"""The command line in Japanese and in English: the same commands — errors included — run as a
person runs them, with ``LANG`` (or ``--ui-lang`` / ``HAKUSHO_LANG``) choosing the language.

Japanese output may contain English only where it quotes something: paths and file names,
option names, quoted values, the codebook's ids, keys and column names, the names of formats and
of the tools the command line talks about. Everything else must be Japanese, and every error
must keep its location (file, row, respondent, column, value) in both languages."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from hakusho.survey.codebook import load_codebook

ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
# Words that are names, not prose: formats, tools, metavars and the values options take.
NAMES = {
    "hakusho", "SaaS", "CSV", "JSON", "HTML", "PDF", "Excel", "YAML", "TOML", "UTF", "CP932", "Shift_JIS", "EUC",
    "BOM", "KPI", "KPIs", "Quarto", "Jupyter", "SPSS", "NPS", "OK", "OPTIONS", "COMMAND", "ARGS", "VAR", "VALUE",
    "str", "path", "int", "range", "bool", "none", "saas", "non_saas", "all", "html", "pdf", "xlsx", "quarto",
    "internal", "includes", "excludes", "not", "table", "csv", "json", "text", "nps", "mrr", "customer_id",
    "month", "YYYY", "ledger", "breakdown", "asked", "doing", "planning", "not_doing", "unknown", "summary",
    "wave", "compare", "languages", "formats", "period_start", "period_end", "survey", "chapter", "lang",
    "HAKUSHO_LANG", "LANG", "CPU", "Ctrl",
}
# The command names themselves.
COMMAND_NAMES = {"init", "lint", "commentary", "diff", "kpi", "synthesize", "crosswalk", "build", "verify",
                 "notebook", "validate", "edition", "new", "release", "check", "preview"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-lang")
    run(root, "en", "init", "白書", "--sample")
    project = root / "白書"
    rows = list(csv.reader((project / "data/raw/2025/responses.csv").open(encoding="utf-8")))
    header = rows[0]
    rows[5][header.index("Q9")] = "7"  # a code out of range
    rows[7][0] = rows[6][0]  # a repeated respondent id
    bad = project / "broken" / "2025"
    bad.mkdir(parents=True)
    (bad / "responses.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    (project / "notes").mkdir()
    (project / "notes" / "keep.txt").write_text("mine\n", encoding="utf-8")
    return project


# The project is the one the command runs in (the suite points HAKUSHO_PROJECT at the repository).
UNSET = ("LANG", "LC_ALL", "LC_MESSAGES", "HAKUSHO_LANG", "HAKUSHO_PROJECT")


def _environment(lang: str, env: dict[str, str]) -> dict[str, str]:
    return {"LANG": "ja_JP.UTF-8" if lang == "ja" else "C.UTF-8", "COLUMNS": "120", **env}


def run(cwd: Path, lang: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: its own process, the language from its environment."""
    variables = {k: v for k, v in os.environ.items() if k not in UNSET}
    variables.update(_environment(lang, env))
    return subprocess.run([sys.executable, "-m", "hakusho.cli", *args], cwd=cwd, env=variables, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``run`` in this process (the same entry point, environment and working directory), for
    the many commands whose own process would add only its start-up to the check; the language
    is chosen from the environment on every call, as at a process's start."""
    from hakusho import cli

    def call(cwd: Path, lang: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        with monkeypatch.context() as mp:
            for name in UNSET:
                mp.delenv(name, raising=False)
            for name, value in _environment(lang, env).items():
                mp.setenv(name, value)
            mp.chdir(cwd)
            capsys.readouterr()
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # what the interpreter would turn into the exit status
                code = exc.code if isinstance(exc.code, int) else 1
            out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return call


@cache
def _ids() -> frozenset[str]:
    """Ids, columns and keys of both waves' codebooks, and the words their Japanese labels quote
    (NRR, ARR …): data the command line shows as it is (read once)."""
    out: set[str] = set()
    for wave in ("2025", "2023"):
        path = Path(__file__).resolve().parents[1] / "data" / "codebook" / f"{wave}.yml"
        book = load_codebook(path)
        out.add(book.id_column)
        for q in book.questions:
            out |= {q.id, q.column, *q.choice_keys}
        out |= set(ENGLISH_WORD.findall(" ".join(_japanese(yaml.safe_load(path.read_text(encoding="utf-8"))))))
    return frozenset(out)


def _japanese(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [str(node["ja"])] if "ja" in node else []
        return own + [t for v in node.values() for t in _japanese(v)]
    if isinstance(node, list):
        return [t for v in node for t in _japanese(v)]
    return []


def english_left(text: str, ids: frozenset[str], typed: list[str] = ()) -> list[str]:
    """The English words of ``text`` that are not quotations, paths, options, ids, names or
    what the person typed (``typed``: the command's arguments)."""
    ids = ids | COMMAND_NAMES | set(ENGLISH_WORD.findall(" ".join(typed)))
    text = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", " ", text)  # quoted values and commands
    text = re.sub(r"\S*[/\\]\S*|\S+\.(csv|yml|yaml|toml|json|md|txt|xlsx|pdf|sav|ipynb)\b", " ", text)  # paths
    text = re.sub(r"--?[a-z][\w-]*|<[^>]*>|\$\{[^}]*\}", " ", text)  # options, placeholders, references
    return [w for w in ENGLISH_WORD.findall(text) if w not in ids and w not in NAMES]


# Commands a person runs, errors included; each with the exit code it must end with.
COMMANDS = [
    (["--help"], 0),
    (["build", "--help"], 0),
    (["validate", "--help"], 0),
    (["edition", "new", "--help"], 0),
    (["validate", "data/raw/2025"], 0),
    (["validate", "data/raw/2099"], 2),
    (["validate", "broken/2025"], 2),
    (["validate"], 2),
    (["build", "--nope"], 2),
    (["build", "--filter", "employees"], 2),
    (["build", "--jobs", "abc"], 2),
    (["build", "--lang", "fr"], 4),
    (["frob"], 2),
    (["lint-commentary", "--figures", "nowhere"], 4),
    (["diff", "nowhere", "nothing"], 4),
    (["preview", "--help"], 0),
    (["build", "--out", "data/raw"], 5),  # the output guard: what the place is, in words
    (["build", "--out", "notes"], 5),
    (["crosswalk", "2023", "2025"], 0),
    (["crosswalk", "2025", "2099"], 2),
    (["verify", "nowhere"], 4),
    (["edition", "check", "2025"], 4),
]


def test_init_refuses_a_folder_that_is_not_empty(project: Path) -> None:
    ja, en = run(project.parent, "ja", "init", project.name), run(project.parent, "en", "init", project.name)
    assert ja.returncode == en.returncode == 2
    assert "is not empty" in en.stderr and "は空ではありません" in ja.stderr
    # The message names what the folder holds: file names, quoted as they are.
    assert english_left(ja.stderr, _ids(), [project.name, *(p.name for p in project.iterdir())]) == []


@pytest.mark.parametrize(("args", "code"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_the_same_command_in_both_languages(project: Path, invoke, args: list[str], code: int) -> None:
    ja, en = invoke(project, "ja", *args), invoke(project, "en", *args)
    assert (ja.returncode, en.returncode) == (code, code), (ja.stderr, en.stderr)
    assert "Traceback" not in ja.stderr + en.stderr
    japanese = ja.stdout + ja.stderr
    assert english_left(japanese, _ids(), args) == [], japanese
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", japanese)
    assert not re.search(r"[\u3040-\u30ff]", en.stdout + en.stderr)


def test_errors_keep_their_location_in_japanese(project: Path) -> None:
    ja, en = run(project, "ja", "validate", "broken/2025"), run(project, "en", "validate", "broken/2025")
    assert "row 6, respondent R0005, column Q9: code out of range (value '7'" in en.stderr
    assert "broken/2025/responses.csv、6行目、回答者 R0005、列 Q9：選択肢の番号が範囲外です（値 '7'" in ja.stderr
    assert "8行目、回答者 R0006、列 SampleID：回答者IDが重複しています（値 'R0006'" in ja.stderr
    assert ja.stderr.startswith("エラー：") and en.stderr.startswith("error: ")


@pytest.mark.slow
def test_a_failed_filter_is_reported_in_japanese_with_the_valid_variables(project: Path) -> None:
    ja = run(project, "ja", "build", "--quiet", "--chapters", "ch1", "--filter", "foo", "==", "1")
    en = run(project, "en", "build", "--quiet", "--chapters", "ch1", "--filter", "foo", "==", "1")
    assert ja.returncode == en.returncode == 3
    assert "filter: unknown variable 'foo'" in en.stderr
    assert "絞り込み：'foo' という項目はありません" in ja.stderr
    assert "（値 'foo'。正しくは 次のいずれか：route" in ja.stderr
    assert english_left(ja.stdout + ja.stderr, _ids(), ["foo"]) == []


@pytest.mark.parametrize(("how", "expected"), [
    ({"args": ["--ui-lang", "ja"], "lang": "en"}, "ja"),
    ({"args": ["--ui-lang", "en"], "lang": "ja"}, "en"),
    ({"args": [], "lang": "en", "env": {"HAKUSHO_LANG": "ja"}}, "ja"),
    ({"args": [], "lang": "ja", "env": {"LC_ALL": "C"}}, "en"),
])
def test_option_and_environment_choose_the_language(project: Path, how: dict, expected: str) -> None:
    result = run(project, how["lang"], *how["args"], "validate", "data/raw/2099", **how.get("env", {}))
    assert result.returncode == 2
    assert result.stderr.startswith("エラー：" if expected == "ja" else "error: ")


def test_every_command_and_option_has_help_in_both_languages() -> None:
    from typer.main import get_command

    from hakusho.cli import app
    from hakusho.messages import catalog
    from hakusho.ui import command_tree, help_key

    keys = []
    for path, cmd in command_tree(get_command(app)):
        keys.append(help_key(path))
        keys += [help_key(path, p.name) for p in cmd.params if p.name != "help"]
    assert len(keys) > 80
    for lang in ("ja", "en"):
        assert [k for k in keys if k not in catalog(lang)] == [], lang

