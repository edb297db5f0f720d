"""``hakusho build`` as a process: killed (SIGKILL) or interrupted (Ctrl-C) mid-build it leaves
the previous report exactly as it was; errors are one line; a no-op rebuild imports no pandas.

The command runs as ``python tests/fake_project.py …``: the real CLI with the fake renderers and
validation of tests/fake_project.py installed, on a copy of a prebuilt fake project."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fake_project import point, prepare, script_env

from hakusho.pipeline import build
from hakusho.pipeline.cache import tree_hashes
from hakusho.pipeline.kernel import RUN_DIR_PREFIX
from hakusho.pipeline.options import BuildOptions

SCRIPT = Path(__file__).resolve().parent / "fake_project.py"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    base = prepare(tmp_path_factory.mktemp("cli-template"))
    with pytest.MonkeyPatch.context() as mp:
        point(mp, base)
        build.build(BuildOptions(jobs=1))
    return base


@pytest.fixture
def base(template, tmp_path):
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return tmp_path


def hakusho(base: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=script_env(base, **env), cwd=base,
                          capture_output=True, text=True, timeout=timeout)


def start(base: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], env=script_env(base, **env), cwd=base,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 90) -> int:
    """Wait until a fake notebook or renderer writes its marker; returns the pid it runs in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text().split()[-1])
        if proc.poll() is not None:
            raise AssertionError(f"the build ended early: {proc.stdout.read()} {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the build never reached the slow step")


def gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie waiting for its reaper is gone for our purpose
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


def report(base: Path) -> dict[str, str]:
    return tree_hashes(base / "proj" / "report" / "2025")


def leftovers(base: Path) -> list[str]:
    return sorted(p.name for p in (base / "proj" / "report").iterdir() if ".tmp-" in p.name)


def test_help_documents_every_option(base):
    out = hakusho(base, "build", "--help", COLUMNS="200").stdout
    for option in ("--wave", "--compare", "--segment", "--chapters", "--lang", "--format", "--engine", "--filter",
                   "--allow-small-base", "--data-dir", "--out", "--force", "--jobs", "--quiet"):
        assert option in out
    assert "VAR OP VALUE" in out
    for command in ("verify", "notebook"):
        assert "Usage" in hakusho(base, command, "--help").stdout


def test_noop_rebuild_imports_no_pandas(base):
    result = hakusho(base, "build", "--quiet", FAKE_SHOW_MODULES="1")
    assert result.returncode == 0, result.stderr
    assert "report/2025 is up to date" in result.stdout
    assert result.stdout.splitlines()[-1] == "imported: "  # none of pandas, numpy, matplotlib, papermill…


def test_plain_lines_when_not_a_terminal_and_filters_in_either_form(base):
    three = hakusho(base, "build", "--chapters", "ch1", "--filter", "route", "==", "sns", "--jobs", "1")
    assert three.returncode == 0, three.stderr
    assert "ch1" in three.stdout and "executed in" in three.stdout and "\x1b[" not in three.stdout
    assert "built proj/report/2025-saas-route-eq-sns-ch1" in three.stdout
    one = hakusho(base, "build", "--chapters", "ch1", "--filter", "route == sns", "--quiet")
    assert "proj/report/2025-saas-route-eq-sns-ch1 is up to date" in one.stdout
    bad = hakusho(base, "build", "--filter", "route", "==")
    assert bad.returncode == 2 and "VAR OP VALUE" in bad.stderr


def test_a_failing_cell_is_one_line_without_traceback(base):
    before = report(base)
    result = hakusho(base, "build", "--force", "--jobs", "1", FAKE_FAIL_CHAPTER="ch3")
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: stage 'chapters' failed: ch3 (03_three.ipynb) cell 4: ValueError: "
                               "the fake chapter was told to fail")
    assert report(base) == before and leftovers(base) == []


def test_sigkill_during_notebook_execution_leaves_the_report_intact(base):
    before = report(base)
    marker = base / "marker"
    proc = start(base, "build", "--force", "--jobs", "2", "--quiet", FAKE_SLOW_CHAPTER="ch2", FAKE_MARKER=str(marker))
    kernel = wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert report(base) == before
    assert gone(kernel), "the kernel outlived the killed build"
    assert leftovers(base)  # the staging folder of the killed build…
    sockets = list(Path(tempfile.gettempdir()).glob(f"{RUN_DIR_PREFIX}{proc.pid}-*"))
    assert sockets  # … and its kernels' socket folder
    again = hakusho(base, "build", "--quiet")
    assert again.returncode == 0, again.stderr
    assert leftovers(base) == []  # …are removed by the next build
    assert not any(p.exists() for p in sockets)
    assert report(base) == before  # nothing changed: the cached chapters rebuild the same report


def test_sigkill_during_assembly_leaves_the_report_intact(base):
    before = report(base)
    (base / "proj" / "templates" / "page.txt").write_text("<title>changed {lang}</title>\n")
    marker = base / "marker"
    proc = start(base, "build", "--jobs", "2", "--quiet", FAKE_SLOW_RENDER="1", FAKE_MARKER=str(marker))
    renderer = wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert report(base) == before
    assert gone(renderer), "a render process outlived the killed build"
    again = hakusho(base, "build", "--quiet")
    assert again.returncode == 0, again.stderr
    assert leftovers(base) == []
    assert "changed" in (base / "proj" / "report" / "2025" / "en" / "index.html").read_text()


def test_ctrl_c_names_the_stage_and_publishes_nothing(base):
    before = report(base)
    marker = base / "marker"
    proc = start(base, "build", "--force", "--jobs", "1", "--quiet", FAKE_SLOW_CHAPTER="ch1", FAKE_MARKER=str(marker))
    kernel = wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted during stage 'chapters': nothing was published; proj/report/2025 is unchanged" in err
    assert "Traceback" not in err
    assert report(base) == before and leftovers(base) == []
    assert gone(kernel)


def test_verify_command_exit_status(base):
    ok = hakusho(base, "verify", "proj/report/2025", "--jobs", "1", "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert "identical to a fresh rebuild" in ok.stdout
    (base / "proj" / "report" / "2025" / "data" / "ch1_count.csv").write_text("tampered\n")
    bad = hakusho(base, "verify", "proj/report/2025", "--jobs", "1", "--quiet")
    assert bad.returncode == 4
    assert "differs: data/ch1_count.csv" in bad.stderr and "differs from a fresh rebuild" in bad.stderr
