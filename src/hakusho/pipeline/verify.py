"""``hakusho verify``: rebuild a report from scratch and compare it byte for byte."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from hakusho.config import display_path
from hakusho.errors import BuildError, Problem
from hakusho.messages import Msg
from hakusho.pipeline.build import build
from hakusho.pipeline.manifest import changed_inputs, compare_trees, compare_with_manifest, read_manifest
from hakusho.pipeline.options import options_from_manifest
from hakusho.pipeline.progress import Reporter


@dataclass
class VerifyResult:
    folder: Path
    files: int
    differences: list[str]
    changed_inputs: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(folder: Path, *, data_dir: Path | None = None, jobs: int = 0,
           reporter: Reporter | None = None) -> VerifyResult:
    """Rebuild the report in ``folder`` from scratch in a temporary folder and compare.

    Differences are files whose bytes differ from the rebuild, files only one side has, and
    files that no longer match the folder's own manifest (tampering). Inputs changed since the
    report was built are listed too: they explain a difference rather than hide it.
    """
    folder = Path(folder).absolute()
    manifest = read_manifest(folder)
    if manifest is None:
        raise BuildError(Msg("verify.no_manifest", path=display_path(folder)))
    options = options_from_manifest(manifest, data_dir=data_dir)
    tampered = compare_with_manifest(folder, manifest).lines()
    # The rebuild goes to a scratch folder of the system's, never next to the report: a killed
    # verify must not leave anything in a folder the user owns.
    tmp = Path(tempfile.mkdtemp(prefix="hakusho-verify-"))
    try:
        rebuilt = tmp / "report"
        result = build(replace(options, out=rebuilt, cache_dir=tmp / "cache", force=True, jobs=jobs),
                       reporter=reporter)
        plan_inputs = read_manifest(result.target) or {}
        inputs = changed_inputs(manifest.get("inputs") or {}, plan_inputs.get("inputs") or {})
        diff = compare_trees(folder, rebuilt)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [Msg("verify.tampered", line=line) for line in tampered] + diff.lines()
    files = len(manifest.get("outputs") or {}) + 1
    return VerifyResult(folder=folder, files=files, differences=lines, changed_inputs=inputs)


def verify_error(result: VerifyResult) -> BuildError:
    problems = [Problem(line) for line in result.differences + result.changed_inputs]
    return BuildError(Msg("verify.differs", path=display_path(result.folder), n=len(result.differences)),
                      problems)
