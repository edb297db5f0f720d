"""The six chapter notebooks: their parameters contract, their shape, and running them."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from hakusho import config
from hakusho.analysis.chapter import run_chapter
from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError
from hakusho.pipeline.executed import NotebookFailed, cell_failure
from hakusho.pipeline.runner import NotebookJob, run_notebooks

NOTEBOOKS = {"ch1": "01_attributes", "ch2": "02_adoption", "ch3": "03_penetration", "ch4": "04_kpi",
             "ch5": "05_investment", "appendix": "06_appendix"}
CONTRACT = """\
chapter = "{chapter}"{pad}# chapter id from spec/chapters.yml
wave = "2025"
compare_wave = "2023"      # empty string: no comparison
segment = "saas"           # saas | non_saas | all
filters = []               # list of [variable, operator, value] triples (declarative)
allow_small_base = False
lang = "ja"                # language of the labels and charts shown here ("ja" or "en")
data_dir = ""              # empty: data/raw of the project, else a folder of <wave>/ raw folders
codebook_dir = ""          # empty: data/codebook of the project
output_dir = ""            # empty: report/jupyter/<chapter>/ (ignored by git), else a new folder"""
DEFAULTS = {"chapter": None, "wave": '"2025"', "compare_wave": '"2023"', "segment": '"saas"', "filters": "[]",
            "allow_small_base": "False",
            "lang": '"ja"', "data_dir": '""', "codebook_dir": '""', "output_dir": '""'}


def _path(chapter: str) -> Path:
    return config.NOTEBOOKS_DIR / f"{NOTEBOOKS[chapter]}.ipynb"


