"""A tiny project for the build tests: three quick chapter notebooks, fake renderers, fake data.

The notebooks follow the parameters contract and write the chapter outputs the contract lays out
(chapter.json, figures.json, tables/, charts/), computed from the raw data and the codebook so
that changing either changes them — in a fraction of a second and without pandas. The renderers
turn the build folder into an ``index.html`` and a "PDF" that depend on every chapter, the
templates and the catalogs. Nothing here is the real report: the tests check the build's
machinery (caching, parallelism, atomic publishing, reproducibility), not its content.

Slow points for the kill tests are switched on by environment variables, read by the notebooks,
renderers and validation themselves: ``FAKE_SLOW_CHAPTER=ch2`` makes that chapter touch
``$FAKE_MARKER`` and sleep; ``FAKE_SLOW_RENDER=1`` does the same in a renderer and
``FAKE_SLOW_VALIDATE=1`` in the validation stage (which runs when not cached: ``--force``).

Run as a script it is the ``hakusho`` command with the fakes installed (for subprocess tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

REAL_ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = Path(__file__).resolve().parent
CHAPTERS = {"ch1": "01_one", "ch2": "02_two", "ch3": "03_three"}
PARTS = {"cross": "07_cross"}  # a notebook that is not a chapter of the spec

PARAMETERS = '''chapter = "{chapter}"
wave = "2025"
compare_wave = "2023"
segment = "saas"
filters = []
allow_small_base = False
lang = "ja"
data_dir = ""
codebook_dir = ""
output_dir = ""'''

CHAPTER_CODE = '''\
raw_root = Path(data_dir) if data_dir else config.RAW_DIR
books = Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR
rows = (raw_root / wave / "responses.csv").read_text(encoding="utf-8").splitlines()[1:]
kept = [r for r in rows if all(str(v) in r.split(",") for _, _, v in filters)]
book = hashlib.sha256((books / f"{wave}.yml").read_bytes()).hexdigest()[:12]
out = Path(output_dir)
(out / "tables").mkdir(parents=True, exist_ok=True)
(out / "charts").mkdir(parents=True, exist_ok=True)
text = " & ".join(f"{a} {b} {c}" for a, b, c in filters)
doc = {"chapter": chapter, "title": {"ja": f"章 {chapter} {book}", "en": f"Chapter {chapter} {book}"}, "wave": wave,
       "compare_wave": compare_wave, "segment": segment, "filters": filters, "filter_text": text,
       "filter_label": {"ja": text, "en": text}, "n_total": len(rows), "n_segment": len(kept), "slides": []}
(out / "chapter.json").write_text(json.dumps(doc, sort_keys=True, ensure_ascii=False), encoding="utf-8")
figure = {"value": len(kept), "kind": "n", "base": len(kept), "disclosure": "ok"}
(out / "figures.json").write_text(json.dumps({chapter + ".base": figure}), encoding="utf-8")
table = f"chart_id,count\\n{chapter}_count,{len(kept)}\\n"
(out / "tables" / f"{chapter}_count.csv").write_text(table, encoding="utf-8")
for lang in ("ja", "en"):
    (out / "charts" / f"{chapter}_count.{lang}.svg").write_text(f"<svg>{lang} {len(kept)}</svg>", encoding="utf-8")
if os.environ.get("FAKE_SLOW_CHAPTER") == chapter:
    Path(os.environ["FAKE_MARKER"]).write_text(f"running {os.getpid()}", encoding="utf-8")
    time.sleep(120)
if os.environ.get("FAKE_FAIL_CHAPTER") == chapter:
    raise ValueError("the fake chapter was told to fail")
print(f"{chapter}: {len(kept)} of {len(rows)} respondents")
doc["n_segment"]'''


def chapter_notebook(chapter: str):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook()
    params = new_code_cell(PARAMETERS.format(chapter=chapter))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        new_markdown_cell(f"# Fake chapter {chapter}"),
        params,
        new_code_cell("import hashlib\nimport json\nimport os\nimport time\nfrom pathlib import Path\n\n"
                      "from hakusho import config"),
        new_code_cell(CHAPTER_CODE),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{chapter}-{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def responses(n: int = 40) -> str:
    lines = ["id,size,route"] + [f"r{i:03d},{i % 4},{'sns' if i % 3 else 'panel'}" for i in range(n)]
    return "\n".join(lines) + "\n"


def make_project(root: Path) -> Path:
    """Write the fake project under ``root`` (returned)."""
    import nbformat

    root = Path(root)
    (root / "notebooks").mkdir(parents=True)
    for chapter, stem in {**CHAPTERS, **PARTS}.items():
        nbformat.write(chapter_notebook(chapter), root / "notebooks" / f"{stem}.ipynb")
    (root / "notebooks" / "README.md").write_text("not a notebook\n", encoding="utf-8")
    for wave, n in (("2025", 40), ("2023", 30)):
        (root / "data" / "raw" / wave).mkdir(parents=True)
        (root / "data" / "raw" / wave / "responses.csv").write_text(responses(n), encoding="utf-8")
    shutil.copytree(REAL_ROOT / "data" / "codebook", root / "data" / "codebook")
    (root / "data" / "commentary" / "2025").mkdir(parents=True)
    (root / "data" / "commentary" / "2025" / "ch1.en.md").write_text(
        "---\nsummary:\n  - A point.\n---\nA note.\n", encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "page.txt").write_text("<title>{lang}</title>\n", encoding="utf-8")
    (root / "report").mkdir()
    (root / "hakusho.toml").write_text('name = "fake"\nwave = "2025"\ncompare = ["2023"]\n', encoding="utf-8")
    return root


def prepare(base: Path) -> Path:
    """``base/proj`` (the project) and ``base/pkg/hakusho``, a snapshot of the package.

    Builds hash the snapshot instead of the package itself, so that edits elsewhere in the
    checkout while the tests run do not count as changes, and tests can edit it.
    """
    from hakusho import config

    make_project(Path(base) / "proj")
    package = Path(base) / "pkg" / "hakusho"
    shutil.copytree(config.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__", "defaults"))
    # The snapshot ships no default notebooks or templates: the fake project's own are all there is.
    for folder in ("notebooks", "templates"):
        (package / "defaults" / folder).mkdir(parents=True)
    return Path(base)


def point(monkeypatch, base: Path) -> None:
    """Point the package at a prepared fake project, here and in the kernels it starts."""
    from hakusho import config, project
    from hakusho.pipeline import build

    root = Path(base) / "proj"
    monkeypatch.setenv("HAKUSHO_PROJECT", str(root))
    monkeypatch.setenv("FAKE_RENDER_LOG", str(Path(base) / "render.log"))
    monkeypatch.setattr(config, "PACKAGE_DIR", Path(base) / "pkg" / "hakusho")
    monkeypatch.setattr(project, "PACKAGE_DIR", Path(base) / "pkg" / "hakusho")
    install_fakes(monkeypatch.setitem, monkeypatch.setattr, build)


def script_env(base: Path, **extra: str) -> dict[str, str]:
    """Environment for running this file as the ``hakusho`` command on a prepared project."""
    env = dict(os.environ)
    env.update({"HAKUSHO_PROJECT": str(Path(base) / "proj"), "FAKE_PACKAGE_DIR": str(Path(base) / "pkg" / "hakusho"),
                "FAKE_RENDER_LOG": str(Path(base) / "render.log"), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under ``root`` — files by content, symlinks by target, folders as such,
    hidden ones included — except paths starting with one of ``skip``: what a test compares to
    prove that a refused or interrupted command touched nothing."""
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if rel.startswith(skip):
                continue
            if path.is_symlink():
                seen[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                seen[rel] = "dir"
            else:
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


# ------------------------------------------------------------------------------ fakes


def fake_validate(plan) -> None:
    """Stands in for the real validation: a raw file containing BAD is invalid data."""
    from hakusho import config
    from hakusho.errors import DataError, Problem
    from hakusho.messages import Msg

    if os.environ.get("FAKE_SLOW_VALIDATE"):
        Path(os.environ["FAKE_MARKER"]).write_text(f"validating {os.getpid()}", encoding="utf-8")
        time.sleep(120)
    raw_root = Path(plan.options.data_dir) if plan.options.data_dir else config.RAW_DIR
    for wave in (plan.options.wave, plan.options.compare_wave):
        path = raw_root / wave / "responses.csv"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "BAD" in line:
                raise DataError(Msg("validate.mismatch.one", path=path.name, wave=wave, n=1),
                                [Problem(Msg("validate.not_a_code"), file=path.name, row=number, column="size",
                                         value="BAD", expected="0-3")])
    _log("validate")


def _log(what: str) -> None:
    log = os.environ.get("FAKE_RENDER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(what + "\n")


def _slow() -> None:
    if os.environ.get("FAKE_SLOW_RENDER"):
        Path(os.environ["FAKE_MARKER"]).write_text(f"rendering {os.getpid()}", encoding="utf-8")
        time.sleep(120)


def _summary(build_dir: Path) -> str:
    from hakusho import config

    chapters = sorted((Path(build_dir) / "chapters").iterdir())
    parts = [(Path(build_dir) / "survey.json").read_text(encoding="utf-8")]
    for ch in chapters:
        parts.append((ch / "chapter.json").read_text(encoding="utf-8"))
    parts.append((config.TEMPLATES_DIR / "page.txt").read_text(encoding="utf-8"))
    catalog = config.PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES" / "report.po"
    if catalog.is_file():
        parts.append(hashlib.sha256(catalog.read_bytes()).hexdigest())
    parts.append(os.environ.get("SOURCE_DATE_EPOCH", "?"))
    return "\n".join(parts)


def render_html(build_dir: Path, out_dir: Path, lang: str) -> Path:
    _log(f"html {lang}")
    _slow()
    path = Path(out_dir) / "index.html"
    svgs = sorted(p.name for p in (Path(build_dir) / "chapters").glob(f"*/charts/*.{lang}.svg"))
    path.write_text(f"<html lang='{lang}'>{_summary(build_dir)}{svgs}</html>\n", encoding="utf-8")
    (Path(out_dir) / "style.css").write_text("body{}\n", encoding="utf-8")
    return path


def render_pdf(build_dir: Path, out_dir: Path, lang: str) -> Path:
    _log(f"pdf {lang}")
    _slow()
    wave = json.loads((Path(build_dir) / "survey.json").read_text(encoding="utf-8"))["wave"]
    path = Path(out_dir) / lang / f"hakusho-{wave}-{lang}.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.7 fake\n" + _summary(build_dir).encode("utf-8"))
    return path


def render_xlsx(build_dir: Path, out_dir: Path, lang: str) -> Path:
    _log(f"xlsx {lang}")
    wave = json.loads((Path(build_dir) / "survey.json").read_text(encoding="utf-8"))["wave"]
    path = Path(out_dir) / lang / f"hakusho-{wave}-{lang}.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK fake workbook\n" + _summary(build_dir).encode("utf-8"))
    return path


