"""Publishing replaces the report whole or not at all, and cleans up after killed builds."""

from __future__ import annotations

import pytest

from hakusho.errors import BuildError, OutputError
from hakusho.pipeline import publish


def tree(path, **files):
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def contents(path):
    return {p.name: p.read_text() for p in sorted(path.iterdir())}


@pytest.mark.parametrize("exchange", [True, False])
def test_swap_in_replaces_the_target_and_keeps_the_old_tree_aside(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    target = tree(tmp_path / "report" / "2025", old="1")
    new = tree(tmp_path / "report" / "new", fresh="2")
    publish.swap_in(new, target)
    assert contents(target) == {"fresh": "2"}
    assert contents(new) == {"old": "1"}


def test_swap_in_without_a_previous_report(tmp_path):
    new = tree(tmp_path / "new", a="1")
    publish.swap_in(new, tmp_path / "report")
    assert contents(tmp_path / "report") == {"a": "1"} and not new.exists()


def test_staging_is_removed_whether_published_or_not(tmp_path):
    target = tree(tmp_path / "report" / "2025", old="1")
    with pytest.raises(RuntimeError), publish.Staging(target) as staging:
        (staging.tree / "half").write_text("x")
        raise RuntimeError("a stage failed")
    assert contents(target) == {"old": "1"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["2025"]
    with publish.Staging(target) as staging:
        (staging.tree / "index.html").write_text("new")
        staging.publish()
    assert contents(target) == {"index.html": "new"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["2025"]


def test_clean_stale_removes_leftovers_and_restores_an_interrupted_swap(tmp_path):
    report = tmp_path / "report"
    tree(report / ".2025.tmp-123-abc" / "tree", half="x")
    tree(report / ".2024.tmp-9-x", other="keep")
    tree(report / ".2025.old-77-q", index="previous")
    removed = publish.clean_stale(report / "2025")
    assert [p.name for p in removed] == [".2025.tmp-123-abc"]
    assert contents(report / "2025") == {"index": "previous"}  # put back: the target was missing
    assert (report / ".2024.tmp-9-x").exists()


def test_clean_stale_touches_only_folders_shaped_as_it_makes_them(tmp_path):
    report = tmp_path / "report"
    tree(report / ".2025.tmp-notes", mine="keep")  # not the name pattern
    tree(report / ".2025.tmp-12-abc", mine="keep")  # the pattern, but not what staging holds
    (report / ".2025.tmp-13-def").write_text("a file, not a folder")
    tree(report / ".2025.tmp-14-ghi" / "work", half="x")
    assert [p.name for p in publish.clean_stale(report / "2025")] == [".2025.tmp-14-ghi"]
    assert sorted(p.name for p in report.iterdir()) == [".2025.tmp-12-abc", ".2025.tmp-13-def", ".2025.tmp-notes"]


def test_a_failed_swap_leaves_the_target_and_says_so(tmp_path, monkeypatch):
    target = tree(tmp_path / "report" / "2025", old="1")

    def full(new, old):
        raise OSError(28, "No space left on device", str(old))

    monkeypatch.setattr(publish, "swap_in", full)
    with pytest.raises(OutputError, match=r"no space left on the device .*nothing was published.*unchanged"), \
            publish.Staging(target) as staging:
        (staging.tree / "index.html").write_text("new")
        staging.publish()
    assert contents(target) == {"old": "1"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["2025"]


def test_an_interrupt_during_the_swap_waits_until_it_is_done(tmp_path, monkeypatch):
    import os
    import signal

    target = tree(tmp_path / "report" / "2025", old="1")
    real_swap = publish.swap_in

    def swap_and_get_interrupted(new, old):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives between the two halves of the work
        os.kill(os.getpid(), signal.SIGINT)
        real_swap(new, old)

    monkeypatch.setattr(publish, "swap_in", swap_and_get_interrupted)
    with publish.Staging(target) as staging:
        (staging.tree / "index.html").write_text("new")
        staging.publish()
    assert contents(target) == {"index.html": "new"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["2025"]  # cleaned up all the same
    assert staging.late_signal == signal.SIGTERM
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers given back


def test_one_build_at_a_time_per_target(tmp_path):
    target = tmp_path / "report" / "2025"
    with publish.locked(target):
        with pytest.raises(BuildError, match="another hakusho command is writing"), publish.locked(target):
            pass
        with publish.locked(tmp_path / "report" / "2025-saas-x"):
            pass
    with publish.locked(target):
        pass
