"""What ``hakusho build`` can be told, checked, and how the manifest records it.

Options are a frozen value (:class:`BuildOptions`) made once from the command line (or read back
from a report's manifest by ``hakusho verify``); everything after that only reads them. Filters
are parsed here, by the survey stage's filter grammar (:mod:`hakusho.survey.filters`), so that
parsing a filter never imports the analysis.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hakusho import config
from hakusho.errors import BuildError, FilterError
from hakusho.i18n import LANGS
from hakusho.messages import Msg
from hakusho.project import DEFAULT_FORMATS, FORMATS

SEGMENTS = ("saas", "non_saas", "all")
DEFAULT_SEGMENT = "saas"
ENGINES = ("internal", "quarto")
# The date chapters see (their outputs must not depend on it) and the report's date when neither
# SOURCE_DATE_EPOCH nor a git commit gives one: 1980-01-01, the earliest date zip files can hold.
FIXED_EPOCH = 315532800


@dataclass(frozen=True)
class BuildOptions:
    """Everything ``hakusho build`` can be told. Defaults build the full SaaS report."""

    wave: str = field(default_factory=lambda: config.DEFAULT_WAVE)  # the project's edition
    compare_wave: str = field(default_factory=lambda: config.DEFAULT_COMPARE_WAVE)  # "" for no comparison
    segment: str = DEFAULT_SEGMENT
    chapters: tuple[str, ...] = ()  # () = every chapter
    langs: tuple[str, ...] = LANGS
    formats: tuple[str, ...] = DEFAULT_FORMATS
    engine: str = "internal"
    filters: tuple[tuple[str, str, Any], ...] = ()  # (variable, operator, value)
    allow_small_base: bool = False
    data_dir: Path | None = None  # folder holding <wave>/ raw folders; None = data/raw
    out: Path | None = None
    force: bool = False
    jobs: int = 0  # 0 = one per core
    reuse_kernels: bool = True
    keep_kernel: float = 0.0  # seconds an idle kernel is kept for the next command (hakusho notebook)
    cache_dir: Path | None = None
    source_date_epoch: int | None = None  # None = SOURCE_DATE_EPOCH, else the last commit
    strict: bool = False  # numbers typed literally in the editors' commentary are errors


def _what(name: str) -> Msg:
    """What a list names, in words (split_list's ``what``)."""
    if name == "language":
        return Msg("options.what.language")
    if name == "format":
        return Msg("options.what.format")
    return Msg("options.what.value")


def split_list(text: str | Sequence[str] | None, *, valid: Sequence[str] | None = None,
               what: str = "value") -> tuple[str, ...]:
    """``"ja,en"`` → ``("ja", "en")``, checked against ``valid`` (order of ``valid`` kept)."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else [t for part in text for t in str(part).split(",")]
    items = [t.strip() for t in items if t.strip()]
    if valid is not None:
        unknown = [t for t in items if t not in valid]
        if unknown:
            raise BuildError(Msg("options.unknown", what=_what(what), name=unknown[0],
                                 valid=", ".join(valid)))
        return tuple(v for v in valid if v in items)
    return tuple(dict.fromkeys(items))


def _typed(value: Any) -> Any:
    """A filter value from the command line: numbers become numbers, as in a notebook."""
    if isinstance(value, str):
        if re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        if re.fullmatch(r"-?\d+\.\d+", value.strip()):
            return float(value)
    if isinstance(value, list | tuple):
        return [_typed(v) for v in value]
    return value


def parse_filters(filters: Sequence[Sequence[str] | str], *,
                  wave: str = "2025") -> tuple[tuple[str, str, Any], ...]:
    """Researchers' filters (``("employees", ">=", "1000")``, ``"employees >= 1000"`` or by label,
    ``("従業員規模", "==", "1,000〜2,999名")``) as checked triples; a malformed one raises
    FilterError before anything runs. Variables named by a column code or a label are resolved
    against ``wave``'s codebook (loaded only then), so the triples carry variable ids."""
    if not filters:
        return ()
    from hakusho.survey.filters import normalize_filters

    items = [item if isinstance(item, str) else list(item) for item in filters]
    try:
        conditions, _ = normalize_filters(items)
    except FilterError:
        conditions = []  # perhaps a label (「従業員規模 >= 1000」): read again with the codebook
    if not conditions or any(not re.fullmatch(r"[a-z_][a-z0-9_]*", c.var) for c in conditions):
        from hakusho.survey.codebook import load_codebook

        book = load_codebook(config.CODEBOOK_DIR / f"{wave}.yml")
        conditions, _ = normalize_filters(items, book)
    return tuple((c.var, c.op, _typed(c.value)) for c in conditions)


