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

Researchers' outputs are perturbed with the project's secret, which hakusho generates at random
on first use. A fresh clone would then perturb differently from every other, and a test that
reads a perturbed count would pass or fail by the draw; so before any test runs, the repository's
project gets a fixed secret where it has none yet (an existing one is never replaced).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# A suite started in the background by a non-interactive shell inherits SIGINT ignored, and so
# would every command it starts: the tests of Ctrl-C need it delivered, as a terminal does.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

os.environ.setdefault("HAKUSHO_PROJECT", str(Path(__file__).resolve().parents[1]))
# No test leaves a kernel running after it (a test of kept kernels asks for one, and stops it).
os.environ["HAKUSHO_KEEP_KERNEL"] = "0"
REPO = Path(__file__).resolve().parents[1]
TEST_SECRET = "7e57" * 16  # 32 bytes: the synthetic sample's perturbation secret in the tests


def _fixed_secret(root: Path) -> None:
    """The project's secret, fixed, where none exists (race-free: workers start together)."""
    import tempfile

    # Constants only: conftest runs before any test, and `nox -s mutants` checks that calling a
    # function of a mutated module (perturbation is one) then fails.
    from hakusho.analysis.perturbation import SECRET_BYTES, SECRET_DIR, SECRET_NAME

    path = root / SECRET_DIR / SECRET_NAME
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        try:
            with open(ignore, "x", encoding="utf-8") as fh:
                fh.write("*\n")
        except FileExistsError:
            pass
    assert len(TEST_SECRET) == 2 * SECRET_BYTES
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        os.write(fd, (TEST_SECRET + "\n").encode("ascii"))
        os.close(fd)
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


_fixed_secret(REPO)

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
# Named in full: on a machine that says it is CI, Hypothesis's own default is derandomized with no
# database, and a profile that only set the deadline would inherit that.
settings.register_profile(
    "dev",
    derandomize=False,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    deadline=None,
)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "dev"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with the most work first, so that parallel workers finish together.

    ``nox -s tests`` hands whole files to the workers (``--dist loadfile``) in the order collected
    (``--no-loadscope-reorder``). A file of whole builds or browser sessions handed out last would
    leave the other workers idle while it ran, so files with more tests marked ``slow`` or
    ``browser`` go first, then files with more tests; the tests of a file keep their order.
    (Run after ``-m`` has deselected what it leaves out.)
    """
    heavy: dict[Path, int] = {}
    count: dict[Path, int] = {}
    for item in items:
        marked = item.get_closest_marker("slow") is not None or item.get_closest_marker("browser") is not None
        heavy[item.path] = heavy.get(item.path, 0) + marked
        count[item.path] = count.get(item.path, 0) + 1
    items.sort(key=lambda item: (-heavy[item.path], -count[item.path]))
