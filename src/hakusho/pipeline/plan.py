"""What a build will do, decided from hashes alone: which notebooks run, where the report goes,
and the cache key of every stage.

Planning is cheap (no pandas, no kernels): a rebuild with nothing to do stops after it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hakusho import __version__, config
from hakusho.config import display_path
from hakusho.errors import BuildError
from hakusho.i18n import LANGS
from hakusho.messages import Msg
from hakusho.pipeline.cache import (
    CACHE_FORMAT,
    Cache,
    assembly_library_versions,
    cache_dir_for,
    chapter_library_versions,
    digest,
    is_assembly_only,
    sha256_file,
    tree_hashes,
)
from hakusho.pipeline.manifest import outputs_intact, read_manifest
from hakusho.pipeline.options import (
    DEFAULT_FORMATS,
    DEFAULT_SEGMENT,
    ENGINES,
    FORMATS,
    BuildOptions,
    check_options,
    options_record,
    source_date_epoch,
)

# Folders of data/ that are not assembly inputs: raw exports and codebooks are hashed on their
# own (chapters and validation read them), the synthetic generator's targets feed no build.
_NOT_ASSEMBLY_DATA = ("raw/*", "codebook/*", "synthetic/*", "editions/*", "README*.md", "*/README*.md")


@dataclass(frozen=True)
class Task:
    """One assembly step: a renderer for one format (and language)."""

    name: str  # "html ja", "pdf en", "quarto"
    fmt: str
    lang: str | None
    key: str


@dataclass
class Plan:
    options: BuildOptions
    target: Path
    cache: Cache
    epoch: int
    notebooks: dict[str, Path]  # chapter id -> notebook, the chapters built, in report order
    parts: list[str]  # of those, notebooks that are not chapters of the report (cross analysis)
    params: dict[str, dict[str, Any]]
    chapter_keys: dict[str, str]
    validate_key: str
    filters_key: str  # "" without filters
    tasks: list[Task]
    inputs: dict[str, str]  # logical path -> sha256, for the manifest
    record: dict[str, Any]  # the options as the manifest records them
    build_key: str


_PARAM_CHAPTER = re.compile(r"""^\s*chapter\s*=\s*["']([A-Za-z0-9_-]+)["']""", re.MULTILINE)
_NOTEBOOK_NAME = re.compile(r"^\d\d_[A-Za-z0-9_-]+\.ipynb$")


def discover_notebooks(folder: Path | None = None) -> dict[str, Path]:
    """Chapter id → notebook, for ``notebooks/NN_name.ipynb`` in file-name order: the package's
    notebooks with the project's own laid over them by file name (or those of ``folder``).

    The id is read from the notebook's ``parameters`` cell (``chapter = "ch1"``), so the notebook
    itself says which chapter it computes.
    """
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            raise BuildError(Msg("plan.no_notebooks_folder", path=display_path(folder)))
        candidates = sorted(folder.iterdir())
    else:
        folder = config.NOTEBOOKS_DIR
        candidates = list(config.current_project().files("notebooks", "*.ipynb").values())
    found: dict[str, Path] = {}
    for path in candidates:
        if not _NOTEBOOK_NAME.match(path.name):
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BuildError(Msg("plan.bad_notebook", name=path.name, detail=exc)) from None
        chapter = None
        for cell in doc.get("cells", []):
            if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
                source = cell.get("source", "")
                m = _PARAM_CHAPTER.search("".join(source) if isinstance(source, list) else source)
                chapter = m.group(1) if m else None
                break
        if chapter is None:
            raise BuildError(Msg("plan.no_parameters", name=path.name))
        if chapter in found:
            raise BuildError(Msg("plan.same_chapter", name=path.name, other=found[chapter].name, chapter=chapter))
        found[chapter] = path
    if not found:
        raise BuildError(Msg("plan.no_notebooks", path=display_path(folder)))
    return found


def report_chapters(wave: str | None = None) -> list[str]:
    """The chapter ids of the spec, in report order (read without building the whole spec
    model: a no-op rebuild needs only the ids)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(config.edition_file("chapters.yml", wave).read_text(encoding="utf-8"), Loader=loader)
        return [str(c["id"]) for c in doc["chapters"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise BuildError(Msg("plan.no_chapter_list", wave=wave or config.DEFAULT_WAVE, detail=exc)) from None


def default_target(options: BuildOptions, all_chapters: Sequence[str], chapters: Sequence[str]) -> Path:
    """Where a build goes: ``report/<wave>`` for the canonical report — every chapter, both
    languages, HTML and PDF; any build that shows or holds something else (another segment, a
    filter, a comparison, some chapters, some languages or formats, the Quarto engine) gets its
    own folder, named by what differs, so it can never overwrite or thin out the canonical one."""
    if options.out is not None:
        return Path(options.out).absolute()
    parts = [options.wave]
    subset = list(chapters) != list(all_chapters)
    langs = tuple(lang for lang in LANGS if lang in options.langs)
    formats = tuple(f for f in FORMATS if f in options.formats)
    selection = langs != LANGS or formats != DEFAULT_FORMATS or options.engine != ENGINES[0]
    usual = config.current_project().compare_for(options.wave)  # the edition's own comparison
    canonical = (options.segment == DEFAULT_SEGMENT and not options.filters and not subset and not selection
                 and options.compare_wave == usual)
    if not canonical:
        parts.append(options.segment)
        if options.compare_wave != usual:
            parts.append(f"vs{options.compare_wave.replace(',', '+') or 'none'}")
        if options.filters:
            from hakusho.survey.codebook import Condition
            from hakusho.survey.filters import filter_slug

            parts.append(filter_slug([Condition(var=v, op=o, value=x) for v, o, x in options.filters]))
        if subset:
            parts.append("+".join(chapters))
        if langs != LANGS:
            parts.append("+".join(langs))
        if options.engine != ENGINES[0]:
            parts.append(f"engine-{options.engine}")
        elif formats != DEFAULT_FORMATS:
            parts.append("+".join(formats))
    return config.REPORT_DIR / "-".join(parts)


def researcher_fingerprint(options: BuildOptions) -> str:
    """The perturbation secret's fingerprint for a researcher's build (a filter, or a segment the
    spec does not mark published); "" for the published reports, whose counts are exact."""
    from hakusho.analysis.spec import default_spec

    spec = default_spec(options.wave)
    if not options.filters and options.segment in spec.segments and spec.segments[options.segment].published:
        return ""
    from hakusho.analysis.perturbation import ensure_secret, secret_fingerprint

    return secret_fingerprint(ensure_secret(config.PROJECT_ROOT))


def chart_langs(options: BuildOptions) -> list[str]:
    """The languages a build's charts are drawn in: the report's (a Quarto book holds both). The
    first is the one its executed notebooks show (their ``lang`` parameter)."""
    if options.engine == "quarto" or "quarto" in options.formats:
        return list(LANGS)
    return [lang for lang in options.langs if lang in LANGS] or list(LANGS)


def _codebook_hashes(waves: Sequence[str]) -> dict[str, str]:
    """The codebooks and crosswalks a build reads: those of its waves (and of the project's
    default pair, which reference charts may quote) — never another edition's. Starting the next
    edition must not change what an earlier report was built from (``hakusho verify``)."""
    read = sorted({*waves, config.DEFAULT_WAVE, config.DEFAULT_COMPARE_WAVE} - {""})
    hashes = {}
    for wave in read:
        path = config.CODEBOOK_DIR / f"{wave}.yml"
        if path.is_file():
            hashes[f"data/codebook/{wave}.yml"] = sha256_file(path)
        for other in read:
            pair = config.crosswalk_path(wave, other)
            if pair.is_file():
                hashes[f"data/codebook/crosswalk/{pair.name}"] = sha256_file(pair)
    return hashes


def _not_assembly_data(wave: str) -> tuple[str, ...]:
    """What of the data folder the renderers never read: the exports, codebooks and editions
    (hashed where the chapters read them), the guides, and other editions' commentary."""
    others: list[str] = []
    commentary = Path(config.COMMENTARY_DIR)
    with contextlib.suppress(OSError, ValueError):
        rel = commentary.resolve().relative_to(Path(config.DATA_DIR).resolve()).as_posix()
        others = [f"{rel}/{d.name}/*" for d in sorted(commentary.iterdir()) if d.is_dir() and d.name != wave]
    return (*_NOT_ASSEMBLY_DATA, *others)


def of_language(data: dict[str, str], lang: str) -> dict[str, str]:
    """The data files a renderer of one language reads: the commentary in the other languages
    (``<chapter>.<other>.md``) left out, so that an edit of the Japanese text re-renders the
    Japanese page and deck only. (The commentary of every language is still checked by every
    build that renders any of them.)"""
    others = tuple(f".{other}.md" for other in LANGS if other != lang)
    commentary = _commentary_prefix()
    return {k: v for k, v in data.items() if not (k.startswith(commentary) and k.endswith(others))}


def _commentary_prefix() -> str:
    """``data/<commentary folder>/`` as the keys of the data files spell it."""
    with contextlib.suppress(OSError, ValueError):
        rel = Path(config.COMMENTARY_DIR).resolve().relative_to(Path(config.DATA_DIR).resolve()).as_posix()
        return f"data/{rel}/"
    return "data/commentary/"


def make_plan(options: BuildOptions) -> Plan:
    """Everything a build will do, decided from hashes alone (cheap: no pandas, no kernels)."""
    check_options(options)
    every = discover_notebooks()
    # The report is the spec's chapters and, after them, the parts other notebooks compute (the
    # cross-analysis part), whose outputs go to parts/<id>/ of the build folder. Naming chapters
    # builds only those.
    spec_chapters = report_chapters(options.wave)
    in_report = [c for c in every if c in spec_chapters]
    chosen = options.chapters or tuple(every)
    unknown = [c for c in chosen if c not in every]
    if unknown:
        raise BuildError(Msg("plan.unknown_chapter", name=unknown[0], valid=", ".join(every)))
    notebooks = {c: every[c] for c in every if c in chosen}
    parts = [c for c in notebooks if c not in in_report]
    target = default_target(options, list(every), list(notebooks))
    cache = Cache(Path(options.cache_dir) if options.cache_dir else cache_dir_for(target))
    epoch = source_date_epoch(options.source_date_epoch)

    data_root = Path(options.data_dir).absolute() if options.data_dir else config.RAW_DIR
    data_label = "data/raw" if options.data_dir is None else "<data-dir>"
    waves = [w.strip() for w in (options.wave, *options.compare_wave.split(",")) if w.strip()]
    raw = {}
    for w in waves:
        raw.update(tree_hashes(data_root / w, prefix=f"{data_label}/{w}/"))
    if not any(k.startswith(f"{data_label}/{options.wave}/") for k in raw):
        raise BuildError(Msg("plan.no_raw_data", wave=options.wave, path=display_path(data_root / options.wave)))
    codebooks = _codebook_hashes(waves)
    # The edition's own content contract (chapters, crosses, headlines) feeds the chapters too.
    # (Its released record is the output of an earlier build, never an input.)
    codebooks.update(tree_hashes(config.current_project().edition_dir(options.wave), prefix="edition/",
                                 exclude=("released/*",)))
    package = tree_hashes(config.PACKAGE_DIR, prefix="hakusho/")
    project = config.current_project()
    templates = {f"templates/{rel}": sha256_file(p) for rel, p in project.files("templates").items()}
    # The project's own specs, style and catalogs stand in for the package's: hashed like it.
    for rel, path in project.overrides().items():
        if not rel.startswith(("notebooks/", "templates/")):
            package[f"hakusho/{rel}"] = sha256_file(path)
    chapter_package = {k: v for k, v in package.items() if not is_assembly_only(k[len("hakusho/"):])}
    extra_data = tree_hashes(config.DATA_DIR, prefix="data/", exclude=_not_assembly_data(options.wave))
    nb_hashes = {f"notebooks/{p.name}": sha256_file(p) for p in notebooks.values()}

    params: dict[str, dict[str, Any]] = {}
    chapter_keys: dict[str, str] = {}
    libs = chapter_library_versions()
    # A researcher's build perturbs its counts with the project's secret (made on first use): a
    # new secret means new numbers, so its fingerprint (never the secret) keys the chapters.
    protection = researcher_fingerprint(options)
    for chapter, path in notebooks.items():
        params[chapter] = {
            "chapter": chapter,
            "wave": options.wave,
            "compare_wave": options.compare_wave,
            "segment": options.segment,
            "filters": [list(f) for f in options.filters],
            "allow_small_base": bool(options.allow_small_base),
            "lang": chart_langs(options)[0],
            "data_dir": "" if options.data_dir is None else str(data_root),
            "codebook_dir": "",
            "output_dir": chapter,
        }
        chapter_keys[chapter] = digest({
            "stage": "chapter", "cache": CACHE_FORMAT, "notebook": nb_hashes[f"notebooks/{path.name}"],
            "parameters": {**params[chapter], "data_dir": params[chapter]["data_dir"] and data_label},
            "raw": raw, "codebooks": codebooks, "package": chapter_package, "libraries": libs,
            "protection": protection,
        })

    record = options_record(options, list(notebooks))
    validate_key = digest({
        "stage": "validate", "cache": CACHE_FORMAT, "waves": waves, "raw": raw, "codebooks": codebooks,
        "package": chapter_package, "libraries": libs,
    })
    filters_key = digest({"stage": "filters", "cache": CACHE_FORMAT, "wave": options.wave, "codebooks": codebooks,
                          "package": chapter_package, "filters": record["filters"]}) if options.filters else ""
    # A renderer's output depends on what the report contains, not on which other languages or
    # formats are built alongside it.
    contents = {k: v for k, v in record.items() if k not in ("langs", "formats")}
    assembly_common = {
        "stage": "assemble", "cache": CACHE_FORMAT, "options": contents, "epoch": epoch,
        "chapters": [chapter_keys[c] for c in notebooks], "codebooks": codebooks, "templates": templates,
        "data": extra_data, "package": package, "libraries": assembly_library_versions(),
    }
    tasks: list[Task] = []
    if len(parts) == len(notebooks):
        pass  # nothing for the renderers: the report holds the part's tables and notebook
    elif options.engine == "quarto":
        tasks.append(Task("quarto", "quarto", None, digest({**assembly_common, "task": "quarto-engine"})))
    else:
        for fmt in (f for f in FORMATS if f in options.formats):
            if fmt == "quarto":
                tasks.append(Task("quarto", "quarto", None, digest({**assembly_common, "task": "quarto"})))
                continue
            for lang in (lang for lang in LANGS if lang in options.langs):
                own = {**assembly_common, "data": of_language(extra_data, lang), "task": f"{fmt}-{lang}"}
                tasks.append(Task(f"{fmt} {lang}", fmt, lang, digest(own)))

    inputs = {**nb_hashes, **raw, **codebooks, **package, **templates, **extra_data}
    build_key = digest({"record": record, "epoch": epoch, "chapters": chapter_keys,
                        "tasks": {t.name: t.key for t in tasks}, "hakusho": __version__})
    return Plan(options=options, target=target, cache=cache, epoch=epoch, notebooks=notebooks, parts=parts,
                params=params, chapter_keys=chapter_keys, validate_key=validate_key, filters_key=filters_key,
                tasks=tasks, inputs=inputs, record=record, build_key=build_key)


def up_to_date(plan: Plan) -> bool:
    """Whether the published report is exactly what this build would produce."""
    manifest = read_manifest(plan.target)
    return bool(manifest) and manifest.get("build_key") == plan.build_key and outputs_intact(plan.target, manifest)

