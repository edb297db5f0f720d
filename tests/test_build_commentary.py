"""The build's editorial step: references checked, literal numbers warned about (errors with
--strict), chapters without text named — on the real 2025 figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hakusho import config
from hakusho.analysis.chapter import run_chapter
from hakusho.analysis.spec import default_spec
from hakusho.errors import BuildError
from hakusho.pipeline.assemble import check_commentary
from hakusho.pipeline.options import BuildOptions


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("build")
    for chapter in default_spec().chapters:
        run_chapter(chapter.id, output_dir=root / "chapters" / chapter.id, draw_charts=False)
    return root


@pytest.fixture
def commentary_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch copy of the editors' files, which the build then reads instead of data/commentary."""
    target = tmp_path / "commentary"
    shutil.copytree(config.DATA_DIR / "commentary", target)
    monkeypatch.setattr(config, "COMMENTARY_DIR", target)
    return target / "2025"


def _check(build_dir: Path, **options: object) -> None:
    check_commentary(BuildOptions(**options), build_dir)


def test_shipped_commentary_passes_the_strict_check(build_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check(build_dir, strict=True)
    assert "warning:" not in capsys.readouterr().err


def test_a_typed_number_warns_and_fails_with_strict(build_dir: Path, commentary_copy: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = commentary_copy / "ch2.en.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nAbout 86% of them practise it.\n", encoding="utf-8")
    _check(build_dir)
    err = capsys.readouterr().err
    assert "warning:" in err and "ch2.en.md" in err and "cs_status.doing.pct" in err
    with pytest.raises(BuildError, match="typed literally"):
        _check(build_dir, strict=True)


def test_a_reference_that_does_not_resolve_stops_the_build(build_dir: Path, commentary_copy: Path) -> None:
    path = commentary_copy / "ch3.ja.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n${effect.group.efective.pct}\n", encoding="utf-8")
    with pytest.raises(BuildError) as info:
        _check(build_dir)
    assert "effect.group.effective.pct" in info.value.report()


def test_chapters_without_text_are_named(build_dir: Path, commentary_copy: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (commentary_copy / "ch5.en.md").unlink()
    _check(build_dir)
    err = capsys.readouterr().err
    assert "no editorial text for ch5 (en)" in err
