"""The one way to run checks, locally and in CI: ``nox -s tests``, ``nox -s lint``,
``nox -s report``, ``nox -s benchmark``, ``nox -s mutants``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


# Property tests explore the same examples on every run here (tests/conftest.py explains the
# profiles); a bare `pytest` keeps exploring at random.
HYPOTHESIS_PROFILE = {"HAKUSHO_HYPOTHESIS_PROFILE": os.environ.get("HAKUSHO_HYPOTHESIS_PROFILE", "ci")}


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite on every core (browser tests need Debian's chromium; they skip without it).

    Test files are shared out whole (``--dist loadfile``), so a file's module-scoped fixtures
    (a built report, rendered decks) are made once, not once per worker; the files with the most
    work go first, in the order tests/conftest.py sorts them (``--no-loadscope-reorder``), so
    that no worker is left alone with a file of whole builds at the end.
    """
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "--dist", "loadfile", "--no-loadscope-reorder", *session.posargs,
                env=HYPOTHESIS_PROFILE)


MUTMUT = "mutmut==3.8.1"  # pinned: tests/mutation/score.py reads its verdict files


@nox.session
def mutants(session: nox.Session) -> None:
    """Mutation testing of the modules whose bugs would publish a wrong number ([tool.mutmut] in
    pyproject.toml), on every core, then the score per module; fails under 90 %.

    Every run starts from a fresh ``mutants/`` folder, so a score never rests on an older run.
    """
    session.install("-e", ".[test]", MUTMUT)
    work = Path("mutants")
    if work.exists():
        made_by_mutmut = (work / "mutmut-stats.json").exists() or any(work.rglob("*.py.meta"))
        if not made_by_mutmut and any(work.iterdir()):
            session.error("mutants/ exists and was not made by mutmut; move it away first")
        shutil.rmtree(work)
    session.run("mutmut", "run", "--max-children", str(os.cpu_count() or 2), *session.posargs,
                env=HYPOTHESIS_PROFILE, silent=True)
    session.run("python", "tests/mutation/score.py")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, tests, notebooks' helpers and the noxfile."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py", "benchmarks", "data")


@nox.session
def report(session: nox.Session) -> None:
    """Build the whole whitepaper (both languages, HTML and PDF) into report/."""
    session.install("-e", ".")
    session.run("hakusho", "build", *session.posargs)


@nox.session
def benchmark(session: nox.Session) -> None:
    """Time the build against plain papermill + nbconvert, in one run on this machine; then what
    perturbation, the report-wide tests and the exact tests cost."""
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/bench_build.py", *session.posargs)
    session.run("python", "benchmarks/bench_stats.py")
