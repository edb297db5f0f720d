"""Slips and faults, as a user meets them on the command line: every one is refused or stopped
with one clear message (no traceback, non-zero exit) and leaves the previous report and every
input byte for byte as it was.

* slips of ``--out`` (and of every command that writes): the project's inputs, the project
  itself, a user's folder, the cache, a file, a symlink into ``data/``, a report edited by hand…
* partial builds (``--format quarto``, ``--lang en``, ``--format html``) never thin out the
  canonical report;
* SIGTERM and SIGINT at several points of a build, Ctrl-C to the whole process group, two builds
  racing for one folder, a full disk while rendering and publishing, an unwritable folder.

The commands run as ``python tests/fake_project.py …`` (the real CLI with the fake notebooks and
renderers of tests/fake_project.py) on a copy of a prebuilt fake project; the disk faults run
in-process, where the failing call can be replaced.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fake_project import point, prepare, script_env, snapshot

from hakusho import cli
from hakusho.pipeline import build, publish

SCRIPT = Path(__file__).resolve().parent / "fake_project.py"
OPTS = build.BuildOptions(jobs=1, source_date_epoch=1_700_000_000)
CACHE = "proj/report/.hakusho-cache"
CHANGING = (CACHE, "render.log")  # may change during a stopped build: neither is input nor report
LEDGER = "customer_id,month,mrr\nA,2024-01,100\nA,2024-02,100\nB,2024-01,50\nB,2024-02,60\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    base = prepare(tmp_path_factory.mktemp("faults-template"))
    with pytest.MonkeyPatch.context() as mp:
        point(mp, base)
        build.build(OPTS)
    (base / "render.log").unlink()
    (base / "home" / "some-folder").mkdir(parents=True)
    (base / "home" / "some-folder" / "thesis.docx").write_bytes(b"four years of work")
    (base / "home" / "ledger.csv").write_text(LEDGER, encoding="utf-8")
    return base


@pytest.fixture
def base(template, tmp_path):
    shutil.copytree(template, tmp_path, dirs_exist_ok=True, symlinks=True)
    return tmp_path


def run(base: Path, *args: str, cwd: str = "proj", timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=base / cwd, capture_output=True, text=True,
                          timeout=timeout, env=script_env(base, HOME=str(base / "home"), **env))


def start(base: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], cwd=base / "proj", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=script_env(base, HOME=str(base / "home"), **env))


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the command ended early: {proc.stdout.read()} {proc.stderr.read()}")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("the command never reached the slow step")


def one_line_error(result: subprocess.CompletedProcess | tuple[int, str], code: int | None = None) -> str:
    returncode, stderr = result if isinstance(result, tuple) else (result.returncode, result.stderr)
    assert returncode != 0 if code is None else returncode == code, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.strip().splitlines() if not line.startswith(("note: ", "warning: "))]
    assert len(lines) == 1, stderr
    return lines[0]


# ------------------------------------------------------------------------------ slips of --out


def test_the_three_slips_of_the_issue_are_refused_and_nothing_is_touched(base):
    before = snapshot(base)
    slip = ["build", "--chapters", "ch1", "--lang", "en", "--format", "html", "--out"]
    data = one_line_error(run(base, *slip, "data"), 5)
    assert data.startswith("error: refusing to write data: it is the project's data folder")
    root = one_line_error(run(base, *slip, "."), 5)
    assert root.startswith("error: refusing to write .: it is the project folder")
    home = one_line_error(run(base, *slip, str(base / "home" / "some-folder")), 5)
    assert "some-folder: it holds thesis.docx, which hakusho did not write" in home
    assert snapshot(base) == before


@pytest.mark.parametrize(("args", "words"), [
    (["build", "--out", "data/raw"], "it is the project's raw survey exports"),
    (["build", "--out", "data/raw/2025"], "it is inside the project's raw survey exports"),
    (["build", "--out", "data/codebook/new"], "it is inside the project's codebooks"),
    (["build", "--out", "notebooks"], "it is the project's chapter notebooks"),
    (["build", "--out", "templates"], "it is the project's templates"),
    (["build", "--out", "report/.hakusho-cache"], "it is a build cache"),
    (["build", "--out", "report"], "it contains a build cache"),
    (["build", "--out", ".."], "it contains the project folder"),
    (["build", "--out", "/"], "it is the root of the file system"),
    (["build", "--out", "~"], "it is your home folder"),
    (["build", "--out", "link-to-data"], "(which leads to data): it is the project's data folder"),
    (["build", "--out", "link-to-raw/2025"], "(which leads to data/raw/2025): it is inside the project's raw"),
    (["build", "--out", "report/2025/../../data/raw"], "it is the project's raw survey exports"),
    (["build", "--out", "README.md"], "part of the project (README.md)"),
    (["build", "--out", "notes.txt"], "part of the project (notes.txt)"),
    (["build", "--out", "../notes.txt"], "it is a file, not a folder"),
    (["build", "--out", "report/2025/extra"], "it is inside report/2025, a report hakusho built"),
    (["build", "--data-dir", "data/raw", "--out", "data/raw/report"], "it is inside the project's raw"),
    (["notebook", "ch1", "--out", "notebooks/01_one.ipynb"], "it is inside the project's chapter notebooks"),
    (["notebook", "ch1", "--out", "~/some-folder/thesis.docx"], "it is not a chapter notebook hakusho executed"),
    (["synthesize", "--wave", "2025", "--out", "data/codebook"], "it is the project's codebooks"),
    (["init", "data/another-project"], "it is inside the project's data folder"),
    (["init", "report/2025/project"], "it is inside report/2025, a report hakusho built"),
    (["synthesize", "--wave", "2025", "--out", "~/some-folder"], "it holds thesis.docx"),
    (["kpi", "~/ledger.csv", "--no-benchmark", "--out", "data"], "it is the project's data folder"),
    (["kpi", "~/ledger.csv", "--no-benchmark", "--out", "~"], "it is your home folder"),
    (["kpi", "~/ledger.csv", "--no-benchmark", "--html", "--out", "~/some-folder"], "it holds thesis.docx"),
])
def test_every_command_refuses_what_it_must_not_write(project, monkeypatch, args, words):
    """In-process: a refusal comes before any work, so the command's own process adds nothing
    to check (the slips above run as the command line runs them)."""
    base, proj = project.parent, project
    (proj / "link-to-data").symlink_to(proj / "data")
    (base / "link-to-raw").symlink_to(proj / "data" / "raw")
    (proj / "link-to-raw").symlink_to(base / "link-to-raw")
    (proj / "notes.txt").write_text("mine", encoding="utf-8")
    (base / "notes.txt").write_text("mine", encoding="utf-8")
    (proj / "README.md").write_text("the project\n", encoding="utf-8")
    before = snapshot(base)
    home = str(base / "home")
    args = [a.replace("~", home, 1) if a.startswith("~") else a for a in args]
    monkeypatch.chdir(proj)
    monkeypatch.setenv("HOME", home)
    message = one_line_error(_cli(args), 5)
    assert message.startswith("error: refusing to "), message
    assert words in message
    assert snapshot(base) == before


def test_a_report_edited_by_hand_is_not_replaced(base):
    page = base / "proj" / "report" / "2025" / "en" / "index.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- my note -->", encoding="utf-8")
    before = snapshot(base)
    message = one_line_error(run(base, "build", "--force"), 5)
    assert "refusing to replace report/2025: its files no longer match its manifest.json (changed: en/index.html)" \
        in message
    assert snapshot(base) == before


def test_a_notebook_run_from_its_own_folder_never_replaces_the_source(base):
    before = snapshot(base)
    message = one_line_error(run(base, "notebook", "ch1", cwd="proj/notebooks"), 5)
    assert message.startswith("error: refusing to write 01_one.ipynb")
    assert snapshot(base) == before
    written = run(base, "notebook", "ch1", "--out", str(base / "out" / "ch1.ipynb"), "--quiet")
    assert written.returncode == 0, written.stderr
    again = run(base, "notebook", "ch1", "--out", str(base / "out" / "ch1.ipynb"), "--quiet")
    assert again.returncode == 0, again.stderr  # its own earlier output may be replaced


# ------------------------------------------------------------------------------ partial builds


@pytest.fixture
def project(base, monkeypatch):
    point(monkeypatch, base)
    return base / "proj"


@pytest.mark.parametrize(("options", "folder"), [
    ({"formats": ("quarto",)}, "2025-saas-quarto"),
    ({"langs": ("en",)}, "2025-saas-en"),
    ({"formats": ("html",)}, "2025-saas-html"),
    ({"langs": ("ja",), "formats": ("pdf",)}, "2025-saas-ja-pdf"),
    ({"formats": ("html", "pdf", "quarto")}, "2025-saas-html+pdf+quarto"),
    ({"engine": "quarto"}, "2025-saas-engine-quarto"),
])
def test_a_build_of_some_languages_or_formats_goes_to_its_own_folder(project, options, folder):
    canonical = snapshot(project / "report" / "2025")
    result = build.build(replace(OPTS, **options))
    assert result.target == project / "report" / folder
    assert snapshot(project / "report" / "2025") == canonical


def test_out_never_thins_out_a_report_of_more_languages_or_formats(project):
    before = snapshot(project.parent, skip=(CACHE,))
    code, err = _cli(["build", "--format", "quarto", "--out", str(project / "report" / "2025")])
    message = one_line_error((code, err), 5)
    assert "it holds html en, html ja, pdf en, pdf ja, xlsx en, xlsx ja, which this build would not rebuild" in message
    assert "report/2025-saas-quarto" in message
    assert snapshot(project.parent, skip=(CACHE,)) == before
    wider = build.build(replace(OPTS, formats=("html", "pdf", "xlsx", "quarto"), out=project / "report" / "2025"))
    assert (wider.target / "quarto" / "_quarto.yml").is_file() and (wider.target / "ja" / "index.html").is_file()


# ------------------------------------------------------------------------------ signals


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize(("stage", "env"), [
    ("validate", {"FAKE_SLOW_VALIDATE": "1"}),
    ("chapters", {"FAKE_SLOW_CHAPTER": "ch2"}),
    ("assemble", {"FAKE_SLOW_RENDER": "1"}),
])
def test_a_signal_at_any_stage_publishes_nothing(base, sig, stage, env):
    before = snapshot(base, skip=CHANGING)
    marker = base / "marker"
    proc = start(base, "build", "--force", "--jobs", "2", "--quiet", FAKE_MARKER=str(marker), **env)
    wait_for(marker, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    message = one_line_error((proc.returncode, err), 130)
    assert message == (f"error: interrupted during stage '{stage}': nothing was published; "
                       "report/2025 is unchanged")
    marker.unlink()
    assert snapshot(base, skip=CHANGING) == before


def test_ctrl_c_in_a_terminal_reaches_every_process_and_publishes_nothing(base):
    """A terminal sends SIGINT to the whole process group: the build, its kernels, its renderers."""
    before = snapshot(base, skip=CHANGING)
    marker = base / "marker"
    proc = start(base, "build", "--force", "--jobs", "2", "--quiet", FAKE_SLOW_CHAPTER="ch1",
                 FAKE_MARKER=str(marker))
    wait_for(marker, proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    message = one_line_error((proc.returncode, err), 130)
    assert "nothing was published; report/2025 is unchanged" in message
    marker.unlink()
    assert snapshot(base, skip=CHANGING) == before


def test_two_builds_racing_for_one_folder(base):
    before = snapshot(base, skip=CHANGING)
    marker = base / "marker"
    first = start(base, "build", "--force", "--jobs", "1", "--quiet", FAKE_SLOW_CHAPTER="ch1",
                  FAKE_MARKER=str(marker))
    wait_for(marker, first)
    second = run(base, "build", "--force", "--quiet")
    assert one_line_error(second, 4) == ("error: another hakusho command is writing report/2025 (it holds "
                                         "report/.2025.lock); wait for it to finish, then run this one again")
    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=60)
    assert "nothing was published" in one_line_error((first.returncode, err), 130)
    marker.unlink()
    assert snapshot(base, skip=CHANGING) == before  # no lock file, no staging folder left either


# ------------------------------------------------------------------------------ disks and permissions


def _cli(args: list[str]) -> tuple[int, str]:
    """The command in-process (so that a failing call can be replaced); its exit code and stderr."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, err.getvalue()


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[-1]) if args else None)


