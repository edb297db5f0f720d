"""Cell-key perturbation: counts a researcher's own tables may show without giving anyone away.

The canonical report is exact. A researcher's outputs — filtered builds, segments other than the
published ones, ``hakusho notebook`` with filters, the cross tables of such a build — would let
anyone subtract two nearly equal tables (``employees >= 1000`` and the same plus
``position != contract``) and read one respondent's answers off the difference. Statistical
offices protect flexible table builders with the *cell-key method* (ABS TableBuilder; ONS,
Census 2021); hakusho does the same:

* **Record keys.** Every respondent of a wave gets two keys, whole numbers in ``[0, 2³²)``,
  derived with HMAC-SHA256 from the project's secret, the wave and the respondent id. The
  secret (``.hakusho/secret`` in the project, never in version control) is generated on first
  use or by ``hakusho init`` (:func:`ensure_secret`). Without it nobody can recompute the noise.
* **Cell keys.** A cell's key is the sum, modulo 2³², of the first key of every respondent in the
  cell and the second key of every respondent in the table's population (whom the table counts).
  The same cell of the same table therefore always gets the same key.
* **The perturbation table** (:data:`PERTURBATION_TABLE`) turns a cell key into noise: a whole
  number from −2 to +2 with mean zero (for a count of 1: −1 to +2, so nothing goes below zero).
  A count of 0 stays 0. The perturbed count is the count plus its noise.

So repeating a query returns the same numbers (averaging repeats learns nothing), and two
queries whose populations differ by one respondent give every cell fresh noise: their difference
is noise in every cell, not one respondent's answers. What the method does not promise: many
different queries combined can narrow the noise down; it protects against the easy attack, not
every conceivable one.

Percentages are computed from the perturbed counts (the base of a single or ordinal question is
the sum of its perturbed substantive counts, so its shares still add up to about 100 %; the
base of a multiple-answer question is perturbed as a count of its own); the disclosure rules
(:mod:`hakusho.analysis.disclosure`) then apply to the perturbed bases, and the tests run on the
perturbed counts.

:func:`protect_counts` is the one entry point for any table of counts (chapters, crosses, the
page's explorer, the workbook): cells and population as record ids in, perturbed counts out.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from hakusho.analysis.counting import count_product
from hakusho.errors import BuildError, Problem
from hakusho.messages import Msg

SECRET_DIR = ".hakusho"
SECRET_NAME = "secret"
SECRET_BYTES = 32
KEY_BITS = 32
KEY_RANGE = 1 << KEY_BITS
METHOD = "cell-key perturbation"

# The perturbation table: noise and its weight (out of 20) by the count of the cell. Rows for
# counts of 2 and more are one row: noise never takes a count below zero there. Every row has
# mean zero, so perturbed counts are unbiased; the largest noise is ±2 (MAX_NOISE).
WEIGHTS = 20
PERTURBATION_TABLE: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((-1, 8), (0, 6), (1, 4), (2, 2)),
    2: ((-2, 2), (-1, 4), (0, 8), (1, 4), (2, 2)),
}
MAX_NOISE = 2

K = TypeVar("K", bound=Hashable)


# ------------------------------------------------------------------------------ the secret


def secret_path(project_root: Path | str) -> Path:
    """Where a project keeps its perturbation secret."""
    return Path(project_root) / SECRET_DIR / SECRET_NAME


def _read_secret(path: Path) -> bytes:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) < SECRET_BYTES:
        raise BuildError(
            Msg("secret.malformed", path=path, digits=2 * SECRET_BYTES),
            [Problem("malformed secret", file=str(path), expected=f"{2 * SECRET_BYTES} hex digits")])
    return value


def ensure_secret(project_root: Path | str) -> bytes:
    """The project's perturbation secret, generated (and kept) on first use.

    An existing secret is never replaced: a malformed one is an error. Creation is atomic and
    race-free (parallel notebooks may ask at once): the new secret is written to a private
    temporary file and linked into place only if no secret appeared in the meantime.
    """
    path = secret_path(project_root)
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        # The folder keeps itself out of version control even where the project's .gitignore does not.
        with contextlib.suppress(FileExistsError), open(ignore, "x", encoding="utf-8", newline="\n") as fh:
            fh.write("*\n")
    temp = path.parent / f".{SECRET_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):  # another process made one first: use theirs
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return _read_secret(path)


def secret_fingerprint(secret: bytes) -> str:
    """A digest that tells secrets apart (for cache keys) without revealing anything of them."""
    return hashlib.sha256(b"hakusho-perturbation-fingerprint\0" + secret).hexdigest()[:16]


# ------------------------------------------------------------------------------ keys


@dataclass(frozen=True)
class RecordKeys:
    """The record keys of one wave's respondents, derived from the project secret."""

    secret: bytes = field(repr=False)
    wave: str
    _known: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)

    def _derive(self, purpose: str, record_id: str) -> int:
        found = self._known.get((purpose, record_id))
        if found is None:
            message = f"{purpose}\0{self.wave}\0{record_id}".encode()
            digest = hmac.new(self.secret, message, hashlib.sha256).digest()
            found = self._known[(purpose, record_id)] = int.from_bytes(digest[:8], "big") % KEY_RANGE
        return found

    def cell_key(self, record_id: str) -> int:
        """The key a respondent adds to every cell they are counted in."""
        return self._derive("cell", str(record_id))

    def population_key(self, record_id: str) -> int:
        """The key a respondent adds to every cell of a table whose population they are in."""
        return self._derive("population", str(record_id))


    def key_arrays(self, record_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The cell keys and population keys of ``record_ids``, as arrays (for many tables at once)."""
        cells = np.fromiter((self.cell_key(r) for r in record_ids), dtype=np.int64, count=len(record_ids))
        pops = np.fromiter((self.population_key(r) for r in record_ids), dtype=np.int64, count=len(record_ids))
        return cells, pops


def cell_key(records: Iterable[str], population: Iterable[str], keys: RecordKeys) -> int:
    """The key of a cell: Σ cell keys of its records + Σ population keys of the table's, mod 2³²."""
    total = sum(keys.cell_key(r) for r in records) + sum(keys.population_key(r) for r in population)
    return total % KEY_RANGE


def noise(count: int, key: int) -> int:
    """The perturbation table's noise for a cell of ``count`` respondents with cell key ``key``."""
    if count <= 0:
        return 0
    row = PERTURBATION_TABLE[min(count, max(PERTURBATION_TABLE))]
    slot = key * WEIGHTS // KEY_RANGE
    for value, weight in row:
        if slot < weight:
            return value
        slot -= weight
    raise AssertionError("perturbation table weights must add up to WEIGHTS")


def noise_array(counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """:func:`noise` element-wise: the same table, for whole arrays of cells at once."""
    counts, keys = np.asarray(counts, dtype=np.int64), np.asarray(keys, dtype=np.int64)
    slots = keys * WEIGHTS // KEY_RANGE
    out = np.zeros(np.broadcast(counts, keys).shape, dtype=np.int64)
    for size, row in PERTURBATION_TABLE.items():
        here = (counts == size) if size < max(PERTURBATION_TABLE) else (counts >= size)
        start = 0
        for value, weight in row:
            out[here & (slots >= start) & (slots < start + weight)] = value
            start += weight
    return out


def protect_count_matrix(members: np.ndarray, populations: np.ndarray, record_ids: Sequence[str],
                         keys: RecordKeys) -> np.ndarray:
    """Perturbed counts of many cells at once, each exactly as :func:`protect_counts` counts it.

    ``members`` (cells × respondents, booleans) says who is in each cell and ``populations`` (the
    same shape) who is in the population of that cell's table; ``record_ids`` names the
    respondents (columns). The explorer's thousands of tables are perturbed in one pass.
    """
    cell_keys, pop_keys = keys.key_arrays(record_ids)
    members = np.asarray(members, dtype=bool)
    populations = np.asarray(populations, dtype=bool)
    # Sums of keys under 2³² over a survey's respondents: exact (see :mod:`hakusho.analysis.counting`).
    summed = count_product(members, cell_keys) + count_product(populations, pop_keys)
    counts = members.sum(axis=-1).astype(np.int64)
    return counts + noise_array(counts, summed % KEY_RANGE)


def protect_counts(cells: Mapping[K, Collection[str]], population: Collection[str],
                   keys: RecordKeys) -> dict[K, int]:
    """Perturbed counts of a table: ``cells`` maps each cell to the ids of the respondents in it,
    ``population`` holds the ids of everyone the table counts (its base, and those outside it).

    The one API for every researcher table (chapters, crosses, the explorer, the workbook):

    >>> keys = RecordKeys(secret=bytes(32), wave="2025")
    >>> protect_counts({"yes": ["R1", "R2", "R3"], "no": ["R4"]}, ["R1", "R2", "R3", "R4"], keys)  # doctest: +SKIP
    {'yes': 4, 'no': 0}
    """
    base = sum(keys.population_key(r) for r in population)
    out: dict[K, int] = {}
    for cell, records in cells.items():
        key = (sum(keys.cell_key(r) for r in records) + base) % KEY_RANGE
        out[cell] = len(records) + noise(len(records), key)
    return out


@dataclass(frozen=True)
class Protection:
    """What a researcher's run perturbs its counts with: the secret, per wave on demand.

    Passed down to the tabulating functions; ``None`` there means an exact, canonical table.
    """

    secret: bytes = field(repr=False)
    _waves: dict[str, RecordKeys] = field(default_factory=dict, repr=False, compare=False)

    def keys(self, wave: str) -> RecordKeys:
        wave = str(wave)
        if wave not in self._waves:
            self._waves[wave] = RecordKeys(self.secret, wave)
        return self._waves[wave]

    def counts(self, wave: str, cells: Mapping[K, Collection[str]], population: Collection[str]) -> dict[K, int]:
        """:func:`protect_counts` for the respondents of ``wave``."""
        return protect_counts(cells, population, self.keys(wave))

    def count(self, wave: str, records: Collection[str], population: Collection[str]) -> int:
        """One perturbed count (a base, a number of respondents)."""
        return self.counts(wave, {"n": records}, population)["n"]

    @property
    def fingerprint(self) -> str:
        return secret_fingerprint(self.secret)


AUTO = "auto"


def run_protection(spec: Any, segment: str, filtered: bool, protection: Protection | str | None = AUTO,
                   *, project_root: Path | None = None) -> Protection | None:
    """How a run's counts are protected. ``auto``: a researcher's run (a filter, or a segment the
    spec does not mark ``published``) is perturbed with the project's secret, made on first use;
    the published reports stay exact. A :class:`Protection`, or ``None`` (exact), overrides that."""
    if protection != AUTO:
        return protection  # type: ignore[return-value]
    if not filtered and spec.segments[segment].published:
        return None
    from hakusho import config

    return Protection(ensure_secret(project_root or config.PROJECT_ROOT))


def ids(mask: pd.Series) -> list[str]:
    """The respondent ids a boolean mask over a wave's respondents selects."""
    return [str(i) for i in mask.index[mask.fillna(False).astype(bool).to_numpy()]]
