"""Shared test settings: the project the tests work on, and the Hypothesis profile a run uses.

The tests work on this repository's own project (hakusho.toml at its top), whatever working
directory a test moves to; a test about finding projects sets or clears HAKUSHO_PROJECT itself.

Property tests explore random inputs. That is what they are for on a developer's machine, but a
check that passes or fails by luck is no check, so ``nox -s tests`` (and so CI) and
``nox -s mutants`` select the ``ci`` profile through ``HAKUSHO_HYPOTHESIS_PROFILE``:

- ``ci``: derandomized (every run tries the same examples, seeded from each test's own code),
  no example database (a failure seen once on this machine cannot decide a later run), no
  timing-based failures, and more examples than the default where a test does not set its own.
- ``dev`` (the default for a bare ``pytest``): random exploration with Hypothesis' example
  database, so a failure found locally is replayed until it is fixed. A failing example worth
  keeping becomes an explicit ``@example`` next to its test.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

os.environ.setdefault("HAKUSHO_PROJECT", str(Path(__file__).resolve().parents[1]))

PROFILE_VARIABLE = "HAKUSHO_HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "dev"))
