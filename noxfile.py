"""The one way to run checks, locally and in CI: ``nox -s tests``, ``nox -s lint``,
``nox -s report``, ``nox -s benchmark``."""

from __future__ import annotations

import os

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
    (a built report, rendered decks) are made once, not once per worker.
    """
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "--dist", "loadfile", *session.posargs, env=HYPOTHESIS_PROFILE)


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
    """Time the build against plain papermill + nbconvert, in one run on this machine."""
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/bench_build.py", *session.posargs)