@pytest.mark.parametrize(("where", "words"), [
    ("fake_project.render_html", "stage 'assemble' failed: html ja: cannot write the rendered files: "
                                 "no space left on the device"),
    ("shutil.copyfile", "failed: cannot write the build: no space left on the device"),
    ("hakusho.pipeline.publish.swap_in", "stage 'publish' failed: cannot write report/2025: no space left on the "
                                         "device"),
    ("tempfile.mkdtemp", "cannot write report/2025: no space left on the device"),
])
def test_a_full_disk_at_any_step_leaves_the_report(project, monkeypatch, where, words):
    monkeypatch.chdir(project)
    page = project / "templates" / "page.txt"
    page.write_text("<title>changed {lang}</title>\n", encoding="utf-8")  # something to render
    before = snapshot(project.parent, skip=CHANGING)
    monkeypatch.setattr(where, _enospc)
    message = one_line_error(_cli(["build", "--jobs", "1", "--quiet"]))
    assert words in message
    assert "unchanged" in message or "nothing was changed" in message
    monkeypatch.undo()
    assert snapshot(project.parent, skip=CHANGING) == before


def test_a_full_disk_in_the_middle_of_the_fallback_swap_puts_the_report_back(project, monkeypatch):
    monkeypatch.chdir(project)
    (project / "templates" / "page.txt").write_text("<title>changed {lang}</title>\n", encoding="utf-8")
    before = snapshot(project.parent, skip=CHANGING)
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    real_rename = os.rename
    aside: list[str] = []

    def rename(src, dst):
        if Path(dst).name.startswith(".2025.old-"):
            aside.append(str(dst))
        elif aside and Path(src).name == "tree":  # the old report is aside; moving the new one in fails
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    message = one_line_error(_cli(["build", "--jobs", "1", "--quiet"]))
    assert aside and "stage 'publish' failed" in message and "no space left on the device" in message
    monkeypatch.undo()
    assert snapshot(project.parent, skip=CHANGING) == before


def test_an_unwritable_output_folder_is_refused_before_anything_runs(project, monkeypatch, tmp_path):
    monkeypatch.chdir(project)
    shared = tmp_path / "shared"
    shared.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != shared and real_access(p, mode))
    before = snapshot(tmp_path, skip=(CACHE,))
    message = one_line_error(_cli(["build", "--out", str(shared / "report")]), 5)
    assert message.endswith("shared is not writable (permission denied)")
    assert snapshot(tmp_path, skip=(CACHE,)) == before


def test_permission_denied_by_the_system_is_one_line(project, monkeypatch):
    """What the operating system refuses although the check passed (a root-owned folder, a
    read-only mount) is still one line and leaves the report."""
    monkeypatch.chdir(project)
    before = snapshot(project.parent, skip=(CACHE,))

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(project / "report"))

    monkeypatch.setattr(publish.tempfile, "mkdtemp", denied)
    message = one_line_error(_cli(["build", "--force", "--quiet"]), 5)
    assert message == "error: cannot write report/2025: permission denied (report); nothing was changed"
    assert snapshot(project.parent, skip=(CACHE,)) == before
