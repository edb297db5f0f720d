"""``hakusho init DIR``: a new project folder an editor can build from at once.

It writes ``hakusho.toml``, the codebook to adapt, the perturbation secret that keys the noise
of researcher outputs, a ``.gitignore`` that keeps raw exports and that secret out of version
control, commentary stubs for every chapter, and a CI
workflow; with ``--sample`` also the synthetic sample (both waves' raw data, their codebooks,
the crosswalk, the calibration and the sample's commentary), so that ``hakusho build`` works
straight away. Notebooks, templates and specs are not copied: they come from the installed
package until the editor places a file of the same name in the project to override one.

It never overwrites anything: a target folder that exists and is not empty is refused, and so is
one that sits where no command writes (:func:`hakusho.pipeline.outputs.check_location`).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from hakusho import __version__
from hakusho.errors import Problem
from hakusho.messages import Msg
from hakusho.project import PACKAGE_DIR, PROJECT_FILE, ProjectError, sample_root

SCAFFOLD_DIR = PACKAGE_DIR / "resources" / "project"
SAMPLE_WAVE = "2025"
SAMPLE_COMPARE = "2023"
STUB_LANGS = ("ja", "en")


@dataclass
class Scaffold:
    """What ``init`` wrote, for the message that follows."""

    root: Path
    sample: bool
    wave: str
    files: list[Path] = field(default_factory=list)

    def next_steps(self) -> list[str]:
        """The commands an editor runs next, in order."""
        where = self.root.name
        steps: list[str] = [f"cd {where}"]
        if self.sample:
            steps += [Msg("scaffold.step.build_sample", wave=self.wave)]
        else:
            steps += [Msg("scaffold.step.export", wave=self.wave), f"hakusho validate data/raw/{self.wave}",
                      "hakusho build"]
        steps += [Msg("scaffold.step.commentary", wave=self.wave),
                  "git init && git add . && git commit -m 'hakusho project'"]
        return steps


def _refuse_if_not_empty(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise ProjectError(Msg("scaffold.is_a_file", path=root),
                           [Problem(Msg("scaffold.not_a_folder"), file=str(root),
                                    expected=Msg("scaffold.expected.new"))])
    if root.is_dir() and any(root.iterdir()):
        names = sorted(p.name for p in root.iterdir())
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        raise ProjectError(Msg("scaffold.not_empty", path=root, shown=shown),
                           [Problem(Msg("scaffold.folder_not_empty"), file=str(root),
                                    expected=Msg("scaffold.expected.other_name"))])


def _write(scaffold: Scaffold, rel: str, text: str) -> None:
    path = scaffold.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as fh:  # "x": never replaces a file
        fh.write(text)
    scaffold.files.append(path)


def _copy(scaffold: Scaffold, source: Path, rel: str) -> None:
    path = scaffold.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(path, "xb") as dst:
        shutil.copyfileobj(src, dst)
    scaffold.files.append(path)


def _template(template: str, **values: str) -> str:
    return (SCAFFOLD_DIR / template).read_text(encoding="utf-8").format(**values)


def codebook_to_adapt(text: str) -> str:
    """The sample's codebook as the start of a real one: it no longer says its data is synthetic."""
    text = re.sub(r"(?m)^(\s*synthetic:\s*)true\s*$", r"\1false", text)
    # The sample's note (two language lines under `note:`) describes the synthetic data.
    return re.sub(r"(?m)^  note:\n(    \w\w: .*\n)+", "", text)


def commentary_stub(lang: str, chapter: str, title: str, references: list[str] = ()) -> str:
    """A commentary file with nothing published yet: it guides the editor, and the build treats
    it as not written (generated headlines stand in; the log names it)."""
    listed = ""
    if references:
        head = "前の版で使った参照:" if lang == "ja" else "References the previous edition used:"
        listed = "\n" + head + "\n" + "\n".join(f"  ${{{ref}}}" for ref in references) + "\n"
    return _template(f"commentary_stub.{lang}.md", chapter=chapter, title=title, references=listed)


def _chapter_titles() -> list[tuple[str, dict[str, str]]]:
    """The opening summary and every chapter of the packaged spec, with their titles."""
    from hakusho.analysis.spec import load_spec
    from hakusho.project import default_path

    spec = load_spec(default_path("spec/chapters.yml"))
    titles = [("summary", {"ja": "報告書全体の要約", "en": "the report's opening summary"})]
    return titles + [(ch.id, {"ja": ch.title.ja, "en": ch.title.en}) for ch in spec.chapters]


def init_project(root: Path, *, sample: bool = False) -> Scaffold:
    """Make a new project in ``root`` (new or empty); see the module docstring."""
    from hakusho.pipeline.outputs import check_location

    check_location(root)  # not inside another project's inputs, a report, the package, …
    root = Path(root).absolute()
    _refuse_if_not_empty(root)
    source = sample_root()
    wave = SAMPLE_WAVE
    scaffold = Scaffold(root=root, sample=sample, wave=wave)
    root.mkdir(parents=True, exist_ok=True)
    compare = json.dumps([SAMPLE_COMPARE] if sample else [])
    _write(scaffold, PROJECT_FILE, _template("hakusho.toml.tmpl", name=root.name, wave=wave, compare=compare))
    _write(scaffold, ".gitignore", _template("gitignore.tmpl"))
    # The secret that keys the perturbation of researcher outputs: made now, beside the
    # .gitignore that keeps it out of version control (a build would otherwise make it on first use).
    from hakusho.analysis.perturbation import ensure_secret, secret_path

    ensure_secret(root)
    scaffold.files.append(secret_path(root))
    _write(scaffold, ".github/workflows/report.yml", _template("workflow.yml.tmpl", version=__version__, wave=wave))
    books = source / "codebook"
    if sample:
        for path in sorted(books.rglob("*.yml")):
            _copy(scaffold, path, f"data/codebook/{path.relative_to(books).as_posix()}")
        for wave_dir in sorted(p for p in (source / "raw").iterdir() if p.is_dir()):
            for path in sorted(wave_dir.iterdir()):
                if path.is_file():
                    _copy(scaffold, path, f"data/raw/{wave_dir.name}/{path.name}")
        for folder in ("synthetic", "commentary"):
            for path in sorted((source / folder).rglob("*")):
                if path.is_file():
                    _copy(scaffold, path, f"data/{folder}/{path.relative_to(source / folder).as_posix()}")
        if (source / "README.md").is_file():
            _copy(scaffold, source / "README.md", "data/README.md")
    else:
        _write(scaffold, f"data/codebook/{wave}.yml",
               codebook_to_adapt((books / f"{wave}.yml").read_text(encoding="utf-8")))
        (root / "data" / "raw" / wave).mkdir(parents=True, exist_ok=True)
        for chapter, title in _chapter_titles():
            for lang in STUB_LANGS:
                _write(scaffold, f"data/commentary/{wave}/{chapter}.{lang}.md",
                       commentary_stub(lang, chapter, title[lang]))
        guide = source / "commentary" / "README.md"
        if guide.is_file():
            _copy(scaffold, guide, "data/commentary/README.md")
    return scaffold
