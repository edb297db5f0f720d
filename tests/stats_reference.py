"""Independent references for the statistics tests: statsmodels' own functions, called so that
their cost is the arithmetic's.

statsmodels' ``multipletests`` runs a full garbage collection on every Holm adjustment. In a test
that holds a whole explorer or survey in memory and checks thousands of tables, that collection
walks every live object on every call (minutes in all) for nothing the test checks. Freezing the
objects that exist before the call moves them out of the collector's reach for that call only;
the numbers statsmodels returns are the same.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests as _multipletests


def multipletests(p_values: Sequence[float] | np.ndarray, alpha: float = 0.05, method: str = "hs"):
    """``statsmodels.stats.multitest.multipletests``, without its collection walking the heap."""
    gc.freeze()
    try:
        return _multipletests(p_values, alpha=alpha, method=method)
    finally:
        gc.unfreeze()
