"""Build hook: the wheel carries the repository's notebooks/ and templates/ as hakusho's defaults.

The repository keeps them at its top level (one copy in git, where editors and reviewers look);
a built package has no top level, so ``build_py`` copies them into ``hakusho/defaults/``, with the
synthetic sample (``data/``) that ``hakusho init --sample`` hands out. An editable install reads
them in place instead (:func:`hakusho.project.defaults_root`). Everything else is declared in
pyproject.toml.
"""

from __future__ import annotations

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = {  # folder of the repository -> folder inside the package's defaults/
    "notebooks": "notebooks",
    "templates": "templates",
    "data/raw": "sample/raw",
    "data/codebook": "sample/codebook",
    "data/synthetic": "sample/synthetic",
    "data/commentary": "sample/commentary",
}


def _wanted(name: str) -> bool:
    return not name.startswith(".") and name != "__pycache__" and not name.endswith((".pyc", "~"))


class BuildPyWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = os.path.join(self.build_lib, "hakusho", "defaults")
        shutil.rmtree(target, ignore_errors=True)
        for source, dest in SHIPPED.items():
            for folder, dirnames, filenames in os.walk(source):
                dirnames[:] = sorted(d for d in dirnames if _wanted(d))
                out = os.path.join(target, dest, os.path.relpath(folder, source))
                for name in sorted(filter(_wanted, filenames)):
                    self.mkpath(out)
                    self.copy_file(os.path.join(folder, name), os.path.join(out, name))
        self.copy_file("data/README.md", os.path.join(target, "sample", "README.md"))


setup(cmdclass={"build_py": BuildPyWithDefaults})
