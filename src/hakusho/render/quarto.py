"""The report as a Quarto book project, for editors who carry it on in Quarto.

``render_quarto(build_dir, out_dir)`` writes, into ``out_dir``, one book with a profile per
language — ``_quarto.yml`` (shared settings, default profile ``ja``), ``_quarto-ja.yml`` and
``_quarto-en.yml`` (title, language, chapter list, output folder) — then per language an
``index.qmd``, the editors' summary (when written), one ``.qmd`` per chapter, the special-analysis
part (``cross.qmd``, when the build ran the cross analysis), the methodology, the glossary (when the
build has one) and the colophon, with the chart SVGs under ``figures/`` and the data behind them
under ``data/``.
The text is the view model's, the same as the HTML page and the deck; the ``.qmd`` files come from
the Jinja2 templates in ``templates/quarto/`` with Markdown escaping (a label is text, never
markup, and ``@`` never starts a citation).

Quarto itself is not a dependency: :func:`run_quarto` renders the project when a ``quarto``
executable is on PATH (``hakusho build --engine quarto``) and says in one line when it is not.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from hakusho import config
from hakusho.errors import BuildError
from hakusho.i18n import LANGS
from hakusho.messages import Msg
from hakusho.render.viewmodel import load_build, report_model

DEFAULT_PROFILE = "ja"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~^$@])")
BLOCK_START = re.compile(r"^(\s*)([-+:]|\d+[.)])(?=\s|$)")


def md(text: object) -> str:
    """Text for Markdown: characters Pandoc reads as inline markup are backslash-escaped, and so is a
    leading list or definition marker ("1.", "-", ":"); ordinary punctuation stays readable."""
    escaped = MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
    # A backslash escapes punctuation only, so "1." becomes "1\." (the digit stays as it is).
    return BLOCK_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def attr(text: object) -> str:
    """Text for a double-quoted attribute or YAML string: backslashes and quotes escaped."""
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def cell(text: object) -> str:
    """Text for a pipe-table cell (Markdown-escaped, so ``|`` cannot end the cell)."""
    return md(text) if str(text) else " "


def anchor(identifier: object) -> str:
    """A Pandoc heading attribute giving the section the same id as in the HTML page."""
    return "{#" + str(identifier) + "}"


def runs(items: Iterable[Mapping[str, Any]]) -> str:
    """The editors' emphasis runs as Markdown (their text escaped, their emphasis kept)."""
    out = []
    for run in items:
        text = md(run["text"])
        if run.get("strong"):
            text = f"**{text}**"
        if run.get("em"):
            text = f"*{text}*"
        out.append(text)
    return "".join(out)


def quarto_environment() -> Environment:
    """Jinja2 for Markdown: no HTML autoescape (the filters escape for Markdown), strict undefined.
    Templates are the project's own where it has them, else the package's."""
    return _environment(tuple(config.search_path("templates/quarto")))


@cache
def _environment(folders: tuple[Path, ...]) -> Environment:
    env = Environment(loader=FileSystemLoader([str(f) for f in folders]), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters.update(md=md, attr=attr, cell=cell, runs=runs, anchor=anchor)
    return env


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=1000)


