"""Typed waves kept on disk, so that a build reads, checks and types each wave once.

A build validates both waves before any chapter runs; every chapter notebook then needs the same
typed responses again, in a kernel of its own. Parsing the export and checking it against the
codebook again in each of them cost more than computing the chapter. So :func:`load_wave
<hakusho.survey.load.load_wave>` keeps the typed responses of a wave that passed validation in a
*store* folder and reads them from there whenever the same wave is asked for again.

The file is columnar: a NumPy ``.npz`` archive (no pickles) holding, per kind of column, one
matrix of values and one of missing flags — choice codes, ticks, numbers — and, for free text,
a matrix of codes into one list of distinct texts. Reading it back is a handful of array reads
and gives the same table, dtype for dtype, as typing the export (a test compares them). Apache
Arrow's Feather format reads as fast, but installing pyarrow makes pandas import it in every
process and keep every text column in Arrow memory, which made reading a 78,100-row export twice
as slow; NumPy is here already.

An entry is named by the sha256 of everything that decided its content and its validity:

* the export's bytes and the codebook's content (so a changed file simply misses);
* the wave the file was checked as;
* the source of the code that reads, checks and types a wave (``hakusho.survey``);
* the versions of Python, pandas and NumPy.

An entry is only ever written after the wave passed validation, so reading it stands for reading
and validating the export. Entries are written under a temporary name and renamed: a build killed
while storing leaves no half entry, and two kernels storing the same wave at once agree.

Where the store is: ``waves/`` of the build's cache (``HAKUSHO_CACHE``, see
:func:`hakusho.config.shared_cache`), which the build sets for itself and its kernels. Without it
nothing is stored and every load reads the export: a notebook opened by hand or a test writes
nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from hakusho.survey.codebook import Codebook

STORE_FORMAT = 1
RESPONSES_FILE = "responses.npz"
SURVEY_PACKAGE = Path(__file__).resolve().parent
# The dtypes of typed responses (see hakusho.survey.wave), by the kind of matrix that holds them.
KINDS = {"Int64": "int", "Float64": "float", "boolean": "bool", "string": "text"}
TEXT_DTYPE = "string"


@cache
def _code_digest() -> str:
    """sha256 over the sources of the survey stage (they decide what a stored wave holds)."""
    digest = hashlib.sha256()
    for path in sorted(SURVEY_PACKAGE.glob("*.py")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wave_key(raw_file: Path, codebook: Codebook, wave: str) -> str:
    """The store key of ``raw_file`` typed with ``codebook`` and checked as ``wave``."""
    parts = {
        "format": STORE_FORMAT,
        "raw": _file_digest(raw_file),
        "codebook": hashlib.sha256(codebook.model_dump_json().encode("utf-8")).hexdigest(),
        "wave": str(wave),
        "code": _code_digest(),
        "libraries": [sys.version.split()[0], pd.__version__, np.__version__],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------ the columnar file


def encode(responses: pd.DataFrame) -> dict[str, np.ndarray]:
    """Typed responses as the arrays of the file (see the module docstring)."""
    kinds = []
    for column, dtype in responses.dtypes.items():
        kind = KINDS.get(str(dtype))
        if kind is None:
            raise TypeError(f"column {column}: dtype {dtype} cannot be stored")
        kinds.append(kind)
    arrays: dict[str, np.ndarray] = {"kinds": np.array(kinds, dtype=np.str_)}
    arrays.update(_pack("columns", [str(c) for c in responses.columns]))
    arrays.update(_pack("index", [str(i) for i in responses.index]))
    arrays.update(_pack("index_name", [responses.index.name or ""]))
    for kind, numpy_type, fill in (("int", np.int64, 0), ("float", np.float64, 0.0), ("bool", np.bool_, False)):
        block = [responses[c].array for c, k in zip(responses.columns, kinds, strict=True) if k == kind]
        arrays[f"{kind}_values"] = _stack([a.to_numpy(dtype=numpy_type, na_value=fill) for a in block],
                                          len(responses), numpy_type)
        arrays[f"{kind}_missing"] = _stack([np.asarray(a.isna()) for a in block], len(responses), np.bool_)
    texts = [responses[c] for c, k in zip(responses.columns, kinds, strict=True) if k == "text"]
    codes, uniques, counts = [], [], []
    for series in texts:
        positions, distinct = pd.factorize(series.to_numpy(dtype=object, na_value=None), use_na_sentinel=True)
        codes.append(positions.astype(np.int64))
        uniques += [str(u) for u in distinct]
        counts.append(len(distinct))
    arrays["text_codes"] = _stack(codes, len(responses), np.int64)
    arrays["text_counts"] = np.array(counts, dtype=np.int64)
    arrays.update(_pack("text_uniques", uniques))
    return arrays


def _pack(name: str, texts: list[str]) -> dict[str, np.ndarray]:
    """Texts as UTF-8 bytes and the character offset where each ends (NumPy's own text arrays
    would drop trailing NUL characters)."""
    joined = "".join(texts)
    return {f"{name}_utf8": np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8),
            f"{name}_ends": np.cumsum([len(t) for t in texts], dtype=np.int64)}


def _unpack(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    joined = arrays[f"{name}_utf8"].tobytes().decode("utf-8", "surrogatepass")
    ends = arrays[f"{name}_ends"].tolist()
    starts = [0, *ends[:-1]] if ends else []
    return [joined[start:end] for start, end in zip(starts, ends, strict=True)]


def _stack(columns: list[np.ndarray], n: int, numpy_type: type) -> np.ndarray:
    """One row per column (each column contiguous, so reading one back copies nothing)."""
    if not columns:
        return np.zeros((0, n), dtype=numpy_type)
    return np.vstack(columns).astype(numpy_type, copy=False)


def decode(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """The typed responses the arrays of :func:`encode` hold."""
    columns = _unpack(arrays, "columns")
    kinds = [str(k) for k in arrays["kinds"]]
    taken = {"int": 0, "float": 0, "bool": 0, "text": 0}
    uniques = np.array(_unpack(arrays, "text_uniques"), dtype=object)
    starts = np.concatenate(([0], np.cumsum(arrays["text_counts"])))
    data: dict[str, object] = {}
    for column, kind in zip(columns, kinds, strict=True):
        j = taken[kind]
        taken[kind] += 1
        if kind == "text":
            distinct = pd.array(uniques[starts[j]:starts[j + 1]], dtype=TEXT_DTYPE)
            data[column] = distinct.take(arrays["text_codes"][j], allow_fill=True)  # -1: missing
            continue
        values = arrays[f"{kind}_values"][j]
        missing = arrays[f"{kind}_missing"][j]
        if kind == "int":
            data[column] = pd.arrays.IntegerArray(values, missing)
        elif kind == "float":
            data[column] = pd.arrays.FloatingArray(values, missing)
        else:
            data[column] = pd.arrays.BooleanArray(values, missing)
    name = _unpack(arrays, "index_name")[0] or None
    index = pd.Index(np.array(_unpack(arrays, "index"), dtype=object), name=name)  # as load.to_responses builds it
    return pd.DataFrame(data, index=index)


# ------------------------------------------------------------------------------ the store


def read_wave(store: Path, key: str) -> pd.DataFrame | None:
    """The typed responses stored under ``key``, or None when there are none (or they are
    unreadable: a damaged entry is a miss, never an error)."""
    path = Path(store) / key / RESPONSES_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            frame = decode({name: archive[name] for name in archive.files})
    except (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
        return None  # a truncated or foreign file: the export is read instead
    with contextlib.suppress(OSError):
        os.utime(path.parent)  # recently used: kept longest when the cache is pruned
    return frame


def write_wave(store: Path, key: str, responses: pd.DataFrame) -> None:
    """Store typed responses under ``key`` (atomically; a store that cannot be written is
    skipped — it only saves time)."""
    final = Path(store) / key
    if (final / RESPONSES_FILE).is_file():
        return
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=final.parent))
    except OSError:
        return
    try:
        np.savez(tmp / RESPONSES_FILE, **encode(responses))
        os.replace(tmp, final)
    except OSError:
        pass  # another process stored it first, or the disk is full: nothing is lost
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
