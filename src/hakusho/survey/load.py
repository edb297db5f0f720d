"""A wave's respondent data, loaded: read (:mod:`hakusho.survey.raw`), validated against its
codebook (:mod:`hakusho.survey.validate`) and typed as a :class:`hakusho.survey.wave.Survey`.

This is where data enters the report: the build validates both waves with :func:`load_waves`
before any chapter runs, and every chapter notebook loads them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hakusho import config
from hakusho.survey.codebook import Codebook, load_codebook
from hakusho.survey.raw import cell_numbers, find_raw_file, read_raw
from hakusho.survey.wave import Survey, multi_column


def to_responses(raw: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Typed responses (see :mod:`hakusho.survey.wave`) from validated raw text cells.

    A blank cell is an empty one; it becomes ``<NA>``.
    """
    index = pd.Index(raw[codebook.id_column].astype(str).str.strip().to_numpy(), name="respondent_id")
    data: dict[str, object] = {}
    for q in codebook.questions:
        if q.type == "multi":
            for choice in q.choices:
                ticked = cell_numbers(raw[q.multi_column(choice)])
                data[multi_column(q, choice.key)] = pd.arrays.BooleanArray(ticked == 1, np.isnan(ticked))
        elif q.type in ("single", "ordinal"):
            codes = cell_numbers(raw[q.column])
            blank = np.isnan(codes)
            data[q.id] = pd.arrays.IntegerArray(np.where(blank, 0, codes).astype(np.int64), blank)
        elif q.type == "numeric":
            numbers = cell_numbers(raw[q.column])
            data[q.id] = pd.arrays.FloatingArray(np.nan_to_num(numbers), np.isnan(numbers))
        else:
            data[q.id] = _text_or_na(raw[q.column])
        if q.other_column:
            data[f"{q.id}__other_text"] = _text_or_na(raw[q.other_column])
    return pd.DataFrame(data, index=index)


def _text_or_na(cells: pd.Series) -> pd.api.extensions.ExtensionArray:
    values = cells.to_numpy(dtype=object).copy()
    values[values == ""] = pd.NA
    return pd.array(values, dtype="string")


def load_wave(wave: str | None = None, *, raw_path: Path | None = None,
              codebook: Codebook | None = None, validate: bool = True,
              store: Path | None = None) -> Survey:
    """Read, validate and type one wave's respondent data (default: the project's edition).

    ``raw_path`` is a wave folder or an export file (default: the project's folder of ``wave``).
    ``validate=False`` skips the checks, for callers that have just validated the same file.
    ``store`` (default: the build's, :func:`hakusho.config.shared_cache`) is a folder of typed waves that
    passed validation (:mod:`hakusho.survey.store`): the same export with the same codebook is
    read from there in milliseconds, and a wave read from the export is kept there once valid.
    """
    from hakusho.survey import store as wave_store

    wave = wave or config.DEFAULT_WAVE
    codebook = codebook or load_codebook(wave)
    path = find_raw_file(Path(raw_path) if raw_path else config.raw_wave_dir(wave))
    store = store if store is not None else config.shared_cache("waves")
    key = wave_store.wave_key(path, codebook, str(wave)) if store is not None else ""
    if store is not None:
        stored = wave_store.read_wave(store, key)
        if stored is not None:
            return Survey(wave=str(wave), codebook=codebook, responses=stored, source=path)
    raw = read_raw(path, id_column=codebook.id_column)
    if validate:
        from hakusho.survey.validate import validate_raw  # the checks are needed only here

        validate_raw(raw, codebook, path, wave=str(wave))
    responses = to_responses(raw, codebook)
    if store is not None and validate:
        wave_store.write_wave(store, key, responses)
    return Survey(wave=str(wave), codebook=codebook, responses=responses, source=path)


def split_waves(compare_wave: str | Sequence[str]) -> list[str]:
    """``"2025,2023"`` → ``["2025", "2023"]``: the comparison wave first, then the waves before it."""
    items = compare_wave.split(",") if isinstance(compare_wave, str) else list(compare_wave)
    return [str(w).strip() for w in items if str(w).strip()]


def load_series(wave: str, compare_waves: Sequence[str] = (), *, data_dir: str | Path = "",
                codebook_dir: str | Path = "") -> tuple[Survey, list[Survey]]:
    """The report wave and every wave it is compared with (in the order given), each loaded and
    validated against its codebook."""
    books = Path(codebook_dir) if codebook_dir else config.CODEBOOK_DIR

    def one(w: str) -> Survey:
        raw = Path(data_dir) / w if data_dir else None
        return load_wave(w, raw_path=raw, codebook=load_codebook(books / f"{w}.yml"))

    return one(str(wave)), [one(w) for w in compare_waves]


def load_waves(wave: str, compare_wave: str = "", *, data_dir: str | Path = "",
               codebook_dir: str | Path = "") -> tuple[Survey, Survey | None]:
    """The report wave and the comparison wave (None for ``""``), from the given folders; a list
    of waves (``"2025,2023"``) loads and validates every one, and the first is returned."""
    survey, others = load_series(wave, split_waves(compare_wave), data_dir=data_dir, codebook_dir=codebook_dir)
    return survey, (others[0] if others else None)
