"""The Quarto book project: valid YAML, both languages complete, every figure and table present."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixtures_build import copy_chapters, fake_chapters, set_label, write_build

from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError
from hakusho.render.quarto import md, render_quarto, run_quarto
from hakusho.render.viewmodel import report_model

LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("quarto")
    chapters = copy_chapters(fake_chapters())
    set_label(chapters, "cs_status", "unknown", "en", "*Don't* know <script>x</script> @ref | [1]")
    build = write_build(root / "build", chapters)
    out = render_quarto(build, root / "project", commentary_root=root / "none")
    models = {lang: report_model(build, lang, commentary_root=root / "none") for lang in ("ja", "en")}
    return {"out": out, "models": models, "build": build}


def test_the_project_is_written_where_asked(project) -> None:
    assert project["out"].name == "project"
    assert (project["out"] / "_quarto.yml").is_file()


def test_yaml_parses_and_names_both_languages(project) -> None:
    out = project["out"]
    base = yaml.safe_load((out / "_quarto.yml").read_text(encoding="utf-8"))
    assert base["project"]["type"] == "book"
    assert base["profile"]["default"] == "ja"
    for lang in ("ja", "en"):
        profile = yaml.safe_load((out / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))
        assert profile["lang"] == lang
        assert profile["book"]["title"] == project["models"][lang]["title"]
        assert profile["project"]["output-dir"] == f"_book/{lang}"


def test_both_languages_list_every_chapter_and_the_back_matter(project) -> None:
    out = project["out"]
    chapters = {}
    for lang in ("ja", "en"):
        profile = yaml.safe_load((out / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))
        files = profile["book"]["chapters"]
        assert all((out / f).is_file() for f in files)
        chapters[lang] = [Path(f).name for f in files]
    spec_chapters = [f"{ch.id}.qmd" for ch in default_spec().chapters]
    assert chapters["ja"] == chapters["en"]
    assert chapters["ja"][0] == "index.qmd" and chapters["ja"][1:1 + len(spec_chapters)] == spec_chapters
    assert chapters["ja"][-1] == "colophon.qmd" and "methodology.qmd" in chapters["ja"]


def test_every_referenced_figure_and_table_exists(project) -> None:
    out = project["out"]
    count = 0
    for qmd in sorted(out.glob("*/*.qmd")):
        for target in LINK.findall(qmd.read_text(encoding="utf-8")):
            assert (qmd.parent / target).resolve().is_file(), (qmd.name, target)
            count += 1
    assert count == 2 * 2 * 53  # per language, each chart's SVG and CSV
    assert len(list((out / "figures").glob("*.svg"))) == 106
    assert len(list((out / "data").glob("*.csv"))) == 53


def test_the_text_is_the_reports(project) -> None:
    for lang in ("ja", "en"):
        model = project["models"][lang]
        for chapter in model["chapters"]:
            text = (project["out"] / lang / f"{chapter['id']}.qmd").read_text(encoding="utf-8")
            assert text.startswith(f"# {md(chapter['number'])} {md(chapter['title'])} {{#{chapter['id']}}}")
            for slide in chapter["slides"]:
                assert f"**{md(slide['headline'])}**" in text, slide["id"]
                assert f"{{#{slide['id']}}}" in text
    index = (project["out"] / "en" / "index.qmd").read_text(encoding="utf-8")
    assert "Synthetic sample data" in index
    front = yaml.safe_load(index.split("---")[1])
    assert front["title"] == "Customer Success White Paper 2025"


def test_labels_are_escaped_for_markdown(project) -> None:
    text = (project["out"] / "en" / "ch2.qmd").read_text(encoding="utf-8")
    assert r"\*Don't\* know \<script\>x\</script\> \@ref \| \[1\]" in text
    # Inside a quoted attribute the label is an attribute value (Pandoc escapes it when writing).
    outside_attributes = re.sub(r'fig-alt="(?:[^"\\]|\\.)*"', "", text)
    assert "<script>" not in outside_attributes


def test_markdown_escaping_keeps_ordinary_punctuation() -> None:
    assert md("86.0% of SaaS respondents (n=257): fine.") == "86.0% of SaaS respondents (n=257): fine."
    assert md("1. first") == r"1\. first"
    assert md("- item") == r"\- item"


def test_run_quarto_says_in_one_line_when_quarto_is_missing(project, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BuildError) as info:
        run_quarto(project["out"])
    assert "Quarto is not installed" in info.value.message and "\n" not in info.value.message


def _fake_quarto(folder: Path, body: str) -> None:
    script = folder / "quarto"
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_run_quarto_renders_each_language_profile(project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    _fake_quarto(tmp_path, f'echo "$@" >> "{log}"\n')
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    run_quarto(project["out"])
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls == [f"render {project['out']} --profile ja", f"render {project['out']} --profile en"]


def test_a_failed_quarto_render_is_one_line(project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_quarto(tmp_path, 'echo "starting" >&2\necho "ERROR: YAMLException: bad indentation" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    with pytest.raises(BuildError, match="quarto render failed for the ja profile: ERROR: YAMLException"):
        run_quarto(project["out"])


def test_an_editors_summary_becomes_the_books_second_page(project, tmp_path: Path) -> None:
    folder = tmp_path / "commentary" / "2025"
    folder.mkdir(parents=True)
    for lang in ("ja", "en"):
        (folder / f"summary.{lang}.md").write_text(
            "---\nsummary:\n  - ${cs_status.doing.pct}\n---\n\n- **one**\n- two\n", encoding="utf-8")
    out = render_quarto(project["build"], tmp_path / "q", commentary_root=tmp_path / "commentary")
    for lang in ("ja", "en"):
        profile = yaml.safe_load((out / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))
        assert profile["book"]["chapters"][1] == f"{lang}/summary.qmd"
        text = (out / lang / "summary.qmd").read_text(encoding="utf-8")
        assert "1. 86.0%" in text and "- **one**" in text and "- two" in text
