"""The one way to run checks, locally and in CI: ``nox -s tests``, ``nox -s lint``,
``nox -s report``, ``nox -s benchmark``."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (browser tests need Debian's chromium; they skip without it)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


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