def render_quarto(build_dir: Path, out_dir: Path) -> Path:
    _log("quarto")
    (Path(out_dir) / "_quarto.yml").write_text("project:\n  type: website\n", encoding="utf-8")
    (Path(out_dir) / "index.qmd").write_text(_summary(build_dir), encoding="utf-8")
    return Path(out_dir)


def run_quarto(project_dir: Path) -> Path:
    _log("quarto render")
    site = Path(project_dir) / "_site"
    site.mkdir()
    (site / "index.html").write_text("<html>" + (Path(project_dir) / "index.qmd").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    return site


def install_fakes(setitem, setattr_, build) -> None:
    from hakusho.pipeline import render_pool

    setitem(render_pool.RENDERERS, "html", ("fake_project", "render_html"))
    setitem(render_pool.RENDERERS, "pdf", ("fake_project", "render_pdf"))
    setitem(render_pool.RENDERERS, "xlsx", ("fake_project", "render_xlsx"))
    setitem(render_pool.RENDERERS, "quarto", ("fake_project", "render_quarto"))
    setattr_(render_pool, "QUARTO_RUNNER", ("fake_project", "run_quarto"))
    setattr_(build, "validate_inputs", fake_validate)


def _set(obj, name, value) -> None:
    setattr(obj, name, value)


def _setitem(obj, key, value) -> None:
    obj[key] = value


if __name__ == "__main__":
    # The hakusho command with the fakes: ``python tests/fake_project.py build --quiet``.
    sys.path.insert(0, str(TESTS_DIR))
    from hakusho import config as _config
    from hakusho import project as _project
    from hakusho.cli import main
    from hakusho.pipeline import build as _build

    if os.environ.get("FAKE_PACKAGE_DIR"):
        _config.PACKAGE_DIR = _project.PACKAGE_DIR = Path(os.environ["FAKE_PACKAGE_DIR"])
    install_fakes(_setitem, _set, _build)
    code = main(sys.argv[1:])
    if os.environ.get("FAKE_SHOW_MODULES"):
        heavy = ["pandas", "numpy", "matplotlib", "papermill", "nbclient", "jupyter_client"]
        print("imported:", ",".join(m for m in heavy if m in sys.modules))
    sys.exit(code)
