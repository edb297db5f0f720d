"""Cache keys are content hashes: same bytes, same key, whatever the timestamps or key order."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusho import config, i18n
from hakusho.pipeline.cache import (
    FILE_ENTRIES_KEPT,
    Cache,
    cache_dir_for,
    digest,
    is_assembly_only,
    sha256_file,
    tree_hashes,
)
from hakusho.pipeline.kernel import notebook_imports


def test_tree_hashes_are_sorted_relative_and_skip_bytecode(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.py").write_text("x = 1\n")
    (tmp_path / "a.yml").write_text("a: 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "b" / "y.pyc").write_bytes(b"\0")
    hashes = tree_hashes(tmp_path, prefix="pkg/")
    assert list(hashes) == ["pkg/a.yml", "pkg/b/x.py"]
    assert hashes["pkg/a.yml"] == sha256_file(tmp_path / "a.yml")
    assert tree_hashes(tmp_path, exclude=["b/*"]) == {"a.yml": hashes["pkg/a.yml"]}
    assert tree_hashes(tmp_path / "missing") == {}


def test_content_not_time_decides(tmp_path):
    (tmp_path / "f.csv").write_text("id\n1\n")
    before = tree_hashes(tmp_path)
    os.utime(tmp_path / "f.csv", (1, 1))
    assert tree_hashes(tmp_path) == before
    (tmp_path / "f.csv").write_text("id\n2\n")
    os.utime(tmp_path / "f.csv", (1, 1))
    assert tree_hashes(tmp_path) != before


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=8), max_size=8))
def test_digest_ignores_key_order(mapping):
    reordered = dict(reversed(list(mapping.items())))
    assert digest(mapping) == digest(reordered)
    assert digest({"k": mapping}) != digest({"k": {**mapping, "\x00extra": 1}})


def test_put_get_mark_and_prune(tmp_path):
    cache = Cache(tmp_path / "cache")
    src = tmp_path / "src"
    (src / "tables").mkdir(parents=True)
    (src / "tables" / "t.csv").write_text("a\n")
    assert cache.get("chapters", "k1") is None
    entry = cache.put("chapters", "k1", src)
    assert (entry / "tables" / "t.csv").read_text() == "a\n"
    (src / "tables" / "t.csv").write_text("changed\n")  # a copy, not a link
    assert (cache.get("chapters", "k1") / "tables" / "t.csv").read_text() == "a\n"
    cache.mark("validated", "v1", {"ok": True})
    assert cache.get("validated", "v1") is not None
    assert not [p for p in (tmp_path / "cache" / "chapters").iterdir() if p.name.startswith(".tmp-")]
    for i in range(5):
        cache.put("chapters", f"old{i}", src)
        os.utime(cache.entry("chapters", f"old{i}"), (100 + i, 100 + i))
    assert cache.prune(keep=3) == 3
    left = sorted(p.name for p in (tmp_path / "cache" / "chapters").iterdir())
    assert left == ["k1", "old3", "old4"]


def test_catalogs_only_the_assembly_reads():
    assert is_assembly_only("locale/ja/LC_MESSAGES/report.po")
    assert not is_assembly_only("locale/ja/LC_MESSAGES/charts.po")
    assert not is_assembly_only("analysis/chapter.py")


def _module_file(name: str) -> Path | None:
    """The package file of a ``hakusho.…`` module (a package's __init__.py), None for others."""
    if name != "hakusho" and not name.startswith("hakusho."):
        return None
    base = config.PACKAGE_DIR.joinpath(*name.split(".")[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_by(path: Path) -> set[str]:
    """Every hakusho module a file imports, at the top or inside a function (``from a import b``
    counts ``a.b`` when that is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if _module_file(name) is not None}


def test_nothing_a_notebook_runs_is_declared_assembly_only():
    """The chapter key leaves out the package files only renderers read: a file a notebook reaches
    (through any import, however deep or late) must never be among them, or a chapter would be
    taken from the cache after the code that computes it changed."""
    imported = notebook_imports(sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")))
    names = {part for entry in imported for part in (entry.split(":")[0], entry.replace(":", "."))}
    todo = sorted(m for m in names if _module_file(m))
    assert "hakusho.analysis" in todo
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # importing a.b.c runs a and a.b
        todo += sorted(_imported_by(_module_file(name)))  # type: ignore[arg-type]
    reached = {_module_file(m).relative_to(config.PACKAGE_DIR).as_posix() for m in seen}  # type: ignore[union-attr]
    assert {"analysis/chapter.py", "analysis/cross.py", "charts/draw.py", "survey/load.py"} <= reached
    assert sorted(rel for rel in reached if is_assembly_only(rel)) == []


@pytest.mark.parametrize("rel", ["render/page.py", "render/viewmodel.py", "text/prose.py", "text/commentary.py",
                                 "spec/headlines.yml", "kpi/formulas.py", "pipeline/plan.py",
                                 "locale/en/LC_MESSAGES/commentary.po", "locale/ja/LC_MESSAGES/kpi.po"])
def test_what_only_the_renderers_read_is_assembly_only(rel):
    assert (config.PACKAGE_DIR / rel).is_file() and is_assembly_only(rel)


def test_chapters_and_crosses_read_no_catalog_of_the_renderers(tmp_path, monkeypatch):
    from hakusho.analysis.chapter import run_chapter
    from hakusho.analysis.cross import run_crosses
    from hakusho.survey.load import load_waves

    read: set[str] = set()
    original = i18n.messages

    def recording(lang: str, domain: str = "report"):
        read.add(domain)
        return original(lang, domain)

    monkeypatch.setattr(i18n, "messages", recording)
    run_chapter("ch2", output_dir=tmp_path / "ch2")
    run_crosses(load_waves("2025")[0], output_dir=tmp_path / "cross")
    assert {"notes", "charts", "cross"} <= read
    assert sorted(d for d in read if is_assembly_only(f"locale/en/LC_MESSAGES/{d}.po")) == []


def test_cache_lives_next_to_the_output(tmp_path):
    assert cache_dir_for(tmp_path / "report" / "2025") == tmp_path / "report" / ".hakusho-cache"


def test_a_prune_stopped_half_way_leaves_no_half_entry(tmp_path, monkeypatch):
    cache = Cache(tmp_path / "cache")
    src = tmp_path / "src"
    (src / "charts").mkdir(parents=True)
    for name in ("a.svg", "b.svg"):
        (src / "charts" / name).write_text("<svg/>")
    for i in range(3):
        cache.put("chapters", f"k{i}", src)
        os.utime(cache.entry("chapters", f"k{i}"), (100 + i, 100 + i))

    def killed(path, **kwargs):  # the process dies after deleting one file of the entry
        next(Path(path).rglob("*.svg")).unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr("hakusho.pipeline.cache.shutil.rmtree", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.prune(keep=2)
    assert cache.get("chapters", "k0") is None  # out of the index before anything was deleted
    assert sorted(p.name for p in (src / "charts").iterdir()) == ["a.svg", "b.svg"]
    for key in ("k1", "k2"):
        assert sorted(p.name for p in (cache.entry("chapters", key) / "charts").iterdir()) == ["a.svg", "b.svg"]


def test_prune_keeps_many_single_file_entries_and_removes_them_whole(tmp_path, monkeypatch):
    cache = Cache(tmp_path / "cache")
    monkeypatch.setitem(FILE_ENTRIES_KEPT, "charts", 3)
    charts = tmp_path / "cache" / "charts"
    charts.mkdir(parents=True)
    for i in range(5):
        (charts / f"c{i}.svg").write_text("<svg/>")
        os.utime(charts / f"c{i}.svg", (100 + i, 100 + i))
    (charts / ".tmp-abandoned").write_text("half")
    os.utime(charts / ".tmp-abandoned", (0, 0))
    for i in range(50):  # a folder kind keeps its own count
        cache.mark("validated", f"v{i}")
    assert cache.prune(keep=48) == 2 + 2
    assert sorted(p.name for p in charts.iterdir()) == ["c2.svg", "c3.svg", "c4.svg"]


# ------------------------------------------------------------------------------ kept in memory


def test_work_is_kept_by_content_and_the_least_recently_used_goes_first() -> None:
    from hakusho.content_store import Remembered

    kept: Remembered[str] = Remembered(2)
    made: list[str] = []

    def make(value: str) -> str:
        made.append(value)
        return value.upper()

    assert kept.get("a", lambda: make("a")) == "A" and kept.get("a", lambda: make("a")) == "A"
    kept.get("b", lambda: make("b"))
    kept.get("a", lambda: make("a"))  # a is the most recently used: b goes when c comes
    kept.get("c", lambda: make("c"))
    kept.get("a", lambda: make("a"))
    kept.get("b", lambda: make("b"))
    assert made == ["a", "b", "c", "b"]

    def fail() -> str:
        raise ValueError("not made")

    with pytest.raises(ValueError):
        kept.get("d", fail)
    assert kept.get("d", lambda: "made after all") == "made after all"  # a failure is not kept


def test_a_file_digest_is_remembered_only_once_the_file_has_settled(tmp_path: Path, monkeypatch) -> None:
    """A digest is reused while the file is unchanged; a file written within the last seconds
    is hashed again every time (its times are kept to a clock tick, so a second write of the
    same size could leave them as they were)."""
    import hashlib

    from hakusho.content_store import file_digest

    path = tmp_path / "report.html"
    path.write_bytes(b"first")
    assert file_digest(path) == hashlib.sha256(b"first").hexdigest()
    path.write_bytes(b"other")  # same size, at once: not remembered, so seen
    assert file_digest(path) == hashlib.sha256(b"other").hexdigest()
    old = 1_600_000_000
    os.utime(path, (old, old))  # settled (its status change time moves with utime: still recent)
    assert file_digest(path) == hashlib.sha256(b"other").hexdigest()
    with open(path, "r+b") as fh:  # changed in place, same size
        fh.write(b"OTHER")
    os.utime(path, (old, old))
    assert file_digest(path) == hashlib.sha256(b"OTHER").hexdigest()
    from hakusho import content_store

    assert not [k for k in content_store._DIGESTS if k[0] == str(path)]  # recent: never kept
    monkeypatch.setattr(content_store, "_SETTLED_NS", -1)  # as if it had been written long ago
    assert file_digest(path) == hashlib.sha256(b"OTHER").hexdigest()
    assert [v for k, v in content_store._DIGESTS.items() if k[0] == str(path)] == [hashlib.sha256(b"OTHER").hexdigest()]
    with open(path, "r+b") as fh:  # a later write changes the status change time: hashed again
        fh.write(b"again")
    assert file_digest(path) == hashlib.sha256(b"again").hexdigest()