def _read(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(str(_path(chapter)), as_version=4)


def _code(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def run_like_the_build(notebook: Path, cwd: Path, parameters: dict[str, object]) -> Path:
    """Execute a notebook as ``hakusho build`` does (a kernel of the build's pool, papermill,
    the executed notebook normalised) into ``cwd``; returns the executed notebook."""
    job = NotebookJob(name=str(parameters["chapter"]), notebook=notebook, parameters=parameters, cwd=cwd,
                      output=cwd / notebook.name)
    run_notebooks([job], size=1)
    return job.output


def test_one_notebook_per_part() -> None:
    assert [ch.id for ch in default_spec().chapters] == list(NOTEBOOKS)
    assert set(NOTEBOOKS.values()) <= {p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")}


@pytest.mark.parametrize("chapter", list(NOTEBOOKS))
def test_parameters_are_exactly_the_contract(chapter: str) -> None:
    nb = _read(chapter)
    first = nb.cells[0]
    assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", [])
    pad = " " * max(1, 27 - len(f'chapter = "{chapter}"'))
    assert first.source == CONTRACT.format(chapter=chapter, pad=pad)
    assigned = {node.targets[0].id: ast.unparse(node.value) for node in ast.parse(first.source).body}
    assert list(assigned) == list(DEFAULTS)
    for name, default in DEFAULTS.items():
        assert assigned[name].replace("'", '"') == (default or f'"{chapter}"'), name
    # papermill's own reader must see exactly the parameters the build passes.
    declared = papermill.inspect_notebook(str(_path(chapter)))
    assert list(declared) == list(DEFAULTS)
    for name, param in declared.items():
        assert param["default"] == (DEFAULTS[name] or f'"{chapter}"'), name


@pytest.mark.parametrize("chapter", list(NOTEBOOKS))
def test_notebooks_are_thin_and_committed_without_outputs(chapter: str) -> None:
    nb = _read(chapter)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = _code(nb)
    assert sum(len(src.splitlines()) for src in code) <= 60
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            tree = ast.parse(cell.source)
            assert not any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
                           for n in ast.walk(tree))
    assert sum("run_chapter(" in src for src in code) == 1


@pytest.mark.parametrize("chapter", list(NOTEBOOKS))
def test_every_slide_has_a_heading_and_every_chart_is_shown(chapter: str) -> None:
    nb = _read(chapter)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(_code(nb))
    intro = next(c.source for c in nb.cells if c.cell_type == "markdown")
    spec_chapter = default_spec().chapter(chapter)
    assert spec_chapter.title.ja in intro and spec_chapter.title.en in intro
    for slide in spec_chapter.slides:
        assert f"`{slide.id}`" in markdown
        for chart in slide.charts:
            assert f'result.show("{chart.id}", lang)' in code
            assert chart.title_ja in markdown and chart.title_en in markdown


def test_a_failing_cell_reads_as_one_line_naming_chapter_notebook_cell_error_and_code() -> None:
    exc = PapermillExecutionError(
        cell_index=3, exec_count=2, source="from x import y\nresult = run_chapter(chapter, wave)\n",
        ename="FilterError", evalue="filter: unknown variable 'nope'\n  - unknown variable (value 'nope')",
        traceback=["\x1b[31m-----\x1b[39m", "\x1b[36mCell In[2], line 2\x1b[39m\n      1 from x import y\n"
                   "\x1b[32m----> \x1b[39m\x1b[32m2\x1b[39m result = run_chapter(chapter, wave)\n",
                   "\x1b[0;31mFilterError\x1b[0m: boom"])
    err = cell_failure(exc, name="ch2", notebook=Path("notebooks/02_adoption.ipynb"), executed="the notebook")
    assert isinstance(err, NotebookFailed) and isinstance(err, BuildError)
    assert err.message == ("ch2 (02_adoption.ipynb) cell 2: FilterError: filter: unknown variable 'nope' / "
                           "- unknown variable (value 'nope'); the cell runs: result = run_chapter(chapter, wave)")
    assert "\n" not in err.report() and err.executed == "the notebook"
    # Without an execution count (a cell that never started) the cell is named by its place.
    exc.exec_count = None
    assert cell_failure(exc, name="ch2", notebook="02_adoption.ipynb").message.startswith(
        "ch2 (02_adoption.ipynb) cell #4: FilterError")


@pytest.mark.slow
def test_a_chapter_notebook_runs_with_papermill_and_writes_the_chapter(tmp_path: Path) -> None:
    out = tmp_path / "ch2"
    executed = run_like_the_build(_path("ch2"), tmp_path, {"chapter": "ch2", "output_dir": str(out)})
    nb = nbformat.read(str(executed), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/svg+xml" in o.get("data", {}) for o in outputs) == len(default_spec().chapter("ch2").charts)
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figures["cs_status.doing.pct"]["value"] == 86.0
    assert figures["reasons_not.no_need.pct"]["value"] is None
    # The kernel's outputs equal an in-process run byte for byte (SVGs included).
    again = run_chapter("ch2", output_dir=tmp_path / "again")
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert first == sorted(p.relative_to(again.output_dir) for p in again.output_dir.rglob("*") if p.is_file())
    # both languages, each chart drawn for its slide and for a phone
    assert len([p for p in first if p.suffix == ".svg"]) == 2 * 2 * len(default_spec().chapter("ch2").charts)
    for rel in first:
        assert (out / rel).read_bytes() == (again.output_dir / rel).read_bytes(), rel


@pytest.mark.slow
def test_a_failing_cell_surfaces_as_a_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as exc:
        parameters = {"chapter": "ch3", "filters": [["employes", ">=", 1000]], "output_dir": str(tmp_path / "out")}
        run_like_the_build(_path("ch3"), tmp_path, parameters)
    message = exc.value.report()
    assert message.startswith("ch3 (03_penetration.ipynb) cell ") and "\n" not in message
    assert "FilterError" in message and "employes" in message and "employees" in message
    assert "run_chapter" in message
    executed = exc.value.executed  # the executed notebook keeps the traceback (the build keeps it on disk)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [o.ename for o in errors] == ["FilterError"] and errors[0].traceback


@pytest.mark.slow
def test_a_notebook_run_by_hand_writes_only_where_git_ignores(tmp_path: Path, monkeypatch) -> None:
    """Jupyter runs a chapter notebook in its own folder with the default parameters: everything
    it writes lands in report/jupyter/<chapter>/, which git ignores, never next to the notebook."""
    import shutil
    import subprocess

    root = tmp_path / "project"
    shutil.copytree(config.NOTEBOOKS_DIR, root / "notebooks")
    shutil.copytree(config.DATA_DIR, root / "data")
    for name in (".gitignore", "hakusho.toml"):
        shutil.copyfile(config.PROJECT_ROOT / name, root / name)
    (root / "report").mkdir()
    shutil.copyfile(config.REPORT_DIR / "README.md", root / "report" / "README.md")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "the project"], cwd=root, check=True)
    monkeypatch.setenv("HAKUSHO_PROJECT", str(root))
    papermill.execute_notebook(str(root / "notebooks" / "06_appendix.ipynb"), str(tmp_path / "executed.ipynb"),
                               cwd=str(root / "notebooks"), kernel_name="python3", progress_bar=False)
    status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=all"], cwd=root,
                            capture_output=True, text=True, check=True).stdout
    assert status == ""  # nothing new that git would pick up, nothing changed
    written = root / "report" / "jupyter" / "appendix"
    assert (written / "chapter.json").is_file() and any(written.glob("charts/*.svg"))
    assert sorted(p.name for p in (root / "notebooks").iterdir()) == sorted(
        p.name for p in config.NOTEBOOKS_DIR.iterdir())
