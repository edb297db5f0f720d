"""The build's machinery on a tiny project (tests/fake_project.py): caching by content for each
kind of input, parallel = serial, failures that leave the report alone, verify, the notebook
command. The real chapters are built once, in the slow reproducibility test at the end."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from fake_project import CHAPTERS, REAL_ROOT, point, prepare

from hakusho import config
from hakusho.errors import BuildError, DataError, FilterError
from hakusho.i18n import LANGS
from hakusho.pipeline import build
from hakusho.pipeline.cache import tree_hashes
from hakusho.pipeline.manifest import compare_trees, read_manifest
from hakusho.pipeline.options import FORMATS, BuildOptions, parse_filters, split_list
from hakusho.pipeline.plan import discover_notebooks, make_plan, report_chapters
from hakusho.pipeline.verify import verify, verify_error

OPTS = BuildOptions(jobs=1, source_date_epoch=1_700_000_000)
EVERY = ["ch1", "ch2", "ch3", "cross"]  # the default build runs the cross-analysis part too
PAGE_BUDGET = 2_500_000  # bytes: one language's whole HTML page


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The fake project, built once: each test starts from a copy with its report and cache."""
    base = prepare(tmp_path_factory.mktemp("template"))
    with pytest.MonkeyPatch.context() as mp:
        point(mp, base)
        build.build(OPTS)
    (base / "render.log").unlink()
    return base


@pytest.fixture
def project(template, tmp_path, monkeypatch):
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    point(monkeypatch, tmp_path)
    return tmp_path / "proj"


@pytest.fixture
def package_copy(project):
    """The package snapshot the build hashes (to edit)."""
    return config.PACKAGE_DIR


def renders(tmp_path: Path) -> list[str]:
    log = tmp_path / "render.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return sorted(line for line in lines if line != "validate")


def report_hashes(target: Path) -> dict[str, str]:
    return tree_hashes(target)


def test_full_build_lays_out_the_report(project, tmp_path):
    result = build.build(replace(OPTS, force=True))
    target = project / "report" / "2025"
    assert result.target == target
    assert sorted(result.executed) == EVERY and not result.cached
    files = set(report_hashes(target))
    assert {"ja/index.html", "en/index.html", "ja/hakusho-2025-ja.pdf", "en/hakusho-2025-en.pdf",
            "ja/hakusho-2025-ja.xlsx", "en/hakusho-2025-en.xlsx", "manifest.json"} <= files
    assert {f"data/{c}_count.csv" for c in CHAPTERS} <= files
    assert {f"notebooks/{stem}.ipynb" for stem in CHAPTERS.values()} <= files
    manifest = read_manifest(target)
    outputs = report_hashes(target)
    outputs.pop("manifest.json")
    assert manifest["outputs"] == outputs
    assert manifest["inputs"]["data/raw/2025/responses.csv"]
    assert manifest["inputs"]["notebooks/01_one.ipynb"]
    assert any(k.startswith("hakusho/") for k in manifest["inputs"])
    assert manifest["source_date_epoch"] == 1_700_000_000
    assert {"pandas", "papermill", "matplotlib", "python"} <= set(manifest["libraries"])
    text = json.dumps(manifest)
    assert str(tmp_path) not in text and str(Path.home()) not in text
    # the build folder the renderers saw held the chapters and survey.json
    html = (target / "en" / "index.html").read_text(encoding="utf-8")
    assert '"wave": "2025"' in html and "ch3_count.en.svg" in html
    assert not [p for p in (project / "report").iterdir() if ".tmp-" in p.name]