def _copy_assets(build_dir: Path, out: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Chart SVGs to figures/ and tables to data/; returns their paths relative to a language folder."""
    build = load_build(build_dir)
    figures: dict[str, str] = {}
    tables: dict[str, str] = {}
    for chart_id, chart in sorted(build.charts.items()):
        for lang in LANGS if chart.get("svg") else ():  # a chart with nobody in its base has no SVG
            source = build.chart_file(chart_id, chart["svg"][lang])
            name = f"{chart_id}.{lang}.svg"
            (out / "figures").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out / "figures" / name)
        table = build.chart_file(chart_id, chart["table"])
        if not table.is_file():
            raise BuildError(f"chart {chart_id}: {chart['table']} is missing from the build")
        (out / "data").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, out / "data" / f"{chart_id}.csv")
        if chart.get("svg"):
            figures[chart_id] = f"../figures/{chart_id}.{{lang}}.svg"
        tables[chart_id] = f"../data/{chart_id}.csv"
    for cross in (build.cross or {}).get("crosses", []):
        cross_id = cross["id"]
        for lang in LANGS:
            (out / "figures").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(build.cross_file(cross["svg"][lang]), out / "figures" / f"{cross_id}.{lang}.svg")
        table = build.cross_file(cross["table"])
        if not table.is_file():
            raise BuildError(f"cross {cross_id}: {cross['table']} is missing from the build")
        (out / "data").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, out / "data" / f"{cross_id}.csv")
        figures[cross_id] = f"../figures/{cross_id}.{{lang}}.svg"
        tables[cross_id] = f"../data/{cross_id}.csv"
    return figures, tables


def _language_files(model: dict[str, Any], out: Path, figures: Mapping[str, str],
                    tables: Mapping[str, str]) -> list[str]:
    """Write one language's .qmd files; returns them in reading order (paths relative to ``out``)."""
    env = quarto_environment()
    lang = model["lang"]
    figs = {cid: path.replace("{lang}", lang) for cid, path in figures.items()}
    files: list[tuple[str, str]] = [("index.qmd", env.get_template("index.qmd.j2").render(r=model))]
    if model.get("summary"):
        files.append(("summary.qmd", env.get_template("summary.qmd.j2").render(r=model)))
    for chapter in model["chapters"]:
        text = env.get_template("chapter.qmd.j2").render(r=model, chapter=chapter, figures=figs, tables=tables)
        files.append((f"{chapter['id']}.qmd", text))
    if model.get("cross"):
        text = env.get_template("cross.qmd.j2").render(r=model, figures=figs, tables=tables)
        files.append((f"{model['cross']['id']}.qmd", text))
    files.append(("methodology.qmd", env.get_template("methodology.qmd.j2").render(r=model)))
    if model.get("glossary"):
        files.append(("glossary.qmd", env.get_template("glossary.qmd.j2").render(r=model)))
    files.append(("colophon.qmd", env.get_template("colophon.qmd.j2").render(r=model)))
    for name, text in files:
        _write(out / lang / name, text)
    return [f"{lang}/{name}" for name, _ in files]


def render_quarto(build_dir: Path | str, out_dir: Path | str, *, commentary_root: Path | None = None) -> Path:
    """Write the Quarto book project (both languages) into ``out_dir``; returns ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures, tables = _copy_assets(Path(build_dir), out)
    project = {
        "project": {"type": "book"},
        "profile": {"default": DEFAULT_PROFILE, "group": [list(LANGS)]},
        "format": {"html": {"theme": "cosmo", "toc": True, "embed-resources": False}},
    }
    _write(out / "_quarto.yml", _yaml(project))
    for lang in LANGS:
        model = report_model(build_dir, lang, commentary_root=commentary_root)
        chapters = _language_files(model, out, figures, tables)
        profile = {
            "lang": lang,
            "project": {"output-dir": f"_book/{lang}"},
            "book": {"title": model["title"], "subtitle": model["part"], "author": model["publisher"],
                     "chapters": chapters},
        }
        _write(out / f"_quarto-{lang}.yml", _yaml(profile))
    return out


def run_quarto(project_dir: Path | str) -> None:
    """Render the project with the ``quarto`` on PATH, once per language profile.

    Raises BuildError with a one-line message when Quarto is missing or a render fails.
    """
    project = Path(project_dir)
    quarto = shutil.which("quarto")
    if quarto is None:
        raise BuildError(Msg("render.quarto_missing", name=project.name))
    for lang in LANGS:
        done = subprocess.run([quarto, "render", str(project), "--profile", lang],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            last = lines[-1].strip() if lines else f"exit status {done.returncode}"
            raise BuildError(Msg("render.quarto_failed", lang=lang, detail=last))
