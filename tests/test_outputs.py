"""The output guard: where hakusho may write and what it may replace (hakusho.pipeline.outputs).

Every refusal must leave everything as it was, so each case compares a snapshot of every entry
(hidden files, folders and symlinks included) of the scratch folder — the project of
tests/fake_project.py, a home folder and the destinations — before and after.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest
from fake_project import make_project, snapshot

from hakusho import config
from hakusho.build_folder import MANIFEST
from hakusho.errors import BuildError, OutputError
from hakusho.pipeline import outputs, publish
from hakusho.pipeline.cache import CACHE_DIR_NAME


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = make_project(tmp_path / "proj")
    monkeypatch.setenv("HAKUSHO_PROJECT", str(root))
    (root / "report" / CACHE_DIR_NAME / "chapters").mkdir(parents=True)
    (root / "README.md").write_text("the project\n", encoding="utf-8")
    home = tmp_path / "home"
    (home / "some-folder").mkdir(parents=True)
    (home / "some-folder" / "thesis.docx").write_bytes(b"four years of work")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(root)
    return root


def report(folder: Path, files: dict[str, bytes], **manifest: object) -> Path:
    """A folder as hakusho publishes one: the files and a manifest listing their sha256."""
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    doc = {"format": 1, "outputs": {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()},
           **manifest}
    (folder / MANIFEST).write_text(json.dumps(doc), encoding="utf-8")
    return folder


FULL = {"wave": "2025", "langs": ["ja", "en"], "formats": ["html", "pdf"], "engine": "internal"}
FILES = {"ja/index.html": b"<html lang=ja>", "en/index.html": b"<html lang=en>", "data/a.csv": b"x\n"}


# ------------------------------------------------------------------------------ where


@pytest.mark.parametrize("where", [
    ".", "data", "data/raw", "data/raw/2025", "data/raw/2025/new", "data/codebook", "data/commentary/2025",
    "notebooks", "notebooks/out", "templates", f"report/{CACHE_DIR_NAME}", f"report/{CACHE_DIR_NAME}/chapters/x",
    "..", "../..", "/", "~", "~/..", "report/../data", "data/raw/../../notebooks/new",
])
def test_inputs_the_project_home_and_root_are_refused_and_left_alone(project, where):
    scratch = project.parent
    before = snapshot(scratch)
    target = Path(os.environ["HOME"]) / where[2:] if where.startswith("~") else Path(where)
    with pytest.raises(OutputError, match="refusing to write") as info:
        outputs.claim_folder(target)
    assert "\n" not in info.value.message
    assert snapshot(scratch) == before


def test_the_installed_package_and_the_python_running_it_are_refused(project):
    for target in (config.PACKAGE_DIR, config.PACKAGE_DIR / "spec", Path(os.sys.prefix)):
        with pytest.raises(OutputError, match="refusing to write"):
            outputs.claim_folder(target)


def test_the_message_names_the_folder_and_what_it_is(project):
    with pytest.raises(OutputError) as info:
        outputs.claim_folder("data")
    assert info.value.message.startswith("refusing to write data: it is the project's data folder")
    with pytest.raises(OutputError) as info:
        outputs.claim_folder(".")
    assert "it is the project folder" in info.value.message
    with pytest.raises(OutputError) as info:
        outputs.claim_folder(project.parent)
    assert "it contains the project folder" in info.value.message


def test_a_symlink_into_the_inputs_is_refused_by_where_it_leads(project, tmp_path):
    link = tmp_path / "innocent-looking"
    link.symlink_to(project / "data")
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=r"innocent-looking \(which leads to .*data\): it is the project's data"):
        outputs.claim_folder(link)
    with pytest.raises(OutputError, match="leads to"):
        outputs.claim_folder(link / "raw" / "2025")
    assert snapshot(tmp_path) == before


def test_another_part_of_the_project_is_refused_but_a_new_folder_in_it_is_not(project):
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("", encoding="utf-8")
    for target in ("tests", "tests/new", "README.md"):
        with pytest.raises(OutputError, match=r"part of the project"):
            outputs.claim_folder(target)
    assert outputs.claim_folder("myreport").state == "absent"
    assert outputs.claim_folder("report/2025").state == "absent"


def test_what_a_running_build_makes_in_the_project_is_not_the_users(project):
    """A build with --out notes or --out sub/notes stages next to its target, locks it and keeps a
    cache beside it: its chapters, writing there, must not take those folders for the user's."""
    staging = project / "sub" / ".notes.tmp-123-ab_c9"
    (staging / "tree" / "chapters").mkdir(parents=True)
    (staging / "work").mkdir()
    (project / "sub" / ".notes.lock").write_text("", encoding="utf-8")
    (project / "sub" / CACHE_DIR_NAME / "chapters").mkdir(parents=True)
    (project / ".other.tmp-9-x").mkdir()
    (project / ".other.tmp-9-x" / "tree").mkdir()
    assert outputs.claim_folder("sub/notes").state == "absent"
    assert outputs.claim_folder(staging / "tree" / "chapters" / "ch1").state == "absent"
    assert outputs.claim_folder(project / ".other.tmp-9-x" / "tree" / "x").state == "absent"
    # The same names holding a user's file, or shaped otherwise, are the user's.
    (project / "sub" / "draft.md").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"part of the project \(sub\)"):
        outputs.claim_folder("sub/notes")
    (project / ".mine.tmp-1-a").mkdir()
    (project / ".mine.tmp-1-a" / "thesis.docx").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"part of the project"):
        outputs.claim_folder(project / ".mine.tmp-1-a" / "new")
    assert (project / "sub" / "draft.md").read_text(encoding="utf-8") == "mine"


