"""Checking a raw export against its codebook before anything is computed from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hakusho.codebook import Codebook
from hakusho.errors import DataError, ProblemCollector


def validate_raw(raw: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    """Raise a DataError listing every problem found (columns only, for now)."""
    found = ProblemCollector()
    missing = [c for c in codebook.expected_columns() if c not in raw.columns]
    for col in missing:
        found.add("missing column", file=str(path), column=col)
    found.raise_if_any(DataError, f"{path.name} does not match codebook {codebook.wave}")
