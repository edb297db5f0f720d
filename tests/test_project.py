"""The project folder: finding hakusho.toml, reading it, defaults and the project's overrides,
and ``hakusho init``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hakusho import config, i18n, project
from hakusho.cli import main
from hakusho.project import ProjectError, read_project
from hakusho.scaffold import init_project

REPO = Path(__file__).resolve().parents[1]


def write_toml(folder: Path, text: str = 'wave = "2025"\ncompare = ["2023"]\n') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hakusho.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No project named: the working directory decides."""
    monkeypatch.delenv("HAKUSHO_PROJECT", raising=False)
    monkeypatch.delenv("HAKUSHO_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------------------ finding it


def test_this_repository_is_a_project_of_the_2025_edition() -> None:
    here = read_project(REPO)
    assert (here.wave, here.compare, here.languages, here.formats) == ("2025", ("2023",), ("ja", "en"),
                                                                         ("html", "pdf", "xlsx"))
    assert here.raw_dir == REPO / "data" / "raw" and here.report_dir == REPO / "report"
    assert config.PROJECT_ROOT == REPO and config.DEFAULT_WAVE == "2025" and config.DEFAULT_COMPARE_WAVE == "2023"
    assert config.codebook_path("2023") == REPO / "data" / "codebook" / "2023.yml"


def test_found_from_a_folder_below_the_project(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_toml(elsewhere / "wp", 'wave = "2026"\ncompare = "2025,2023"\n[paths]\nreport = "out"\n')
    deep = root / "data" / "raw" / "2026"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert root == config.PROJECT_ROOT
    assert config.DEFAULT_WAVE == "2026" and config.DEFAULT_COMPARE_WAVE == "2025"
    assert project.current().compare == ("2025", "2023")
    assert root / "out" == config.REPORT_DIR


def test_named_by_environment_over_the_working_directory(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = write_toml(elsewhere / "here")
    there = write_toml(elsewhere / "there", 'wave = "2024"\ncompare = []\n')
    monkeypatch.chdir(here)
    monkeypatch.setenv("HAKUSHO_PROJECT", str(there))
    assert there == config.PROJECT_ROOT and config.DEFAULT_COMPARE_WAVE == ""


def test_no_project_is_one_clear_message(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lint-commentary"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no hakusho.toml in ") and "hakusho init DIR" in err and "--project" in err
    assert "Traceback" not in err


def test_project_option_names_the_folder(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(elsewhere / "nowhere"), "lint-commentary"]) == 2
    err = capsys.readouterr().err
    assert "not a hakusho project (no hakusho.toml there)" in err and "Traceback" not in err


def test_a_bad_project_file_lists_every_problem(tmp_path: Path) -> None:
    write_toml(tmp_path, 'wave = "25"\ncompare = ["2025x"]\nlanguages = ["fr"]\ncolour = 1\n[paths]\nraws = "x"\n')
    with pytest.raises(ProjectError) as err:
        read_project(tmp_path)
    text = err.value.report()
    for where in ("column wave", "column compare", "column languages", "column colour", "column paths.raws"):
        assert where in text
    assert "hakusho.toml" in text


def test_unreadable_toml_is_located(tmp_path: Path) -> None:
    write_toml(tmp_path, 'wave = "2025\n')
    with pytest.raises(ProjectError, match=r"cannot read hakusho\.toml") as err:
        read_project(tmp_path)
    assert "not valid TOML" in err.value.report()


# ------------------------------------------------------------------------------ defaults, overrides


def test_defaults_come_from_the_package_and_the_project_overrides_them(elsewhere: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_toml(elsewhere / "wp")
    monkeypatch.chdir(root)
    default = project.default_path("templates/html/cover.html.j2")
    assert config.resource("templates/html/cover.html.j2") == default
    own = root / "templates" / "html" / "cover.html.j2"
    own.parent.mkdir(parents=True)
    own.write_text("mine\n", encoding="utf-8")
    assert config.resource("templates/html/cover.html.j2") == own
    files = project.current().files("templates")
    assert files["html/cover.html.j2"] == own and files["html/base.html.j2"].is_relative_to(project.defaults_root())
    assert list(project.current().overrides()) == ["templates/html/cover.html.j2"]
    assert config.search_path("templates/html") == [root / "templates" / "html", default.parent]
    # The chapter notebooks and the spec are the package's until the project has its own.
    assert project.default_path("spec/chapters.yml") == config.SPEC_PATH
    with pytest.raises(ValueError):
        config.resource("../secrets.txt")


def test_a_project_template_changes_the_page(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hakusho.render import page

    root = write_toml(elsewhere / "wp")
    monkeypatch.chdir(root)
    own = root / "templates" / "html" / "cover.html.j2"
    own.parent.mkdir(parents=True)
    own.write_text("OWN COVER {{ r.title }}\n", encoding="utf-8")
    template = page.html_environment().get_template("cover.html.j2")
    assert template.render(r={"title": "T"}).startswith("OWN COVER T")
    assert page.html_environment().get_template("slide.html.j2").filename.startswith(str(project.defaults_root()))


def test_a_project_catalog_replaces_the_package_catalog(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_toml(elsewhere / "wp")
    monkeypatch.chdir(root)
    packaged = i18n.catalog_path("en", "report")
    own = root / "locale" / "en" / "LC_MESSAGES" / "report.po"
    own.parent.mkdir(parents=True)
    text = packaged.read_text(encoding="utf-8").replace('msgstr "Contents"', 'msgstr "What is inside"', 1)
    own.write_text(text, encoding="utf-8")
    i18n._catalog_in.cache_clear()
    assert i18n.catalog_path("en", "report") == own
    assert i18n.Translator("en")("ui.contents") == "What is inside"


def test_outside_any_project_the_package_defaults_serve(elsewhere: Path) -> None:
    assert config.resource("spec/headlines.yml") == project.default_path("spec/headlines.yml")
    assert i18n.Translator("en", "kpi").has("ledger.title.year")


# ------------------------------------------------------------------------------ init


def test_init_makes_a_project_to_adapt(elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hakusho.survey.codebook import load_codebook
    from hakusho.text.commentary import JAPANESE, commentary_model, missing_commentary

    target = elsewhere / "wp"
    assert main(["init", str(target)]) == 0
    out = capsys.readouterr().out
    assert "made a hakusho project" in out and "hakusho validate data/raw/2025" in out
    made = read_project(target)
    assert (made.wave, made.compare) == ("2025", ())
    ignore = (target / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "data/raw/" in ignore and ".hakusho/" in ignore and "report/" in ignore
    # The perturbation secret is made now, private, and git leaves it out.
    from hakusho.analysis.perturbation import ensure_secret, secret_path

    secret = secret_path(target)
    assert secret.is_file() and secret.stat().st_mode & 0o077 == 0
    assert ensure_secret(target) == ensure_secret(target)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(target)], check=True)
        ignored = subprocess.run(["git", "-C", str(target), "check-ignore", "-q", str(secret)], check=False)
        assert ignored.returncode == 0, "the secret would be committed"
        tracked = subprocess.run(["git", "-C", str(target), "status", "--porcelain", "--ignored=no",
                                  "--untracked-files=all"], capture_output=True, text=True, check=True).stdout
        assert ".hakusho" not in tracked
    book = load_codebook(target / "data" / "codebook" / "2025.yml")
    assert book.wave == "2025" and book.survey.synthetic is False and book.survey.note is None
    assert (target / ".github" / "workflows" / "report.yml").is_file()
    assert (target / "data" / "raw" / "2025").is_dir() and not any((target / "data" / "raw" / "2025").iterdir())
    stubs = sorted(p.name for p in (target / "data" / "commentary" / "2025").glob("*.md"))
    assert "summary.ja.md" in stubs and "ch4.en.md" in stubs and "appendix.ja.md" in stubs
    # Stubs publish nothing: the generated headlines stand in and the log names each stub.
    root = target / "data" / "commentary"
    assert commentary_model({}, "2025", "ch4", "en", root=root) is None
    missing = missing_commentary("2025", ["summary", "ch4"], root=root)
    assert len(missing) == 4 and all(m.stub for m in missing) and "holds no text yet" in str(missing[0])
    for name in (n for n in stubs if n.endswith(".en.md")):
        assert not JAPANESE.search((root / "2025" / name).read_text(encoding="utf-8")), name
    # Notebooks, templates and specs stay in the package.
    assert not (target / "notebooks").exists() and not (target / "templates").exists()


def test_init_with_the_sample_copies_both_waves(tmp_path: Path) -> None:
    made = init_project(tmp_path / "wp", sample=True)
    root = made.root
    assert read_project(root).compare == ("2023",)
    for rel in ("data/raw/2025/responses.csv", "data/raw/2023/responses.csv", "data/codebook/2023.yml",
                "data/commentary/2025/ch1.ja.md", "data/synthetic/targets_2025.yml"):
        assert (root / rel).read_bytes() == (REPO / rel).read_bytes(), rel
    assert any("hakusho build" in step for step in made.next_steps())


def test_init_never_writes_over_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "wp"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    code = main(["init", str(target), "--sample"])
    err = capsys.readouterr().err
    assert code == 2 and "is not empty (notes.txt)" in err and "never writes over existing files" in err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(ProjectError, match="a file of that name exists"):
        init_project(tmp_path / "afile")


def test_init_into_an_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    init_project(target)
    assert (target / "hakusho.toml").is_file()


def test_build_options_default_to_the_project(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hakusho.pipeline.build import BuildOptions

    root = write_toml(elsewhere / "wp", 'wave = "2026"\ncompare = ["2025"]\nlanguages = ["en"]\n')
    monkeypatch.chdir(root)
    options = BuildOptions()
    assert (options.wave, options.compare_wave) == ("2026", "2025")


def test_the_build_hook_ships_what_the_package_reads() -> None:
    """setup.py copies exactly the folders :mod:`hakusho.project` reads from a wheel."""
    text = (REPO / "setup.py").read_text(encoding="utf-8")
    for folder in project.SHIPPED_FOLDERS:
        assert f'"{folder}": "{folder}"' in text
    for sample in ("raw", "codebook", "synthetic", "commentary"):
        assert f'"data/{sample}": "sample/{sample}"' in text
    manifest = (REPO / "MANIFEST.in").read_text(encoding="utf-8")
    assert all(f"graft {folder}" in manifest for folder in project.SHIPPED_FOLDERS)
