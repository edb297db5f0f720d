"""Where hakusho may write, and what it may replace: the one guard every writing command calls.

Publishing a report swaps a whole folder in one step; pointed at the wrong folder, that step would
delete whatever was there. So before a command creates anything — ``build`` (its report folder,
``--format quarto`` included), ``notebook --out``, ``synthesize --out``, ``kpi --out``/``--html``,
``verify`` (its scratch folder) and every command added later — it asks this module:

* :func:`check_location` — is the destination, after resolving symlinks and ``..``, clear of
  everything hakusho reads or must never touch? Refused: a destination that *is or contains* the
  file-system root, the home folder, the project folder or the Python installation running
  hakusho; one that *is, contains or sits inside* the project's inputs (every entry of the
  project folder except ``report/``: ``data/`` with its raw exports, codebooks and commentary,
  ``notebooks/``, ``templates/``, the package, ``tests/``, ``.git`` …), a build cache, the
  installed package, the command's own inputs (``--data-dir``, a ledger) or another hakusho
  report.
* :func:`claim_folder` — may the folder be replaced? Only when it is absent, empty, or a previous
  output of the *same* command that its ``manifest.json`` describes exactly: every file listed
  there, byte for byte, and nothing else (no extra file, folder or symlink). The name of a folder
  proves nothing; its manifest and its contents do. Never the folder the command runs in (or
  one around it): swapped away, it would leave the shell in a deleted folder.
* :func:`claim_file` — the same for a single file: absent, or one that hakusho wrote.
* :func:`check_keeps_selection` — a report is replaced only by one that rebuilds every language
  and format it holds, so no build silently drops another's pages.
* :func:`write_files` / :func:`write_file` — small outputs (KPI tables, a synthetic export, an
  executed notebook) written atomically: a killed command leaves the old file or folder whole.

Every refusal is an :class:`~hakusho.errors.OutputError` raised *before* anything is created, with
one message naming the destination and what is in it. The same rules apply to every command; a
new command calls :func:`claim_folder` (or :func:`claim_file`) and writes through
:mod:`hakusho.pipeline.publish` or :func:`write_files`, and gets them for free.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hakusho import __version__, config, content_store
from hakusho.build_folder import MANIFEST
from hakusho.config import display_path
from hakusho.errors import OutputError
from hakusho.messages import Msg
from hakusho.pipeline.cache import CACHE_DIR_NAME
from hakusho.pipeline.manifest import MANIFEST_FORMAT, read_manifest
from hakusho.pipeline.publish import Staging, current_umask, describe_os_error, is_staging, locked

BUILD = "build"  # the command whose manifests carry no "command" key (report folders)
_SHOWN = 5  # names listed in a refusal before "… and N more"


# ------------------------------------------------------------------------------ where


def resolve(path: Path | str) -> Path:
    """The absolute path with every symlink and ``..`` resolved (the path need not exist)."""
    return Path(os.path.realpath(os.fspath(path)))


@dataclass(frozen=True)
class Guarded:
    """A place hakusho never writes: ``path`` itself and everything containing it; with
    ``inside`` also everything under it."""

    path: Path
    what: str
    inside: bool = True


def _is_output(folder: Path) -> bool:
    return folder.is_dir() and read_manifest(folder) is not None


def _made_by_hakusho(folder: Path, depth: int = 4) -> bool:
    """Whether a folder holds only what builds make: a report (its manifest), a running build's
    staging folder and lock, a build cache, or folders holding nothing else (``--out sub/notes``
    makes ``sub``). Any file of another kind makes it the user's; the walk stops there."""
    if folder.is_symlink() or not folder.is_dir():
        name = folder.name  # a build's lock file, .<target>.lock
        return folder.is_file() and len(name) > 6 and name.startswith(".") and name.endswith(".lock")
    if _is_output(folder) or is_staging(folder) or folder.name == CACHE_DIR_NAME:
        return True
    return depth > 0 and all(_made_by_hakusho(child, depth - 1) for child in folder.iterdir())


