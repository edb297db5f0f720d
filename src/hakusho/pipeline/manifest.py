"""``manifest.json``: what a report was built from and what it holds, and checking it.

The manifest lists the sha256 of every input (notebooks, raw data, codebooks, commentary,
templates, the package's code and data) and every output file, the options and build date
(``SOURCE_DATE_EPOCH``) the report was built with, and the versions of the libraries that matter.
Paths are logical (``data/raw/2025/responses.csv``, ``hakusho/chapter.py``), never absolute, and
keys are sorted: the manifest is as reproducible as the report it describes.

Two uses: a no-op rebuild compares its build key and the files on disk with the manifest and
stops there; ``hakusho verify`` rebuilds the report in a temporary folder and compares file by
file (:func:`compare_trees`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hakusho.build_folder import MANIFEST
from hakusho.messages import Msg
from hakusho.pipeline.cache import sha256_file, tree_hashes

MANIFEST_FORMAT = 1


def output_hashes(tree: Path) -> dict[str, str]:
    """sha256 of every file of a report tree except the manifest itself."""
    hashes = tree_hashes(tree)
    hashes.pop(MANIFEST, None)
    return hashes


def manifest_document(*, build_key: str, options: Mapping[str, Any], source_date_epoch: int,
                      inputs: Mapping[str, str], outputs: Mapping[str, str],
                      libraries: Mapping[str, str], hakusho_version: str) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "hakusho": hakusho_version,
        "build_key": build_key,
        "options": dict(options),
        "source_date_epoch": int(source_date_epoch),
        "libraries": dict(sorted(libraries.items())),
        "inputs": dict(sorted(inputs.items())),
        "outputs": dict(sorted(outputs.items())),
    }


def write_manifest(tree: Path, document: Mapping[str, Any]) -> Path:
    path = Path(tree) / MANIFEST
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def read_manifest(tree: Path) -> dict[str, Any] | None:
    """The manifest of a report folder, or None when there is none (or it is unreadable)."""
    try:
        doc = json.loads((Path(tree) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT else None


def outputs_intact(tree: Path, manifest: Mapping[str, Any]) -> bool:
    """Whether the folder holds exactly the files the manifest lists, byte for byte."""
    listed = manifest.get("outputs")
    if not isinstance(listed, dict):
        return False
    tree = Path(tree)
    on_disk = {rel for rel, _ in _files(tree)}
    if on_disk != set(listed):
        return False
    return all(sha256_file(tree / rel) == digest for rel, digest in listed.items())


def _files(tree: Path) -> list[tuple[str, Path]]:
    from hakusho.pipeline.cache import tree_files

    return [(rel, p) for rel, p in tree_files(tree) if rel != MANIFEST]


@dataclass
class TreeDiff:
    """How a report folder differs from a reference (paths relative to the folders)."""

    missing: list[str] = field(default_factory=list)  # in the reference, not in the folder
    extra: list[str] = field(default_factory=list)  # in the folder, not in the reference
    differing: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.differing)

    def lines(self) -> list[str]:
        return ([Msg("manifest.differs", path=p) for p in self.differing]
                + [Msg("manifest.missing", path=p) for p in self.missing]
                + [Msg("manifest.unexpected", path=p) for p in self.extra])


def compare_trees(folder: Path, reference: Path) -> TreeDiff:
    """File-by-file comparison of two report folders (manifest included)."""
    ours = tree_hashes(Path(folder))
    theirs = tree_hashes(Path(reference))
    return TreeDiff(
        missing=sorted(set(theirs) - set(ours)),
        extra=sorted(set(ours) - set(theirs)),
        differing=sorted(p for p in set(ours) & set(theirs) if ours[p] != theirs[p]),
    )


def compare_with_manifest(folder: Path, manifest: Mapping[str, Any]) -> TreeDiff:
    """How a folder's files differ from the outputs its own manifest lists."""
    listed = dict(manifest.get("outputs") or {})
    ours = output_hashes(Path(folder))
    return TreeDiff(
        missing=sorted(set(listed) - set(ours)),
        extra=sorted(set(ours) - set(listed)),
        differing=sorted(p for p in set(ours) & set(listed) if ours[p] != listed[p]),
    )


def changed_inputs(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Inputs whose content differs between a manifest and the working tree, as lines."""
    lines = [Msg("manifest.changed_input", path=p) for p in sorted(set(recorded) & set(current))
             if recorded[p] != current[p]]
    lines += [Msg("manifest.removed_input", path=p) for p in sorted(set(recorded) - set(current))]
    lines += [Msg("manifest.new_input", path=p) for p in sorted(set(current) - set(recorded))]
    return lines
