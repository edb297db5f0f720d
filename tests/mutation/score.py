"""The mutation score per module, after ``mutmut run`` (``nox -s mutants`` runs both).

mutmut leaves its verdicts next to each mutated file (``mutants/<path>.meta``). A mutant counts
as *detected* when a test failed on it (or it made the tests hang or crash). A mutant that
survived is either a gap in the tests or *equivalent*: it changes the code but not what the code
does, so no test can tell it apart. Equivalent mutants are listed, each with the reason, in
``equivalent.txt`` next to this file, one line each::

    <module>.<function> | <the mutated line, as mutmut writes it> | <why nothing can tell it apart>

A line names the function and the mutated code rather than mutmut's running number, so that the
list still holds when other code in the function changes. The score of a module is
detected ÷ (mutants − equivalent); the command lists every surviving mutant that is not
explained and exits non-zero when a module scores under the bar.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
EQUIVALENT_FILE = HERE / "equivalent.txt"
BAR = 90.0

DETECTED = {1, 3, 24, -24, 152, 255, 36, -11, -9}  # failed; pytest error; timeouts; crashes
TIMEOUTS = {24, -24, 152, 255, 36}
CLASS_SEPARATOR = "ǁ"


@dataclass(frozen=True)
class Equivalent:
    function: str  # module.function or module.Class.method
    code: str  # the mutated line(s), stripped, joined with " ⏎ "
    reason: str


def read_equivalents(path: Path = EQUIVALENT_FILE) -> list[Equivalent]:
    """The listed equivalent mutants; a malformed line is an error naming its line number."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        function, sep, rest = line.partition(" | ")
        code, sep2, reason = rest.rpartition(" | ")
        if not (sep and sep2 and function.strip() and code.strip() and reason.strip()):
            raise ValueError(f"{path.name}:{number}: expected 'module.function | mutated code | reason'")
        out.append(Equivalent(function.strip(), code.strip(), reason.strip()))
    return out


def function_of(mutant: str) -> str:
    """``hakusho.m.x_f__mutmut_3`` → ``hakusho.m.f``; ``hakusho.m.xǁCǁf__mutmut_1`` → ``hakusho.m.C.f``."""
    module, _, name = mutant.rpartition(".")
    name = name.rpartition("__mutmut_")[0]
    if name.startswith("x" + CLASS_SEPARATOR):
        _, cls, method = name.split(CLASS_SEPARATOR)
        return f"{module}.{cls}.{method}"
    return f"{module}.{name.removeprefix('x_')}"


def mutated_code(diff: str) -> str:
    """The added lines of a mutant's diff, stripped and joined (what ``equivalent.txt`` quotes)."""
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return " ⏎ ".join(added)


@dataclass
class ModuleScore:
    path: str
    total: int = 0
    detected: int = 0
    timeouts: int = 0
    equivalent: int = 0
    survivors: list[tuple[str, str]] = field(default_factory=list)  # (mutant, mutated code)

    @property
    def score(self) -> float:
        counted = self.total - self.equivalent
        return 100.0 if counted == 0 else 100.0 * self.detected / counted


def _diff(mutant: str, path: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # only in the mutants session's venv

    return get_diff_for_mutant(mutant, path=path)


def score(root: Path, equivalents: list[Equivalent]) -> tuple[list[ModuleScore], list[Equivalent]]:
    """Scores of every mutated module under ``root/mutants``, and the equivalents no mutant matched."""
    known = {(e.function, e.code): e for e in equivalents}
    used: set[tuple[str, str]] = set()
    scores = []
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        path = str(meta.relative_to(root / "mutants")).removesuffix(".meta")
        verdicts = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        module = ModuleScore(path)
        for mutant, code in sorted(verdicts.items()):
            module.total += 1
            if code in DETECTED:
                module.detected += 1
                module.timeouts += code in TIMEOUTS
                continue
            text = mutated_code(_diff(mutant, path))
            key = (function_of(mutant), text)
            if key in known:
                module.equivalent += 1
                used.add(key)
            else:
                module.survivors.append((mutant, text))
        scores.append(module)
    return scores, [e for k, e in known.items() if k not in used]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bar", type=float, default=BAR, help="lowest acceptable score per module, in percent")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if not (root / "mutants").is_dir():
        print("no mutants/ folder here: run `mutmut run` (or `nox -s mutants`) first", file=sys.stderr)
        return 2
    scores, unused = score(root, read_equivalents())
    failed = False
    print(f"{'module':<40} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'left':>5} {'score':>7}")
    for m in scores:
        print(f"{m.path:<40} {m.total:>7} {m.detected:>7} {m.equivalent:>7} {len(m.survivors):>5} {m.score:>6.1f}%")
        failed |= m.score < args.bar
    for m in scores:
        for mutant, code in m.survivors:
            print(f"survived: {mutant}: {code}")
    for e in unused:
        print(f"listed as equivalent but not found (stale?): {e.function} | {e.code}")
    total = sum(m.total for m in scores)
    detected = sum(m.detected for m in scores)
    equivalent = sum(m.equivalent for m in scores)
    overall = 100.0 * detected / max(total - equivalent, 1)
    print(f"{'all':<40} {total:>7} {detected:>7} {equivalent:>7} "
          f"{sum(len(m.survivors) for m in scores):>5} {overall:>6.1f}%")
    if failed:
        print(f"a module scores under {args.bar:g}%", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
