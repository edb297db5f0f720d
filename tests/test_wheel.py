"""hakusho as a new user installs it: a wheel, installed (not editable) into a fresh virtual
environment, makes a project with ``hakusho init --sample`` and builds the whole report there;
a template placed in the project changes the report without touching the installed package.

Offline: the wheel is built without build isolation from a copy of the sources, and the fresh
environment reaches the dependencies of the test environment through a ``.pth`` file, so nothing
is downloaded and the installed hakusho is the only one it can import.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "notebooks", "templates",
           "data/raw", "data/codebook", "data/synthetic", "data/commentary", "data/README.md")

pytestmark = pytest.mark.slow


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment with the wheel installed; returns its bin folder and env."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for rel in SOURCES:
        source, dest = REPO / rel, src / rel
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".*"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
    env = {k: v for k, v in os.environ.items() if k not in ("HAKUSHO_PROJECT", "HAKUSHO_ROOT", "PYTHONPATH")}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(base / "dist"), str(src)], cwd=base, env=env)
    wheel = next((base / "dist").glob("hakusho-*.whl"))
    venv.EnvBuilder(with_pip=False).create(base / "venv")
    python = base / "venv" / "bin" / "python"
    target = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=base, env=env).stdout.strip())
    # The dependencies of this test environment, appended after the fresh environment's own
    # site-packages (paths from a .pth file are not site folders: their own .pth files, such as
    # an editable install's, are not read).
    (target / "zz_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)], cwd=base, env=env)
    where = _run([str(python), "-c", "import hakusho; print(hakusho.__file__)"], cwd=base, env=env).stdout
    assert Path(where.strip()).is_relative_to(target), where  # the wheel's hakusho, not the checkout's
    return base / "venv" / "bin", env


def test_a_wheel_builds_a_new_project_and_its_templates_override(installed: tuple[Path, dict[str, str]],
                                                                tmp_path: Path) -> None:
    bin_dir, env = installed
    hakusho = str(bin_dir / "hakusho")
    project = tmp_path / "white-paper"
    made = _run([hakusho, "init", str(project), "--sample"], cwd=tmp_path, env=env)
    assert "hakusho build" in made.stdout

    _run([hakusho, "build", "--quiet"], cwd=project, env=env)
    report = project / "report" / "2025"
    for lang in ("ja", "en"):
        page = (report / lang / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in page and "<svg" in page
        assert (report / lang / f"hakusho-2025-{lang}.pdf").read_bytes().startswith(b"%PDF")
    # The sample reproduces the published figures (86.0% of 257 SaaS companies practise CS).
    figure = json.loads((report / "figures" / "ch2.json").read_text(encoding="utf-8"))["cs_status.doing.pct"]
    assert (figure["value"], figure["base"]) == (86.0, 257)

    # An editor's template in the project replaces the packaged one, for this project only.
    packaged = Path(_run([str(bin_dir / "python"), "-c", "from hakusho import project; "
                          "print(project.default_path('templates/html/cover.html.j2'))"],
                         cwd=project, env=env).stdout.strip())
    before = _sha(packaged)
    own = project / "templates" / "html" / "cover.html.j2"
    own.parent.mkdir(parents=True)
    text = packaged.read_text(encoding="utf-8")
    own.write_text(text.replace('<p class="cover-line">', '<p class="cover-edition">Draft for the board</p>\n'
                                '    <p class="cover-line">', 1), encoding="utf-8")
    rebuilt = _run([hakusho, "build", "--quiet"], cwd=project / "data", env=env)  # found from a subfolder
    assert "0 chapter(s) executed" in rebuilt.stdout  # a template edit re-renders, never re-computes
    for lang in ("ja", "en"):
        assert '<p class="cover-edition">Draft for the board</p>' in (report / lang / "index.html").read_text(
            encoding="utf-8")
    assert _sha(packaged) == before and "Draft for the board" not in packaged.read_text(encoding="utf-8")
