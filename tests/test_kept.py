"""A kernel kept between ``hakusho notebook`` commands: taken by the next command that would have
started the same kernel, never by another, stopped when idle, on a failure or on a mismatch, and
giving the same executed notebook as a fresh kernel."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fake_project import point, prepare

from hakusho.pipeline import build, kept
from hakusho.pipeline.kept import KeptKernel, keep_seconds, kept_folder, kernel_key
from hakusho.pipeline.kernel import process_alive
from hakusho.pipeline.options import BuildOptions, parse_filters

OPTS = BuildOptions(jobs=1, source_date_epoch=1_700_000_000, keep_kernel=60.0)


def _alive(pid: int) -> bool:
    return process_alive(int(pid))


@pytest.fixture
def project(tmp_path, monkeypatch):
    prepare(tmp_path)
    point(monkeypatch, tmp_path)
    root = tmp_path / "proj"
    monkeypatch.chdir(root)
    folder = kept_folder(root / "report" / ".hakusho-cache")
    yield root
    info = _info(folder)
    if info.get("pid") and _alive(int(info["pid"])):
        os.kill(int(info["pid"]), signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def _folder(root: Path) -> Path:
    return kept_folder(root / "report" / ".hakusho-cache")


def _info(folder: Path) -> dict:
    try:
        return json.loads((folder / kept.INFO).read_text(encoding="utf-8"))
    except OSError:
        return {}


def _notebook(options: BuildOptions, out: Path, *filters: str) -> Path:
    return build.chapter_notebook(replace(options, filters=parse_filters(list(filters))), "ch3", out)


def test_how_long_a_kernel_is_kept_is_read_from_the_environment() -> None:
    assert keep_seconds({}) == 600.0
    assert keep_seconds({"HAKUSHO_KEEP_KERNEL": " 30 "}) == 30.0
    assert keep_seconds({"HAKUSHO_KEEP_KERNEL": "0.5"}) == 0.5
    for never in ("0", "-5", "soon", "inf", "nan"):
        assert keep_seconds({"HAKUSHO_KEEP_KERNEL": never}) == 0.0, never


def test_a_kept_kernel_serves_only_the_kernel_it_would_have_been(project) -> None:
    env = {"PATH": "/bin", "HAKUSHO_CACHE": "c", "PWD": "/a", "OLDPWD": "/b", "SHLVL": "1", "_": "x"}
    key = kernel_key(env, "import pandas", 60.0)
    assert kernel_key({**env, "PWD": "/elsewhere", "SHLVL": "2", "_": "y"}, "import pandas", 60.0) == key
    assert kernel_key({**env, "HAKUSHO_CACHE": "d"}, "import pandas", 60.0) != key
    assert kernel_key({**env, "LANG": "C"}, "import pandas", 60.0) != key
    assert kernel_key(env, "import scipy", 60.0) != key
    assert kernel_key(env, "import pandas", 61.0) != key
    from hakusho import config

    (config.PACKAGE_DIR / "analysis" / "chapter.py").write_text("# edited\n", encoding="utf-8")
    assert kernel_key(env, "import pandas", 60.0) != key, "an edit of the package starts a new kernel"


def test_the_next_command_takes_the_kept_kernel_and_writes_the_same_notebook(project, tmp_path) -> None:
    _notebook(OPTS, tmp_path / "first.ipynb", "route == sns")
    first = _info(_folder(project))
    assert first and _alive(first["pid"]), "the kernel outlives the command"
    _notebook(OPTS, tmp_path / "kept.ipynb", "route == panel")
    assert _info(_folder(project))["pid"] == first["pid"], "the second command took it over"
    _notebook(replace(OPTS, keep_kernel=0.0, force=True), tmp_path / "fresh.ipynb", "route == panel")
    assert (tmp_path / "kept.ipynb").read_bytes() == (tmp_path / "fresh.ipynb").read_bytes()
    assert _info(_folder(project))["pid"] == first["pid"], "a command keeping no kernel leaves it alone"


def test_an_idle_kept_kernel_stops_by_itself(project, tmp_path) -> None:
    _notebook(replace(OPTS, keep_kernel=1.0), tmp_path / "a.ipynb", "route == sns")
    pid = _info(_folder(project))["pid"]
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)
    assert not (_folder(project) / kept.INFO).exists()


def test_a_dead_or_mismatched_kept_kernel_is_replaced(project, tmp_path) -> None:
    _notebook(OPTS, tmp_path / "a.ipynb", "route == sns")
    dead = _info(_folder(project))["pid"]
    os.kill(dead, signal.SIGKILL)
    _notebook(OPTS, tmp_path / "b.ipynb", "route == panel")
    second = _info(_folder(project))["pid"]
    assert second != dead and _alive(second)
    _notebook(replace(OPTS, keep_kernel=61.0), tmp_path / "c.ipynb", "route != sns")
    third = _info(_folder(project))["pid"]
    assert third != second and _alive(third)
    deadline = time.monotonic() + 5
    while _alive(second) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(second), "the kernel that no longer serves is stopped"


def test_a_recorded_process_id_given_to_another_program_is_left_alone(project, tmp_path) -> None:
    import subprocess
    import sys

    _notebook(OPTS, tmp_path / "a.ipynb", "route == sns")
    folder = _folder(project)
    kernel_pid = _info(folder)["pid"]
    os.kill(kernel_pid, signal.SIGKILL)
    # The kernel died; its process id now belongs to some other program of the user's.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        info = _info(folder)
        info["pid"] = other.pid
        (folder / kept.INFO).write_text(json.dumps(info), encoding="utf-8")
        _notebook(OPTS, tmp_path / "b.ipynb", "route == panel")
        assert other.poll() is None, "another program was killed as if it were the kept kernel"
        new = _info(folder)["pid"]
        assert new not in (other.pid, kernel_pid) and _alive(new)
    finally:
        other.kill()
        other.wait()


def test_a_kept_kernel_in_use_is_left_to_its_command(project, tmp_path) -> None:
    _notebook(OPTS, tmp_path / "a.ipynb", "route == sns")
    before = _info(_folder(project))
    holder = KeptKernel(project / "report" / ".hakusho-cache", seconds=60.0)
    assert holder.acquire()
    try:
        assert not KeptKernel(project / "report" / ".hakusho-cache", seconds=60.0).acquire()
        _notebook(OPTS, tmp_path / "b.ipynb", "route == panel")  # on a kernel of its own
        assert _info(_folder(project)) == before and _alive(before["pid"])
    finally:
        holder.release()
    assert (tmp_path / "b.ipynb").is_file()


def test_a_failed_command_stops_the_kept_kernel(project, tmp_path, monkeypatch) -> None:
    _notebook(OPTS, tmp_path / "a.ipynb", "route == sns")
    pid = _info(_folder(project))["pid"]
    notebook = project / "notebooks" / "03_three.ipynb"
    doc = json.loads(notebook.read_text(encoding="utf-8"))
    doc["cells"].append({"cell_type": "code", "id": "boom", "metadata": {}, "execution_count": None, "outputs": [],
                         "source": "raise RuntimeError('boom')"})
    notebook.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(Exception, match="boom"):
        _notebook(OPTS, tmp_path / "b.ipynb", "route == panel")
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid) and not (_folder(project) / kept.INFO).exists()


def test_a_build_of_one_chapter_keeps_a_kernel_of_its_own(project, tmp_path) -> None:
    _notebook(OPTS, tmp_path / "a.ipynb", "route == sns")
    notebook_kernel = _info(_folder(project))["pid"]
    cache = project / "report" / ".hakusho-cache"
    try:
        for rule in ("route == panel", "route != sns"):
            build.build(replace(OPTS, chapters=("ch3",), filters=parse_filters([rule])))
            if rule == "route == panel":
                first = _info(kept_folder(cache, "build"))["pid"]
        assert _info(kept_folder(cache, "build"))["pid"] == first != notebook_kernel
        assert _info(_folder(project))["pid"] == notebook_kernel and _alive(notebook_kernel)
    finally:
        pid = _info(kept_folder(cache, "build")).get("pid")
        if pid and _alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(kept_folder(cache, "build"), ignore_errors=True)


def test_a_folder_that_is_not_the_users_alone_is_never_used(project, tmp_path) -> None:
    cache = project / "report" / ".hakusho-cache"
    folder = kept_folder(cache)
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # readable by others: the connection file would be too
    assert not KeptKernel(cache, seconds=60.0).acquire()
    _notebook(OPTS, tmp_path / "a.ipynb", "route == sns")  # runs on a kernel of its own
    assert not (folder / kept.INFO).exists() and (tmp_path / "a.ipynb").is_file()
    folder.rmdir()
    folder.symlink_to(tmp_path, target_is_directory=True)
    try:
        assert not KeptKernel(cache, seconds=60.0).acquire()
    finally:
        folder.unlink()