def guarded_locations(*, inputs: Iterable[Path | str] = (), caches: Iterable[Path | str] = ()) -> list[Guarded]:
    """Everything :func:`check_location` protects, most specific first.

    ``inputs`` are the command's own inputs (a ``--data-dir``, a ledger, a report being
    verified); ``caches`` its cache folders beyond the project's ``report/.hakusho-cache``.
    Outside any project (``hakusho kpi`` may run anywhere) the project's places drop out and the
    rest still holds.
    """
    from hakusho.project import NoProjectError

    guarded: list[Guarded] = []
    try:
        project = config.current_project()
    except NoProjectError:
        project = None
    if project is not None:
        named = [
            ("RAW_DIR", Msg("outputs.what.raw")),
            ("CODEBOOK_DIR", Msg("outputs.what.codebooks")),
            ("CROSSWALK_DIR", Msg("outputs.what.crosswalks")),
            ("COMMENTARY_DIR", Msg("outputs.what.commentary")),
            ("EDITIONS_DIR", Msg("outputs.what.editions")),
            ("SYNTHETIC_DIR", Msg("outputs.what.synthetic")),
            ("DATA_DIR", Msg("outputs.what.data")),
            ("NOTEBOOKS_DIR", Msg("outputs.what.notebooks")),
            ("TEMPLATES_DIR", Msg("outputs.what.templates")),
        ]
        for attribute, what in named:
            path = getattr(config, attribute, None)
            if path is not None:
                guarded.append(Guarded(resolve(path), what))
        guarded.append(Guarded(resolve(config.REPORT_DIR / CACHE_DIR_NAME), Msg("outputs.what.cache")))
    guarded.append(Guarded(resolve(config.PACKAGE_DIR), Msg("outputs.what.package")))
    guarded += [Guarded(resolve(p), Msg("outputs.what.input")) for p in inputs]
    guarded += [Guarded(resolve(p), Msg("outputs.what.cache")) for p in caches]
    if project is not None:
        root = resolve(project.root)
        report_dir = resolve(config.REPORT_DIR)
        with contextlib.suppress(OSError):
            # Everything else in the project folder is the project's too, except the report
            # folder and what hakusho wrote there (a report built with --out, an empty folder
            # made for one, the staging folder a running build of one writes into).
            for entry in sorted(root.iterdir()):
                real = resolve(entry)
                if real == report_dir or _made_by_hakusho(real):
                    continue
                guarded.append(Guarded(real, Msg("outputs.what.project_part", name=entry.name)))
        guarded.append(Guarded(root, Msg("outputs.what.project"), inside=False))
    site = resolve(config.PACKAGE_DIR).parent
    if site.name in ("site-packages", "dist-packages"):
        guarded.append(Guarded(site, Msg("outputs.what.site_packages")))
    for prefix in dict.fromkeys((sys.prefix, sys.exec_prefix, sys.base_prefix)):
        guarded.append(Guarded(resolve(prefix), Msg("outputs.what.python"), inside=False))
    guarded.append(Guarded(resolve(Path.home()), Msg("outputs.what.home"), inside=False))
    guarded.append(Guarded(Path(os.sep), Msg("outputs.what.root"), inside=False))
    return guarded


def _relation(target: Path, guarded: Guarded) -> str | None:
    if target == guarded.path:
        return "is"
    if target in guarded.path.parents:
        return "contains"
    if guarded.inside and guarded.path in target.parents:
        return "is inside"
    return None


def _named(path: Path | str, real: Path) -> str:
    """The destination as the person typed it, and where it really leads when that differs."""
    shown = display_path(Path(path).absolute())
    if Path(os.path.abspath(path)) == real:
        return shown
    return Msg("outputs.leads_to", path=shown, real=display_path(real))


def check_location(path: Path | str, *, inputs: Iterable[Path | str] = (),
                   caches: Iterable[Path | str] = ()) -> Path:
    """Refuse a destination that is, contains or sits inside a guarded place (see the module
    docstring); returns it resolved. Touches nothing."""
    real = resolve(path)
    found = [(rel, g) for g in guarded_locations(inputs=inputs, caches=caches) if (rel := _relation(real, g))]
    if found:
        # Name the clearest reason: what the destination is, else the most specific place it
        # sits in, else the outermost place it contains (its parent contains "the project").
        relation, guarded = next((f for f in found if f[0] == "is"), None) or next(
            (f for f in found if f[0] == "is inside"), None) or min(found, key=lambda f: len(f[1].path.parts))
        message = (Msg("outputs.is_guarded", path=_named(path, real), what=guarded.what) if relation == "is"
                   else Msg("outputs.inside_guarded", path=_named(path, real), what=guarded.what)
                   if relation == "is inside" else Msg("outputs.contains_guarded", path=_named(path, real),
                                                       what=guarded.what))
        raise OutputError(message)
    if CACHE_DIR_NAME in real.parts:
        raise OutputError(Msg("outputs.inside_cache", path=_named(path, real), cache=CACHE_DIR_NAME))
    for parent in real.parents:
        if _is_output(parent):
            raise OutputError(Msg("outputs.inside_report", path=_named(path, real), report=display_path(parent)))
    return real