def test_executed_notebook_keeps_papermill_parameters_and_no_machine_detail(project, tmp_path):
    nb = json.loads((project / "report" / "2025" / "notebooks" / "02_two.ipynb").read_text(encoding="utf-8"))
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and 'chapter = "ch2"' in "".join(injected[0]["source"])
    assert nb["metadata"]["papermill"]["parameters"]["output_dir"] == "ch2"
    assert nb["metadata"]["papermill"]["input_path"] == "02_two.ipynb"
    assert [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"] == [1, 2, 3, 4]
    text = json.dumps(nb)
    for absent in (str(tmp_path), "start_time", "end_time", "duration", "iopub.execute_input"):
        assert absent not in text
    assert "ch2: 40 of 40 respondents" in text
    assert tempfile.gettempdir() not in text


def test_noop_rebuild_does_nothing(project, tmp_path):
    build.build(OPTS)
    before = report_hashes(project / "report" / "2025")
    renders(tmp_path)
    result = build.build(OPTS)
    assert result.up_to_date and not result.executed and renders(tmp_path) == []
    assert report_hashes(project / "report" / "2025") == before


def test_timestamps_do_not_invalidate_the_cache(project):
    build.build(OPTS)
    for path in project.rglob("*"):
        if path.is_file() and "report" not in path.parts:
            os.utime(path, (1, 1))
    assert build.build(OPTS).up_to_date


def test_a_notebook_edit_reexecutes_that_chapter_only(project, tmp_path):
    build.build(OPTS)
    renders(tmp_path)
    path = project / "notebooks" / "02_two.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "# Fake chapter two, retitled"
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = build.build(OPTS)
    assert result.executed == ["ch2"] and sorted(result.cached) == ["ch1", "ch3", "cross"]
    assert not result.validated
    assert renders(tmp_path) == ["html en", "html ja", "pdf en", "pdf ja", "xlsx en", "xlsx ja"]


def test_a_parameter_change_reexecutes(project):
    build.build(OPTS)
    result = build.build(replace(OPTS, allow_small_base=True))
    assert sorted(result.executed) == EVERY
    # and back: both variants are cached now
    assert build.build(OPTS).executed == []


def test_a_data_change_reexecutes_and_revalidates(project):
    build.build(OPTS)
    raw = project / "data" / "raw" / "2025" / "responses.csv"
    raw.write_text(raw.read_text(encoding="utf-8") + "r999,1,sns\n", encoding="utf-8")
    result = build.build(OPTS)
    assert result.validated and sorted(result.executed) == EVERY
    csv = (project / "report" / "2025" / "data" / "ch1_count.csv").read_text(encoding="utf-8")
    assert "41" in csv


def test_a_codebook_change_reexecutes(project):
    build.build(OPTS)
    book = project / "data" / "codebook" / "2025.yml"
    book.write_text(book.read_text(encoding="utf-8") + "\n# an editor's note\n", encoding="utf-8")
    result = build.build(OPTS)
    assert result.validated and sorted(result.executed) == EVERY


def test_a_package_code_change_reexecutes(project, package_copy):
    build.build(OPTS)
    tabulate = package_copy / "analysis" / "tabulate.py"
    tabulate.write_text(tabulate.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    result = build.build(OPTS)
    assert sorted(result.executed) == EVERY


# Cache keys follow the stages: what a chapter computes, draws or writes re-executes it; what only
# the renderers read re-renders the report from the cached chapters.
COMPUTING_EDITS = ["analysis/tabulate.py", "analysis/chapter.py", "analysis/cross_stats.py", "survey/load.py",
                   "survey/filters.py", "charts/draw.py", "charts/style.py", "text/numbers.py", "build_folder.py",
                   "pipeline/executed.py", "spec/chapters.yml", "spec/crosses.yml", "resources/hakusho.mplstyle",
                   "locale/ja/LC_MESSAGES/notes.po", "locale/en/LC_MESSAGES/cross.po"]
EVERY_RENDER = ["html en", "html ja", "pdf en", "pdf ja", "xlsx en", "xlsx ja"]
RENDERING_EDITS = ["render/page.py", "render/viewmodel.py", "render/chart_view.py", "render/deck.py",
                   "render/quarto.py", "text/prose.py", "text/commentary.py", "text/glossary.py",
                   "spec/headlines.yml", "kpi/formulas.py", "pipeline/assemble.py",
                   "locale/ja/LC_MESSAGES/report.po", "locale/en/LC_MESSAGES/commentary.po"]


def _touch(package_copy: Path, rel: str) -> None:
    path = package_copy / rel
    assert path.is_file(), rel  # the lists above name real files of the package
    comment = "\n" if rel.endswith((".po", ".yml")) else "\n# changed\n"
    path.write_text(path.read_text(encoding="utf-8") + comment, encoding="utf-8")


@pytest.mark.parametrize("rel", COMPUTING_EDITS)
def test_an_edit_of_what_computes_a_chapter_changes_every_key(project, package_copy, rel):
    """Every file a chapter computes with is in every chapter's key and so in every render's:
    the build decides from these keys alone (a few edits are built below)."""
    before = make_plan(OPTS)
    _touch(package_copy, rel)
    after = make_plan(OPTS)
    assert sorted(after.chapter_keys) == EVERY
    assert all(after.chapter_keys[c] != before.chapter_keys[c] for c in EVERY)
    assert [t.name for t in after.tasks] == [t.name for t in before.tasks] and len(after.tasks) == len(EVERY_RENDER)
    assert all(a.key != b.key for a, b in zip(after.tasks, before.tasks, strict=True))


@pytest.mark.parametrize("rel", RENDERING_EDITS)
def test_an_edit_of_what_only_renders_changes_the_render_keys_only(project, package_copy, rel):
    before = make_plan(OPTS)
    _touch(package_copy, rel)
    after = make_plan(OPTS)
    assert after.chapter_keys == before.chapter_keys and after.validate_key == before.validate_key
    assert [t.name for t in after.tasks] == [t.name for t in before.tasks] and len(after.tasks) == len(EVERY_RENDER)
    assert all(a.key != b.key for a, b in zip(after.tasks, before.tasks, strict=True))


@pytest.mark.parametrize("rel", ["analysis/tabulate.py", "locale/ja/LC_MESSAGES/notes.po"])
def test_an_edit_of_what_computes_a_chapter_reexecutes(project, package_copy, tmp_path, rel):
    build.build(OPTS)
    renders(tmp_path)
    _touch(package_copy, rel)
    result = build.build(OPTS)
    assert sorted(result.executed) == EVERY and result.cached == []
    assert renders(tmp_path) == EVERY_RENDER


@pytest.mark.parametrize("rel", ["render/page.py", "spec/headlines.yml"])
def test_an_edit_of_what_only_renders_rerenders_without_executing(project, package_copy, tmp_path, rel):
    build.build(OPTS)
    renders(tmp_path)
    _touch(package_copy, rel)
    result = build.build(OPTS)
    assert result.executed == [] and sorted(result.cached) == EVERY and not result.validated
    assert renders(tmp_path) == EVERY_RENDER
    assert build.build(OPTS).up_to_date


def test_a_chart_catalog_change_reexecutes(project, package_copy):
    build.build(OPTS)
    po = package_copy / "locale" / "en" / "LC_MESSAGES" / "charts.po"
    po.write_text(po.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert sorted(build.build(OPTS).executed) == EVERY


def test_a_template_change_rerenders_without_executing(project, tmp_path):
    build.build(OPTS)
    renders(tmp_path)
    (project / "templates" / "page.txt").write_text("<title>{lang} (new)</title>\n", encoding="utf-8")
    result = build.build(OPTS)
    assert result.executed == [] and sorted(result.cached) == EVERY
    assert renders(tmp_path) == ["html en", "html ja", "pdf en", "pdf ja", "xlsx en", "xlsx ja"]
    assert "(new)" in (project / "report" / "2025" / "ja" / "index.html").read_text(encoding="utf-8")


def test_a_report_catalog_change_rerenders_without_executing(project, package_copy, tmp_path):
    po = package_copy / "locale" / "en" / "LC_MESSAGES" / "report.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(po.read_text(encoding="utf-8") if po.exists() else 'msgid ""\nmsgstr ""\n', encoding="utf-8")
    build.build(OPTS)
    renders(tmp_path)
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "x"\nmsgstr "y"\n', encoding="utf-8")
    result = build.build(OPTS)
    assert result.executed == [] and len(result.rendered) == 6


def test_assembly_reruns_only_what_changed(project, tmp_path):
    (project / "templates" / "page.txt").write_text("<title>{lang} (new)</title>\n", encoding="utf-8")
    build.build(replace(OPTS, langs=("ja",)))
    assert renders(tmp_path) == ["html ja", "pdf ja", "xlsx ja"]
    result = build.build(OPTS)  # adds English: the Japanese renders come from the cache
    assert result.executed == []
    assert renders(tmp_path) == ["html en", "pdf en", "xlsx en"]
    assert sorted(result.reused) == ["html ja", "pdf ja", "xlsx ja"]


def test_renderers_are_imported_once_a_notebook_runs_or_at_once_when_none_does(project, tmp_path, monkeypatch):
    import threading

    calls = []
    real = build.warm_renderers

    def spy(formats):
        calls.append((threading.current_thread().name, sorted(set(formats))))
        real(formats)

    monkeypatch.setattr(build, "warm_renderers", spy)
    build.build(replace(OPTS, chapters=("ch1",), filters=parse_filters(["route == panel"])))
    # From the kernel's thread, when the notebook's first cell ran (the build then only waits).
    assert calls == [("hakusho-kernel-0", ["html", "pdf", "xlsx"])]
    calls.clear()
    (project / "templates" / "page.txt").write_text("<title>{lang} (new)</title>\n", encoding="utf-8")
    result = build.build(OPTS)  # nothing to execute, pages to render: imported at once
    assert result.executed == [] and calls == [("MainThread", ["html", "pdf", "xlsx"])]


def test_quarto_project_and_quarto_engine(project, tmp_path):
    both = build.build(replace(OPTS, formats=("html", "quarto"), out=tmp_path / "q1"))
    files = set(tree_hashes(both.target))
    assert {"quarto/_quarto.yml", "quarto/index.qmd", "ja/index.html", "en/index.html"} <= files
    assert not any(f.endswith(".pdf") for f in files)
    renders(tmp_path)
    engine = build.build(replace(OPTS, engine="quarto", out=tmp_path / "q2"))
    assert renders(tmp_path) == ["quarto", "quarto render"]
    files = set(tree_hashes(engine.target))
    assert "quarto/_site/index.html" in files and "ja/index.html" not in files


def test_parallel_build_equals_serial_build(project, tmp_path):
    serial = build.build(replace(OPTS, jobs=1, out=tmp_path / "serial", cache_dir=tmp_path / "c1"))
    parallel = build.build(replace(OPTS, jobs=3, out=tmp_path / "parallel", cache_dir=tmp_path / "c2"))
    fresh = build.build(replace(OPTS, jobs=2, reuse_kernels=False, out=tmp_path / "fresh", cache_dir=tmp_path / "c3"))
    assert len(serial.executed) == len(parallel.executed) == len(fresh.executed) == len(EVERY)
    # One kernel runs the queue in order: the part first, so that on two kernels it runs beside
    # the chapters rather than alone after them.
    assert serial.executed == ["cross", "ch1", "ch2", "ch3"]
    assert not compare_trees(tmp_path / "serial", tmp_path / "parallel")
    assert not compare_trees(tmp_path / "serial", tmp_path / "fresh")


def test_the_parts_are_queued_before_the_chapters_each_in_plan_order():
    assert build.execution_order(["ch1", "ch2", "cross", "ch3", "explore"], ["cross", "explore"]) == [
        "cross", "explore", "ch1", "ch2", "ch3"]
    assert build.execution_order(["ch2", "ch1"], ["cross", "explore"]) == ["ch2", "ch1"]
    assert build.execution_order(["explore"], ["cross", "explore"]) == ["explore"]


def test_a_kernel_draws_in_the_cores_the_pool_leaves_idle(project):
    from hakusho.charts.shares import processes_for

    plan = make_plan(OPTS)
    for size in (1, 2):
        with build.kernel_pool(plan, size) as pool:  # started lazily: nothing runs here
            assert pool._extra_env[config.DRAW_PROCESSES_ENV] == str(processes_for(size))
    assert processes_for(1, 2) == 2 and processes_for(2, 2) == 1


def test_a_failing_cell_names_chapter_cell_and_error_and_keeps_the_report(project, monkeypatch):
    build.build(OPTS)
    before = report_hashes(project / "report" / "2025")
    monkeypatch.setenv("FAKE_FAIL_CHAPTER", "ch2")
    with pytest.raises(BuildError) as info:
        build.build(replace(OPTS, force=True))
    message = info.value.message
    assert "\n" not in message
    assert message.startswith("stage 'chapters' failed: ch2 (02_two.ipynb) cell 4: ValueError: "
                              "the fake chapter was told to fail")
    assert "is unchanged" in message and "Traceback" not in message
    kept = project / "report" / ".hakusho-cache" / "failed" / "02_two.ipynb"
    assert kept.is_file() and "ValueError" in kept.read_text(encoding="utf-8")
    assert report_hashes(project / "report" / "2025") == before
    assert not [p for p in (project / "report").iterdir() if ".tmp-" in p.name]


def test_invalid_data_stops_at_validation(project, tmp_path):
    build.build(OPTS)
    before = report_hashes(project / "report" / "2025")
    raw = project / "data" / "raw" / "2025" / "responses.csv"
    raw.write_text(raw.read_text(encoding="utf-8") + "r999,BAD,sns\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        build.build(OPTS)
    assert info.value.message.startswith("stage 'validate' failed")
    assert "row 42" in info.value.report()
    assert report_hashes(project / "report" / "2025") == before
    assert not (project / "report" / ".hakusho-cache" / "failed").exists()


def test_filtered_and_segment_builds_never_touch_the_canonical_report(project):
    build.build(OPTS)
    before = report_hashes(project / "report" / "2025")
    filtered = build.build(replace(OPTS, filters=parse_filters([("route", "==", "sns")])))
    assert filtered.target == project / "report" / "2025-saas-route-eq-sns"
    chapter = json.loads((filtered.target / "notebooks" / "01_one.ipynb").read_text(encoding="utf-8"))
    assert chapter["metadata"]["papermill"]["parameters"]["filters"] == [["route", "==", "sns"]]
    segment = build.build(replace(OPTS, segment="non_saas", chapters=("ch2",)))
    assert segment.target == project / "report" / "2025-non_saas-ch2"
    assert report_hashes(project / "report" / "2025") == before
    assert build.build(replace(OPTS, out=project / "elsewhere")).target == project / "elsewhere"


def test_stale_staging_from_a_killed_build_is_cleaned(project):
    build.build(OPTS)
    stale = project / "report" / ".2025.tmp-99999-abc"
    (stale / "tree").mkdir(parents=True)
    build.build(replace(OPTS, force=True))
    assert not stale.exists()


def test_verify_passes_then_detects_tampering(project):
    build.build(OPTS)
    target = project / "report" / "2025"
    first = verify(target, jobs=1)
    assert first.ok, first.differences
    html = target / "en" / "index.html"
    html.write_text(html.read_text(encoding="utf-8").replace("2025", "2024"), encoding="utf-8")
    (target / "data" / "extra.csv").write_text("x\n", encoding="utf-8")
    result = verify(target, jobs=1)
    assert not result.ok
    assert "differs: en/index.html" in result.differences
    assert "unexpected: data/extra.csv" in result.differences
    assert any("does not match its manifest" in d for d in result.differences)
    assert "en/index.html" in verify_error(result).report()


def test_verify_reports_changed_inputs(project):
    build.build(OPTS)
    raw = project / "data" / "raw" / "2025" / "responses.csv"
    raw.write_text(raw.read_text(encoding="utf-8") + "r999,1,sns\n", encoding="utf-8")
    result = verify(project / "report" / "2025", jobs=1)
    assert not result.ok and "changed input: data/raw/2025/responses.csv" in result.changed_inputs


def test_notebook_command_writes_the_executed_chapter(project, tmp_path):
    out = tmp_path / "mine.ipynb"
    options = replace(OPTS, filters=parse_filters(["route == sns"]))
    reports = sorted(p.name for p in (project / "report").iterdir())
    assert build.chapter_notebook(options, "ch3", out) == out
    nb = json.loads(out.read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"]["filters"] == [["route", "==", "sns"]]
    assert "ch3: 26 of 40 respondents" in json.dumps(nb)
    assert sorted(p.name for p in (project / "report").iterdir()) == reports  # no report written
    with pytest.raises(BuildError, match="unknown chapter 'ch9'"):
        build.chapter_notebook(options, "ch9", out)


def test_a_new_filter_does_not_revalidate_the_data_and_a_bad_one_stops_early(project):
    result = build.build(replace(OPTS, filters=parse_filters(["route == panel"]), chapters=("ch1",)))
    assert result.executed == ["ch1"] and not result.validated
    with pytest.raises(FilterError) as info:
        build.build(replace(OPTS, filters=parse_filters(["rout == sns"])))
    assert info.value.message.startswith("stage 'validate' failed: filter: unknown variable 'rout'")
    assert "did you mean route" in info.value.report()


def test_the_cross_analysis_part_runs_with_the_report_and_alone_when_named(project):
    assert "notebooks/07_cross.ipynb" in read_manifest(project / "report" / "2025")["outputs"]
    result = build.build(replace(OPTS, chapters=("cross",)))
    assert result.executed + result.cached == ["cross"] and result.rendered == []
    assert result.target == project / "report" / "2025-saas-cross"
    files = set(tree_hashes(result.target))
    assert files == {"data/cross_count.csv", "notebooks/07_cross.ipynb", "manifest.json", "figures/cross.json"}


def test_options_are_checked_before_anything_runs(project):
    with pytest.raises(BuildError, match="unknown segment"):
        build.build(replace(OPTS, segment="smb"))
    with pytest.raises(BuildError, match="unknown chapter 'ch7'"):
        build.build(replace(OPTS, chapters=("ch7",)))
    with pytest.raises(BuildError, match="unknown format"):
        split_list("html,docx", valid=FORMATS, what="format")
    with pytest.raises(BuildError, match="no raw data for wave 2021"):
        build.build(replace(OPTS, wave="2021", compare_wave=""))
    assert split_list("en, ja", valid=LANGS) == ("ja", "en")


def test_cli_filter_values_become_notebook_values():
    assert parse_filters([("employees", ">=", "1000"), "industry in a,b"]) == (
        ("employees", ">=", 1000), ("industry", "in", ["a", "b"]))


# ------------------------------------------------------------------------------ the real report

_REAL_NOTEBOOKS = sorted((REAL_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.slow
@pytest.mark.skipif(len(_REAL_NOTEBOOKS) < 6, reason="the chapter notebooks are not all there yet")
def test_two_full_builds_of_the_real_report_are_byte_identical(tmp_path):
    """Both languages, HTML and PDF, from the project's own data: two cold builds in separate
    folders with separate caches, compared file by file."""
    options = BuildOptions(source_date_epoch=1_700_000_000)
    first = build.build(replace(options, out=tmp_path / "a", cache_dir=tmp_path / "ca"))
    second = build.build(replace(options, out=tmp_path / "b", cache_dir=tmp_path / "cb"))
    every = sorted([*report_chapters(), "cross", "explore"])
    assert first.executed and sorted(first.executed) == sorted(second.executed) == every
    diff = compare_trees(tmp_path / "a", tmp_path / "b")
    assert not diff, diff.lines()
    files = set(tree_hashes(tmp_path / "a"))
    assert {"ja/index.html", "en/index.html", "ja/hakusho-2025-ja.pdf", "en/hakusho-2025-en.pdf",
            "ja/hakusho-2025-ja.xlsx", "en/hakusho-2025-en.xlsx"} <= files
    for lang in ("ja", "en"):  # the page budget, the explorer's tables included
        assert (tmp_path / "a" / lang / "index.html").stat().st_size < PAGE_BUDGET, lang
    assert "figures/explore.json" in files
    chapters = discover_notebooks(REAL_ROOT / "notebooks")
    assert {f"notebooks/{chapters[c].name}" for c in report_chapters()} <= files
    for name in files:
        if name.endswith((".ipynb", ".html", ".csv", ".json")):
            text = (tmp_path / "a" / name).read_text(encoding="utf-8")
            assert str(tmp_path) not in text and str(REAL_ROOT) not in text, name