def test_a_folder_inside_a_report_is_refused(project):
    report(project / "report" / "2025", FILES, options=FULL)
    with pytest.raises(OutputError, match=r"inside report/2025, a report hakusho built"):
        outputs.claim_folder("report/2025/extra")


# ------------------------------------------------------------------------------ what is there


def test_the_folder_the_command_runs_in_is_not_swapped_away(project, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    with pytest.raises(OutputError, match=r"refusing to replace \.: you are working inside it"):
        outputs.claim_folder(".")
    previous = report(tmp_path / "old", FILES, options=FULL)
    monkeypatch.chdir(previous / "en")
    with pytest.raises(OutputError, match=r"you are working inside it \(\.\)"):
        outputs.claim_folder(previous)


def test_a_users_folder_is_refused_naming_what_is_in_it(project):
    folder = Path(os.environ["HOME"]) / "some-folder"
    (folder / "notes").mkdir()
    (folder / ".hidden").write_text("x", encoding="utf-8")
    before = snapshot(folder.parent)
    with pytest.raises(OutputError) as info:
        outputs.claim_folder(folder)
    message = info.value.message
    assert "some-folder" in message and ".hidden, notes/, thesis.docx" in message
    assert "hakusho did not write" in message
    assert snapshot(folder.parent) == before


def test_a_long_listing_is_cut_short(project, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(9):
        (folder / f"f{i}.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"f0\.txt, f1\.txt, f2\.txt, f3\.txt, f4\.txt … and 4 more"):
        outputs.claim_folder(folder)


def test_absent_empty_and_previous_reports_may_be_replaced(project, tmp_path):
    assert outputs.claim_folder(tmp_path / "new" / "deep" / "report").state == "absent"
    (tmp_path / "empty").mkdir()
    assert outputs.claim_folder(tmp_path / "empty").state == "empty"
    previous = outputs.claim_folder(report(tmp_path / "old", FILES, options=FULL))
    assert previous.state == "previous" and previous.manifest["options"] == FULL
    assert previous.path == (tmp_path / "old").resolve()


@pytest.mark.parametrize(("change", "words"), [
    (lambda f: (f / "en" / "index.html").write_bytes(b"edited by hand"), "changed: en/index.html"),
    (lambda f: (f / "data" / "a.csv").unlink(), "missing: data/a.csv"),
    (lambda f: (f / "notes.txt").write_text("mine"), "not in the manifest: notes.txt"),
    (lambda f: (f / "en" / ".ipynb_checkpoints").mkdir(), "not in the manifest: en/.ipynb_checkpoints/"),
    (lambda f: (f / "raw").symlink_to(config.RAW_DIR), "not in the manifest: raw"),
    (lambda f: (f / MANIFEST).write_text('{"format": 1, "outputs": {}}'), "not in the manifest: data/a.csv"),
    (lambda f: (f / MANIFEST).write_text("{broken"), "hakusho did not write"),
])
def test_a_report_that_no_longer_matches_its_manifest_is_refused(project, tmp_path, change, words):
    folder = report(tmp_path / "old", FILES, options=FULL)
    change(folder)
    before = snapshot(tmp_path)
    with pytest.raises(OutputError) as info:
        outputs.claim_folder(folder)
    assert words in info.value.message
    assert snapshot(tmp_path) == before


def test_a_folder_made_by_another_command_is_refused(project, tmp_path):
    folder = report(tmp_path / "kpi", {"kpi_2024.csv": b"x\n"}, command="kpi")
    with pytest.raises(OutputError, match="holds the output of 'hakusho kpi'"):
        outputs.claim_folder(folder)
    assert outputs.claim_folder(folder, command="kpi").state == "previous"


def test_a_file_or_a_folder_under_a_file_is_refused(project, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="it is a file, not a folder"):
        outputs.claim_folder(tmp_path / "notes.txt")
    with pytest.raises(OutputError, match=r"notes\.txt is a file, not a folder"):
        outputs.claim_folder(tmp_path / "notes.txt" / "report")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_unwritable_destination_is_refused_before_anything_is_made(project, tmp_path, monkeypatch):
    locked_parent = tmp_path / "readonly"
    locked_parent.mkdir()
    real_access = os.access
    monkeypatch.setattr(outputs.os, "access", lambda p, mode: Path(p) != locked_parent and real_access(p, mode))
    with pytest.raises(OutputError, match=r"readonly is not writable \(permission denied\)"):
        outputs.claim_folder(locked_parent / "report")
    previous = report(locked_parent / "old", FILES, options=FULL)
    monkeypatch.setattr(outputs.os, "access", lambda p, mode: Path(p) != previous / "en")
    with pytest.raises(OutputError, match=r"cannot replace .*old: .*old/en is not writable"):
        outputs.claim_folder(previous)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_an_unwritable_destination_is_refused_for_real(project, tmp_path):
    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable"):
            outputs.claim_folder(parent / "report")
    finally:
        parent.chmod(0o755)


def test_a_report_is_not_replaced_by_one_of_fewer_languages_or_formats(project, tmp_path):
    claim = outputs.claim_folder(report(tmp_path / "old", FILES, options=FULL))
    outputs.check_keeps_selection(claim, FULL)
    outputs.check_keeps_selection(claim, {**FULL, "formats": ["html", "pdf", "quarto"]})
    with pytest.raises(OutputError) as info:
        outputs.check_keeps_selection(claim, {**FULL, "langs": ["en"]}, suggestion="report/2025-saas-en")
    assert "it holds html ja, pdf ja, which this build would not rebuild" in info.value.message
    assert "report/2025-saas-en" in info.value.message
    with pytest.raises(OutputError, match="html en, html ja, pdf en, pdf ja"):
        outputs.check_keeps_selection(claim, {**FULL, "formats": ["quarto"]})
    with pytest.raises(OutputError, match="quarto site"):
        outputs.check_keeps_selection(outputs.claim_folder(report(tmp_path / "q", FILES, options={
            **FULL, "engine": "quarto"})), FULL)


# ------------------------------------------------------------------------------ files


def _is_ours(path: Path) -> bool:
    return path.read_bytes().startswith(b"ours")


def test_a_single_file_is_written_only_over_one_hakusho_wrote(project, tmp_path):
    target = tmp_path / "out.ipynb"
    assert outputs.claim_file(target, recognise=_is_ours, what="ours") == target.resolve()
    target.write_bytes(b"a user's notebook")
    with pytest.raises(OutputError, match="it is not an executed chapter notebook"):
        outputs.claim_file(target, recognise=_is_ours, what="an executed chapter notebook")
    target.write_bytes(b"ours, from before")
    outputs.write_file(outputs.claim_file(target, recognise=_is_ours, what="ours"), b"ours, new")
    assert target.read_bytes() == b"ours, new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out.ipynb", "proj"]
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        outputs.claim_file(tmp_path / "folder", recognise=_is_ours, what="ours")
    with pytest.raises(OutputError, match="chapter notebooks"):
        outputs.claim_file(project / "notebooks" / "01_one.ipynb", recognise=lambda p: True, what="ours")


def test_notebook_outputs_default_to_an_ignored_folder(project):
    assert outputs.notebook_output_dir("ch4") == project / "report" / "jupyter" / "ch4"
    assert outputs.notebook_output_dir("ch4", "mine") == Path("mine")
    with pytest.raises(OutputError, match="chapter notebooks"):
        outputs.notebook_output_dir("ch4", "notebooks")


def test_small_outputs_keep_earlier_files_and_replace_their_own(project, tmp_path):
    folder = tmp_path / "kpi"
    outputs.write_files(folder, {"kpi_2024.csv": b"a\n", "kpi_2024.en.html": b"<en>"}, command="kpi")
    outputs.write_files(folder, {"kpi_2024.csv": b"b\n", "kpi_2024.ja.html": b"<ja>"}, command="kpi")
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name != MANIFEST} == {
        "kpi_2024.csv": b"b\n", "kpi_2024.en.html": b"<en>", "kpi_2024.ja.html": b"<ja>"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "kpi", "proj"]  # no lock, no staging left
    (folder / "kpi_2024.csv").write_bytes(b"edited")
    with pytest.raises(OutputError, match=r"changed: kpi_2024\.csv"):
        outputs.write_files(folder, {"kpi_2024.csv": b"c\n"}, command="kpi")


def test_a_full_disk_while_writing_small_outputs_changes_nothing(project, tmp_path, monkeypatch):
    folder = tmp_path / "kpi"
    outputs.write_files(folder, {"kpi_2024.csv": b"a\n"}, command="kpi")
    before = snapshot(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder))

    monkeypatch.setattr(publish, "swap_in", full)
    with pytest.raises(OutputError, match=r"no space left on the device .*; nothing was published"):
        outputs.write_files(folder, {"kpi_2024.csv": b"b\n"}, command="kpi")
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------------------ the lock


def test_one_writer_at_a_time_and_the_lock_file_goes_with_it(project, tmp_path):
    target = tmp_path / "report"
    with publish.locked(target):
        assert publish.lock_path(target).exists()
        with pytest.raises(BuildError, match=r"another hakusho command is writing .*report .*wait for it"), \
                publish.locked(target):
            pass
    assert not publish.lock_path(target).exists()
    with publish.locked(target):
        pass