def notebook_output_dir(chapter: str, output_dir: str | Path = "") -> Path:
    """Where a chapter notebook writes its outputs (``output_dir`` of its parameters).

    Empty — the notebooks' default, a run by hand in Jupyter — means ``report/jupyter/<chapter>/``,
    which git ignores: a notebook opened in the repository never writes next to itself. A folder
    given must clear :func:`check_location` like any command's output.
    """
    if not str(output_dir):
        return config.JUPYTER_OUTPUT_DIR / chapter
    check_location(output_dir)
    return Path(output_dir)


# ------------------------------------------------------------------------------ what is there


def folder_entries(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Every regular file under ``folder`` (posix path → path), and every other entry: symlinks,
    empty folders, sockets… — nothing is skipped, hidden files included."""
    files: dict[str, Path] = {}
    others: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        for name in list(dirnames):
            path = here / name
            if path.is_symlink():
                dirnames.remove(name)
                others.append(path.relative_to(folder).as_posix())
            elif not any(path.iterdir()):
                others.append(path.relative_to(folder).as_posix() + "/")
        for name in filenames:
            path = here / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink() or not path.is_file():
                others.append(rel)
            else:
                files[rel] = path
    return files, sorted(others)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return Msg("outputs.listing_more", shown=shown, n=len(names) - _SHOWN) if len(names) > _SHOWN else shown


def _top_level(folder: Path) -> list[str]:
    return sorted(p.name + ("/" if p.is_dir() and not p.is_symlink() else "") for p in folder.iterdir())


def _sha256(path: Path) -> str:
    return content_store.file_digest(path)  # a build checks a folder twice: before and under its lock


def manifest_differences(folder: Path, manifest: Mapping[str, Any]) -> list[str]:
    """How a folder departs from its manifest: files changed, missing, or not listed (any
    symlink or empty folder counts as not listed: hakusho writes neither). Empty when the
    manifest describes the folder exactly."""
    listed = manifest.get("outputs")
    if not isinstance(listed, dict):
        return ["the manifest lists no outputs"]
    files, others = folder_entries(folder)
    files.pop(MANIFEST, None)
    lines = [f"changed: {rel}" for rel in sorted(set(files) & set(listed)) if _sha256(files[rel]) != listed[rel]]
    lines += [f"missing: {rel}" for rel in sorted(set(listed) - set(files))]
    lines += [f"not in the manifest: {rel}" for rel in sorted((set(files) - set(listed)) | set(others))]
    return lines


def _unwritable(folder: Path, *, recursive: bool) -> Path | None:
    """The first folder that cannot be written into (itself, or one under it), else None."""
    candidates = [folder]
    if recursive:
        candidates += [Path(d) / n for d, names, _ in os.walk(folder) for n in names
                       if not (Path(d) / n).is_symlink()]
    return next((p for p in candidates if not os.access(p, os.W_OK | os.X_OK)), None)


def _check_parent(real: Path, named: str) -> None:
    """The nearest existing folder above ``real`` must be a folder we may create things in."""
    parent = real.parent
    while not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(Msg("outputs.parent_is_file", path=named, parent=display_path(parent)))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(Msg("outputs.not_writable", path=named, blocked=display_path(parent)))


@dataclass(frozen=True)
class Claim:
    """A destination a command may write: ``state`` says what is there now."""

    path: Path  # resolved
    state: str  # "absent", "empty" or "previous"
    manifest: Mapping[str, Any] | None = None


def claim_folder(path: Path | str, *, command: str = BUILD, inputs: Iterable[Path | str] = (),
                 caches: Iterable[Path | str] = ()) -> Claim:
    """Check that ``command`` may replace the folder ``path`` (see the module docstring) and
    say what is there. Touches nothing; raises :class:`OutputError` with one message."""
    real = check_location(path, inputs=inputs, caches=caches)
    named = _named(path, real)
    try:
        here = Path(os.getcwd()).resolve()
    except OSError:
        here = None
    if here is not None and (here == real or real in here.parents):
        # Replaced whole, the folder would leave the shell standing in a deleted copy of it.
        raise OutputError(Msg("outputs.working_inside", path=named, here=display_path(here)))
    if not os.path.lexists(real):
        _check_parent(real, named)
        return Claim(real, "absent")
    if not real.is_dir():
        raise OutputError(Msg("outputs.is_a_file", path=named))
    top = _top_level(real)
    if not top:
        state = Claim(real, "empty")
    else:
        manifest = read_manifest(real)
        if manifest is None:
            raise OutputError(Msg("outputs.not_ours", path=named, listing=_listing(top)))
        made_by = str(manifest.get("command") or BUILD)
        if made_by != command:
            raise OutputError(Msg("outputs.other_command", path=named, made_by=made_by, command=command))
        differences = manifest_differences(real, manifest)
        if differences:
            raise OutputError(Msg("outputs.changed", path=named, listing=_listing(differences)))
        state = Claim(real, "previous", manifest)
    _check_parent(real, named)
    blocked = _unwritable(real, recursive=True)
    if blocked is not None:
        raise OutputError(Msg("outputs.cannot_replace", path=named, blocked=display_path(blocked)))
    return state


def check_keeps_selection(claim: Claim, record: Mapping[str, Any], *, suggestion: str = "") -> None:
    """Refuse to replace a report with one that leaves out languages or formats it holds.

    ``record`` is the new build's options as its manifest records them. A build of some
    languages or formats goes to its own folder by default; this catches ``--out`` pointed at a
    report of more.
    """
    if claim.manifest is None:
        return
    old = _selection(claim.manifest.get("options") or {})
    dropped = sorted(old - _selection(record))
    if dropped:
        path, held = display_path(claim.path), ", ".join(dropped)
        raise OutputError(Msg("outputs.thinner_to", path=path, held=held, suggestion=suggestion) if suggestion
                          else Msg("outputs.thinner", path=path, held=held))


def _selection(options: Mapping[str, Any]) -> set[str]:
    """What a report holds, as ``"html ja"``, ``"pdf en"``, ``"quarto"``, ``"quarto site"``."""
    if options.get("engine") == "quarto":
        return {"quarto site"}
    formats = list(options.get("formats") or ())
    held = {f"{fmt} {lang}" for fmt in formats if fmt != "quarto" for lang in options.get("langs") or ()}
    return held | ({"quarto"} if "quarto" in formats else set())


def claim_file(path: Path | str, *, recognise: Callable[[Path], bool], what: str,
               inputs: Iterable[Path | str] = ()) -> Path:
    """Check that a command may write the file ``path``: it is absent, or ``recognise`` says
    hakusho wrote it (``what`` names such a file in the refusal). Returns it resolved."""
    real = check_location(path, inputs=inputs)
    named = _named(path, real)
    _check_parent(real, named)
    if os.path.lexists(real):
        if real.is_dir():
            raise OutputError(Msg("outputs.is_a_folder", path=named))
        if not real.is_file() or not recognise(real):
            raise OutputError(Msg("outputs.not_our_file", path=named, what=what))
        if not os.access(real.parent, os.W_OK | os.X_OK):
            raise OutputError(Msg("outputs.not_writable", path=named, blocked=display_path(real.parent)))
    return real


def is_executed_notebook(path: Path) -> bool:
    """Whether a file is a chapter notebook hakusho executed: a notebook whose papermill
    metadata records the parameters the build passes (``hakusho notebook`` replaces only those)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    papermill = (doc.get("metadata") or {}).get("papermill") if isinstance(doc, dict) else None
    parameters = papermill.get("parameters") if isinstance(papermill, dict) else None
    return isinstance(parameters, dict) and {"chapter", "wave", "output_dir"} <= set(parameters)


# ------------------------------------------------------------------------------ writing


def write_file(path: Path, data: bytes) -> Path:
    """Write a file atomically: a temporary file beside it, then one rename. Call
    :func:`claim_file` first."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_files(folder: Path | str, files: Mapping[str, bytes], *, command: str,
                inputs: Iterable[Path | str] = ()) -> list[Path]:
    """Write named files into ``folder`` for ``command``, atomically, with a manifest.

    The folder must pass :func:`claim_folder` for ``command``. The files it already holds from
    earlier runs of the command are kept (a run for another year or language adds to them); a
    file of the same name is replaced. Returns the paths written.
    """
    claim = claim_folder(folder, command=command, inputs=inputs)
    with locked(claim.path):
        claim = claim_folder(claim.path, command=command, inputs=inputs)  # again, holding the lock
        try:
            with Staging(claim.path) as staging:
                outputs: dict[str, bytes] = {}
                for rel in (claim.manifest or {}).get("outputs") or {}:
                    outputs[rel] = (claim.path / rel).read_bytes()
                outputs.update({str(k): bytes(v) for k, v in files.items()})
                for rel, data in sorted(outputs.items()):
                    (staging.tree / rel).parent.mkdir(parents=True, exist_ok=True)
                    (staging.tree / rel).write_bytes(data)
                document = {"format": MANIFEST_FORMAT, "command": command, "hakusho": __version__,
                            "outputs": {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(outputs.items())}}
                (staging.tree / MANIFEST).write_text(
                    json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                staging.publish()
        except OSError as exc:
            message = describe_os_error(exc, display_path(claim.path))
            raise OutputError(Msg("os.nothing_changed", message=message)) from None
    return [Path(folder) / rel for rel in files]
