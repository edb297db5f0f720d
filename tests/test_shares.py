"""A kernel's drawings shared out over forks of it: every drawing is made once, the files are the
ones one process makes, and a fork that printed, warned, failed or died hands its share back to
the kernel, which meets the output, the warning or the error itself. No fork outlives the call."""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path

import pytest
from chapter_fixtures import crosswalk, spec, survey_2023, survey_2025

from hakusho import config
from hakusho.analysis.chapter import compute_chapter
from hakusho.charts import shares

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="shares are forks")


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the forks draw_all makes."""
    made: list[int] = []
    fork = shares._fork

    def recording() -> int:
        pid = fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(shares, "_fork", recording)
    return made


def writer(folder: Path, misbehave=None):
    """A drawing that writes its job's file holding the pid that drew it; ``misbehave(job, in_fork)``
    runs first."""
    kernel = os.getpid()

    def draw(job: int) -> None:
        if misbehave is not None:
            misbehave(job, os.getpid() != kernel)
        (folder / f"{job}.txt").write_text(str(os.getpid()), encoding="utf-8")

    return draw


def drawn_by(folder: Path) -> dict[int, int]:
    return {int(p.stem): int(p.read_text(encoding="utf-8")) for p in folder.glob("*.txt")}


def assert_reaped(pids: list[int]) -> None:
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize(("kernels", "cores", "expected"), [
    (1, 2, 2), (2, 2, 1), (3, 2, 1), (1, 1, 1), (2, 8, 4), (1, 16, 4), (0, 2, 2),
])
def test_each_kernel_draws_in_the_cores_the_others_leave(kernels: int, cores: int, expected: int) -> None:
    assert shares.processes_for(kernels, cores) == expected


def test_the_build_tells_its_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.DRAW_PROCESSES_ENV, raising=False)
    assert config.draw_processes() == 1
    for value, expected in (("2", 2), (" 3 ", 3), ("0", 1), ("", 1), ("two", 1), ("-2", 1)):
        monkeypatch.setenv(config.DRAW_PROCESSES_ENV, value)
        assert config.draw_processes() == expected, value


def test_every_job_is_drawn_once_and_shared_out(tmp_path: Path, forks: list[int]) -> None:
    jobs = list(range(9))
    calls: list[int] = []
    draw = writer(tmp_path)

    def counted(job: int) -> None:
        calls.append(job)
        draw(job)

    shares.draw_all(jobs, counted, 3)
    by = drawn_by(tmp_path)
    assert sorted(by) == jobs
    assert calls == [0, 3, 6]  # this process drew its own share only
    assert {by[j] for j in (0, 3, 6)} == {os.getpid()}
    assert {by[j] for j in (1, 4, 7)} == {forks[0]} and {by[j] for j in (2, 5, 8)} == {forks[1]}
    assert_reaped(forks)


def test_a_few_jobs_are_drawn_here(tmp_path: Path, forks: list[int]) -> None:
    (tmp_path / "one").mkdir()
    shares.draw_all([0, 1, 2], writer(tmp_path), 2)  # one a process is not worth a fork
    shares.draw_all(list(range(8)), writer(tmp_path / "one"), 1)
    assert forks == []
    assert set(drawn_by(tmp_path).values()) == {os.getpid()}
    assert set(drawn_by(tmp_path / "one").values()) == {os.getpid()}


def test_a_fork_that_warns_hands_its_share_back(tmp_path: Path, forks: list[int]) -> None:
    def warn(job: int, in_fork: bool) -> None:
        if job == 3:
            warnings.warn("glyph missing", UserWarning, stacklevel=1)

    with pytest.warns(UserWarning, match="glyph missing"):
        shares.draw_all(list(range(6)), writer(tmp_path, warn), 2)
    assert set(drawn_by(tmp_path).values()) == {os.getpid()}  # the odd jobs drawn again, here
    assert_reaped(forks)


def test_a_fork_that_prints_hands_its_share_back(tmp_path: Path, forks: list[int],
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    def say(job: int, in_fork: bool) -> None:
        if job == 1:
            print("drawing job 1")

    shares.draw_all(list(range(6)), writer(tmp_path, say), 2)
    assert capfd.readouterr().out == "drawing job 1\n"  # once, from this process
    assert {drawn_by(tmp_path)[j] for j in (1, 3, 5)} == {os.getpid()}


def test_a_fork_that_fails_or_dies_hands_its_share_back(tmp_path: Path, forks: list[int]) -> None:
    def die(job: int, in_fork: bool) -> None:
        if in_fork:
            os.kill(os.getpid(), signal.SIGKILL)

    (tmp_path / "died").mkdir()
    shares.draw_all(list(range(6)), writer(tmp_path / "died", die), 2)
    assert sorted(drawn_by(tmp_path / "died")) == list(range(6))
    assert set(drawn_by(tmp_path / "died").values()) == {os.getpid()}

    def fail(job: int, in_fork: bool) -> None:
        if job == 5:
            raise ValueError("no such chart")

    with pytest.raises(ValueError, match="no such chart"):  # met here, where the notebook sees it
        shares.draw_all(list(range(6)), writer(tmp_path, fail), 2)
    assert sorted(drawn_by(tmp_path)) == [0, 1, 2, 3, 4]
    assert_reaped(forks)


def test_a_fork_that_hangs_is_stopped_and_its_share_drawn_here(tmp_path: Path, forks: list[int],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shares, "MIN_PATIENCE", 0.3)

    def hang(job: int, in_fork: bool) -> None:
        if in_fork:
            time.sleep(30)

    started = time.monotonic()
    shares.draw_all(list(range(6)), writer(tmp_path, hang), 2)
    assert time.monotonic() - started < 5
    assert sorted(drawn_by(tmp_path)) == list(range(6))
    assert set(drawn_by(tmp_path).values()) == {os.getpid()}
    assert_reaped(forks)


def test_a_failure_here_stops_the_forks_at_once(tmp_path: Path, forks: list[int]) -> None:
    def slow_or_fail(job: int, in_fork: bool) -> None:
        if in_fork:
            time.sleep(1.0)
        elif job == 0:
            raise KeyboardInterrupt  # the notebook interrupted while drawing

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        shares.draw_all(list(range(6)), writer(tmp_path, slow_or_fail), 2)
    assert time.monotonic() - started < 0.9  # the forks were not waited for
    assert_reaped(forks)
    time.sleep(1.2)
    assert drawn_by(tmp_path) == {}  # and drew nothing after the call


def test_a_chapter_drawn_in_two_processes_is_the_same_bytes(tmp_path: Path, forks: list[int],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    result = compute_chapter("t1", survey_2025(), survey_2023(), crosswalk=crosswalk(), spec=spec(), segment="saas")
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))  # two builds' stores: nothing copied
    monkeypatch.setenv(config.DRAW_PROCESSES_ENV, "1")
    alone = result.write(tmp_path / "one").output_dir
    assert forks == []
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache2"))
    monkeypatch.setenv(config.DRAW_PROCESSES_ENV, "2")
    shared = result.write(tmp_path / "two").output_dir
    assert len(forks) == 1
    names = sorted(p.name for p in (alone / "charts").glob("*.svg"))
    assert names == sorted(p.name for p in (shared / "charts").glob("*.svg")) and len(names) >= 4
    for name in names:
        assert (alone / "charts" / name).read_bytes() == (shared / "charts" / name).read_bytes(), name
    assert len(list((tmp_path / "cache2" / "charts").iterdir())) == len(names)  # the forks stored theirs
