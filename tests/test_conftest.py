"""The Hypothesis profiles of tests/conftest.py: CI's runs try the same examples every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import PROFILE_VARIABLE
from hypothesis import settings

TESTS = Path(__file__).parent

# A property test that writes every example it tries to a file, run in a fresh interpreter.
PROBE = """
import sys
sys.path.insert(0, {tests!r})
import conftest  # loads the profile named in the environment
from hypothesis import given, strategies as st

seen = []

@given(st.text(max_size=12), st.floats(allow_nan=False))
def probe(text, number):
    seen.append(repr((text, number)))

probe()
open({out!r}, "w", encoding="utf-8").write("\\n".join(seen))
"""


def _examples(tmp_path: Path, profile: str, run: int) -> list[str]:
    out = tmp_path / f"{profile}-{run}.txt"
    env = {**os.environ, PROFILE_VARIABLE: profile}
    subprocess.run([sys.executable, "-c", PROBE.format(tests=str(TESTS), out=str(out))], check=True, env=env,
                   cwd=tmp_path, capture_output=True, timeout=300)
    return out.read_text(encoding="utf-8").splitlines()


def test_the_ci_profile_tries_the_same_examples_on_every_run(tmp_path: Path) -> None:
    first, second = _examples(tmp_path, "ci", 1), _examples(tmp_path, "ci", 2)
    assert len(first) >= settings.get_profile("ci").max_examples
    assert first == second
    # No example database to carry over to a later run (Hypothesis keeps only its Unicode tables).
    assert not (tmp_path / ".hypothesis" / "examples").exists()


def test_the_dev_profile_explores() -> None:
    dev = settings.get_profile("dev")
    assert not dev.derandomize and dev.database is not None


def test_the_active_profile_is_the_one_the_environment_names() -> None:
    active = settings.get_profile(os.environ.get(PROFILE_VARIABLE, "dev"))
    assert settings.default.derandomize == active.derandomize
    assert settings.default.max_examples == active.max_examples


def test_nox_and_ci_select_the_ci_profile() -> None:
    root = TESTS.parent
    assert f'"{PROFILE_VARIABLE}"' in (root / "noxfile.py").read_text(encoding="utf-8")
    assert f"export {PROFILE_VARIABLE}=ci" in (root / ".ci" / "run").read_text(encoding="utf-8")