def source_date_epoch(explicit: int | None = None) -> int:
    """The report's date: explicit, else SOURCE_DATE_EPOCH, else the last commit, else fixed."""
    if explicit is not None:
        return int(explicit)
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        if not env.isdigit():
            raise BuildError(Msg("options.bad_epoch", value=env))
        return int(env)
    try:
        out = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, timeout=10, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return FIXED_EPOCH


def check_options(o: BuildOptions) -> None:
    """A bad option is a BuildError naming it and the valid values, before anything runs."""
    if o.segment not in SEGMENTS:
        raise BuildError(Msg("options.unknown", what=Msg("options.what.segment"), name=o.segment,
                             valid=", ".join(SEGMENTS)))
    if o.engine not in ENGINES:
        raise BuildError(Msg("options.unknown", what=Msg("options.what.engine"), name=o.engine,
                             valid=", ".join(ENGINES)))
    for lang in o.langs:
        if lang not in LANGS:
            raise BuildError(Msg("options.unknown", what=Msg("options.what.language"), name=lang,
                                 valid=", ".join(LANGS)))
    for fmt in o.formats:
        if fmt not in FORMATS:
            raise BuildError(Msg("options.unknown", what=Msg("options.what.format"), name=fmt,
                                 valid=", ".join(FORMATS)))
    if not o.langs:
        raise BuildError(Msg("options.no_language"))
    if not o.formats:
        raise BuildError(Msg("options.no_format"))
    # --compare names one wave, or several for a series across waves (newest first: 2025,2023).
    others = [w.strip() for w in o.compare_wave.split(",")] if o.compare_wave else []
    if not re.fullmatch(r"\d{4}", o.wave) or not all(re.fullmatch(r"\d{4}", w) for w in others):
        raise BuildError(Msg("options.bad_wave", wave=o.wave, compare=o.compare_wave))
    if o.wave in others:
        raise BuildError(Msg("options.compare_self", wave=o.compare_wave))
    if others != sorted(set(others), reverse=True) or any(w > o.wave for w in others):
        raise BuildError(Msg("options.compare_order", waves=o.compare_wave))
    if o.data_dir is not None and not Path(o.data_dir).is_dir():
        raise BuildError(Msg("options.no_data_dir", path=o.data_dir))


def options_record(o: BuildOptions, chapters: Sequence[str]) -> dict[str, Any]:
    """The options that decide what a report contains (not where or how fast it is built)."""
    return {
        "wave": o.wave, "compare_wave": o.compare_wave, "segment": o.segment,
        "chapters": list(chapters), "langs": list(o.langs), "formats": list(o.formats),
        "engine": o.engine, "filters": [list(f) for f in o.filters],
        "allow_small_base": bool(o.allow_small_base),
        "data_dir": "" if o.data_dir is None else "<data-dir>",
    }


def options_from_manifest(manifest: dict[str, Any], *, data_dir: Path | None = None) -> BuildOptions:
    """The options a report was built with, read back from its manifest."""
    o = manifest.get("options") or {}
    if o.get("data_dir") and data_dir is None:
        raise BuildError(Msg("options.data_dir_needed"))
    return BuildOptions(
        wave=str(o["wave"]), compare_wave=str(o.get("compare_wave", "")),
        segment=str(o.get("segment", DEFAULT_SEGMENT)),
        chapters=tuple(o.get("chapters") or ()), langs=tuple(o.get("langs") or LANGS),
        formats=tuple(o.get("formats") or DEFAULT_FORMATS), engine=str(o.get("engine", "internal")),
        filters=tuple(tuple(f) for f in o.get("filters") or ()), allow_small_base=bool(o.get("allow_small_base")),
        data_dir=data_dir if o.get("data_dir") else None,
        source_date_epoch=int(manifest.get("source_date_epoch", FIXED_EPOCH)),
    )

