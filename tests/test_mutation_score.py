"""The mutation score's inputs: mutmut's names read right, and the list of equivalent mutants is
well formed and names only modules that are mutated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from mutation.score import EQUIVALENT_FILE, ModuleScore, function_of, mutated_code, read_equivalents

ROOT = Path(__file__).resolve().parents[1]


def test_mutant_names_map_to_their_function() -> None:
    assert function_of("hakusho.analysis.tabulate.x_round_pct__mutmut_12") == "hakusho.analysis.tabulate.round_pct"
    assert function_of("hakusho.kpi.formulas.xǁNpsResultǁscore__mutmut_3") == "hakusho.kpi.formulas.NpsResult.score"
    assert function_of("hakusho.text.numbers.x__number__mutmut_1") == "hakusho.text.numbers._number"


def test_the_mutated_code_is_the_added_lines_of_the_diff() -> None:
    diff = "--- a.py\n+++ a.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n"
    assert mutated_code(diff) == "return 2"
    assert mutated_code(diff + "+    x = 3\n") == "return 2 ⏎ x = 3"


def test_the_score_leaves_equivalent_mutants_out() -> None:
    module = ModuleScore("m.py", total=100, detected=81, equivalent=10)
    assert module.score == pytest.approx(90.0)
    assert ModuleScore("m.py", total=4, detected=0, equivalent=4).score == 100.0


def test_every_equivalent_mutant_has_a_reason_and_a_mutated_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    modules = {p.removeprefix("src/").removesuffix(".py").replace("/", ".") for p in config["only_mutate"]}
    entries = read_equivalents()
    assert entries
    for entry in entries:
        assert any(entry.function.startswith(m + ".") for m in modules), entry.function
        assert len(entry.reason) > 15, entry
    assert len({(e.function, e.code) for e in entries}) == len(entries), "an entry is listed twice"


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "equivalent.txt"
    bad.write_text("# fine\nhakusho.m.f | x = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"equivalent.txt:2: expected"):
        read_equivalents(bad)
    assert EQUIVALENT_FILE.name == "equivalent.txt"
