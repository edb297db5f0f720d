"""The manifest: deterministic, complete, and able to tell when a report was changed by hand."""

from __future__ import annotations

import json

from hakusho.pipeline.manifest import (
    changed_inputs,
    compare_trees,
    compare_with_manifest,
    manifest_document,
    output_hashes,
    outputs_intact,
    read_manifest,
    write_manifest,
)


def report(path, **files):
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    return path


def document(tree):
    return manifest_document(build_key="k", options={"wave": "2025"}, source_date_epoch=1, inputs={"b": "2", "a": "1"},
                             outputs=output_hashes(tree), libraries={"pandas": "3"}, hakusho_version="0.1.0")


def test_written_sorted_and_read_back(tmp_path):
    tree = report(tmp_path / "r", **{"en/index.html": "x", "data/t.csv": "a\n"})
    path = write_manifest(tree, document(tree))
    text = path.read_text()
    assert text.endswith("\n") and list(json.loads(text)["inputs"]) == ["a", "b"]
    assert read_manifest(tree)["outputs"] == output_hashes(tree)
    assert "manifest.json" not in read_manifest(tree)["outputs"]
    write_manifest(tree, document(tree))
    assert path.read_text() == text


def test_outputs_intact_and_tampering(tmp_path):
    tree = report(tmp_path / "r", **{"en/index.html": "x", "data/t.csv": "a\n"})
    manifest = document(tree)
    write_manifest(tree, manifest)
    assert outputs_intact(tree, manifest) and not compare_with_manifest(tree, manifest)
    (tree / "en" / "index.html").write_text("y")
    (tree / "extra.txt").write_text("z")
    (tree / "data" / "t.csv").unlink()
    assert not outputs_intact(tree, manifest)
    assert compare_with_manifest(tree, manifest).lines() == [
        "differs: en/index.html", "missing: data/t.csv", "unexpected: extra.txt"]


def test_compare_trees_and_inputs(tmp_path):
    a = report(tmp_path / "a", **{"x": "1", "y": "2"})
    b = report(tmp_path / "b", **{"x": "1", "y": "3", "z": "4"})
    diff = compare_trees(a, b)
    assert diff.differing == ["y"] and diff.missing == ["z"] and not diff.extra
    assert not compare_trees(a, a)
    assert changed_inputs({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == [
        "changed input: b", "new input: c"]
    assert read_manifest(tmp_path / "nothing") is None
