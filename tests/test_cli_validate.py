"""``hakusho validate``: one OK line or the full problem report, with exit codes and no traceback."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from hakusho import config
from hakusho.cli import main
from hakusho.survey.codebook import load_codebook
from hakusho.survey.raw import read_raw
from hakusho.survey.validate import expected_codes


def _text(en: str) -> dict:
    return {"ja": f"{en}（ja）", "en": en}


def _choice(code: int, key: str) -> dict:
    return {"code": code, "key": key, "ja": f"{key}（ja）", "en": key}


CODEBOOK = {
    "wave": "2025",
    "survey": {"title": _text("t"), "publisher": _text("p"), "method": _text("m"), "target": _text("t"),
               "period_start": "2025-01-06", "period_end": "2025-01-31"},
    "id_column": "ID",
    "questions": [
        {"id": "cs_status", "column": "Q1", "type": "single", "text": _text("CS status"),
         "choices": [_choice(1, "doing"), _choice(2, "planning"), _choice(3, "not_doing")]},
        {"id": "tools", "column": "Q2", "type": "multi", "text": _text("Tools"),
         "asked": [["cs_status", "==", "doing"]], "choices": [_choice(1, "crm"), _choice(2, "bi")]},
    ],
}
VALID = "ID,Q1,Q2_1,Q2_2\nR001,1,1,0\nR002,2,,\nR003,1,0,1\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a codebook and a 2025 wave folder, used as the working directory."""
    (tmp_path / "codebook").mkdir()
    (tmp_path / "codebook" / "2025.yml").write_text(yaml.safe_dump(CODEBOOK, allow_unicode=True), encoding="utf-8")
    (tmp_path / "raw" / "2025").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_folder_prints_one_ok_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "raw" / "2025" / "responses.csv").write_text(VALID, encoding="cp932")
    code, out, err = run(capsys, "raw/2025", "--codebook", "codebook/2025.yml")
    assert (code, out, err) == (0, "OK  raw/2025/responses.csv: 3 respondents, 4 columns, codebook 2025\n", "")


def test_valid_file_prints_one_ok_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "raw" / "2025" / "responses.csv").write_text(VALID, encoding="utf-8-sig")
    code, out, _ = run(capsys, "raw/2025/responses.csv", "--codebook", "codebook/2025.yml", "--wave", "2025")
    assert (code, out) == (0, "OK  raw/2025/responses.csv: 3 respondents, 4 columns, codebook 2025\n")


def test_problems_are_listed_with_a_non_zero_exit_and_no_traceback(project: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = VALID.replace("R002,2,,", "R002,2,1,").replace("R003,1,0,1", "R001,4,0,1")
    (project / "raw" / "2025" / "responses.csv").write_text(bad, encoding="utf-8")
    code, out, err = run(capsys, "raw/2025", "--codebook", "codebook/2025.yml")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: raw/2025/responses.csv does not match codebook 2025: 3 problems",
        "  - raw/2025/responses.csv, row 3, respondent R002, column Q2_1: answer where the question was not "
        "asked (value '1'; expected blank: Q2 is asked only when cs_status == doing)",
        "  - raw/2025/responses.csv, row 4, respondent R001, column ID: duplicate respondent id "
        "(value 'R001'; expected an id used once (also on row 2))",
        "  - raw/2025/responses.csv, row 4, respondent R001, column Q1: code out of range "
        "(value '4'; expected one of 1–3 (doing, planning, not_doing))",
    ]
    assert "Traceback" not in err


def test_broken_file_is_reported_not_raised(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "raw" / "2025" / "responses.csv").write_text(VALID.replace("R002,2,,", "R002,2,"), encoding="utf-8")
    code, _, err = run(capsys, "raw/2025", "--codebook", "codebook/2025.yml")
    assert code == 2
    assert err.splitlines() == [
        "error: raw/2025/responses.csv: cannot read the file as a table",
        "  - raw/2025/responses.csv, row 3, respondent R002: the row has 3 fields; the header has 4 "
        "(expected 4 comma-separated fields)",
    ]


def test_codebook_of_another_wave(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "raw" / "2025" / "responses.csv").write_text(VALID, encoding="utf-8")
    code, _, err = run(capsys, "raw/2025", "--codebook", "codebook/2025.yml", "--wave", "2023")
    assert code == 2
    assert err.splitlines()[1] == ("  - raw/2025/responses.csv: codebook 2025 does not describe this file; "
                                   "expected codebook 2023 (expected the codebook of wave 2023)")


def test_wave_cannot_be_told(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "exports").mkdir()
    (project / "exports" / "responses.csv").write_text(VALID, encoding="utf-8")
    code, _, err = run(capsys, "exports")
    assert (code, err) == (2, "error: exports/responses.csv: cannot tell the wave from the folder name; "
                              "pass --wave or --codebook\n")


def test_missing_codebook(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "raw" / "2025" / "responses.csv").write_text(VALID, encoding="utf-8")
    code, _, err = run(capsys, "raw/2025", "--codebook", "codebook/2024.yml")
    assert (code, err) == (2, "error: no codebook codebook/2024.yml for raw/2025/responses.csv; pass --codebook\n")


def test_missing_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "raw/2030")
    assert (code, err) == (2, "error: raw/2030: no such file or folder\n")


# --- the project's own data ------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("wave", "respondents"), [("2025", 781), ("2023", 203)])
def test_shipped_data_is_valid(wave: str, respondents: int, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(config.PROJECT_ROOT)
    raw = Path("data/raw") / wave / "responses.csv"
    before = _sha256(raw)
    code, out, err = run(capsys, f"data/raw/{wave}")
    assert (code, err) == (0, "")
    assert re.fullmatch(rf"OK  data/raw/{wave}/responses\.csv: {respondents} respondents, \d+ columns, "
                        rf"codebook {wave}\n", out)
    assert _sha256(raw) == before


def test_shipped_data_with_the_other_waves_codebook(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(config.PROJECT_ROOT)
    code, _, err = run(capsys, "data/raw/2025", "--codebook", "data/codebook/2023.yml")
    assert code == 2
    assert err.splitlines() == [
        "error: data/raw/2025/responses.csv does not match codebook 2023: 1 problem",
        "  - data/raw/2025/responses.csv: codebook 2023 does not describe this file; expected codebook 2025 "
        "(expected the codebook of folder 2025)",
    ]


def test_corrupted_copy_of_the_shipped_data(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy with one code changed gets a report naming that cell and nothing else."""
    book = load_codebook("2025")
    question = next(q for q in book.questions if q.type == "single" and not q.asked)
    copy = tmp_path / "2025" / "responses.csv"
    copy.parent.mkdir()
    shutil.copyfile(config.raw_wave_dir("2025") / "responses.csv", copy)
    raw = read_raw(copy)
    bad = str(max(c.code for c in question.choices) + 100)
    raw.loc[raw.index[9], question.column] = bad
    raw.to_csv(copy, index=False)
    row, respondent = read_raw(copy).index[9], raw[book.id_column].iloc[9]
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "2025", "--codebook", str(config.codebook_path("2025")))
    assert code == 2
    assert err.splitlines() == [
        "error: 2025/responses.csv does not match codebook 2025: 1 problem",
        f"  - 2025/responses.csv, row {row}, respondent {respondent}, column {question.column}: code out of range "
        f"(value '{bad}'; expected {expected_codes(question)})",
    ]
