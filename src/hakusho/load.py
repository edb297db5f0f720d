"""Reading a wave's raw export and turning it into typed responses.

Raw files are opened read-only and never written. Reading keeps every cell as text so that
validation can report exactly what the file said; conversion to codes happens only after the
data has passed validation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hakusho import config
from hakusho.codebook import Codebook, load_codebook
from hakusho.errors import DataError
from hakusho.survey import Survey, multi_column

RAW_SUFFIXES = (".csv", ".xlsx", ".sav")


def find_raw_file(path: Path) -> Path:
    """The export inside a wave folder (exactly one responses file), or the file itself."""
    if path.is_file():
        return path
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    candidates = sorted(p for p in path.iterdir() if p.suffix.lower() in RAW_SUFFIXES)
    if not candidates:
        raise DataError(f"{path}: no raw export found (expected a .csv, .xlsx or .sav file)")
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise DataError(f"{path}: more than one raw export ({names}); keep one per wave folder")
    return candidates[0]


def read_raw(path: Path) -> pd.DataFrame:
    """The export as a table of text cells ('' for blanks), columns as the vendor named them."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def to_responses(raw: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Typed responses (see :mod:`hakusho.survey`) from validated raw text cells."""
    data: dict[str, pd.Series] = {}
    index = pd.Index(raw[codebook.id_column].astype(str), name="respondent_id")

    def numbers(col: str) -> pd.Series:
        values = pd.to_numeric(raw[col].str.strip().replace("", None), errors="raise")
        return pd.Series(values.to_numpy(), index=index)

    for q in codebook.questions:
        if q.type == "multi":
            for choice in q.choices:
                data[multi_column(q, choice.key)] = numbers(q.multi_column(choice)).astype("Int64").astype("boolean")
        elif q.type in ("single", "ordinal"):
            data[q.id] = numbers(q.column).astype("Int64")
        elif q.type == "numeric":
            data[q.id] = numbers(q.column).astype("Float64")
        else:
            data[q.id] = pd.Series(raw[q.column].to_numpy(), index=index).replace("", None).astype("string")
        if q.other_column:
            text = pd.Series(raw[q.other_column].to_numpy(), index=index)
            data[f"{q.id}__other_text"] = text.replace("", None).astype("string")
    return pd.DataFrame(data, index=index)


def load_wave(wave: str = config.DEFAULT_WAVE, *, raw_path: Path | None = None,
              codebook: Codebook | None = None) -> Survey:
    """Read, validate and type one wave's respondent data."""
    from hakusho.validate import validate_raw  # validation pulls in pandera; load it lazily

    codebook = codebook or load_codebook(wave)
    path = find_raw_file(Path(raw_path) if raw_path else config.raw_wave_dir(wave))
    raw = read_raw(path)
    validate_raw(raw, codebook, path)
    return Survey(wave=str(wave), codebook=codebook, responses=to_responses(raw, codebook), source=path)
