"""The crosswalk between two waves: which earlier answers can be read in the later wave's terms.

Questionnaires change between editions: a bucket is split, a choice is renamed, a "don't know"
appears or goes. ``data/codebook/crosswalk.yml`` records, per comparable variable, which choice
of the earlier wave corresponds to which choice of the later one. Several earlier choices may
fold into one later choice; an earlier choice left out has no counterpart and stays out of the
comparison. Year-over-year charts tabulate the earlier wave through this map so that both series
share the later wave's choices, order and labels.
"""

from __future__ import annotations

from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hakusho import config
from hakusho.analysis.tabulate import share_table
from hakusho.errors import CodebookError, Problem, ProblemCollector
from hakusho.survey.codebook import Bilingual, Codebook, compose_yaml, parse_yaml, pydantic_problems
from hakusho.survey.wave import Survey

if TYPE_CHECKING:
    from hakusho.analysis.perturbation import Protection

_CHOICE_TYPES = {"single", "ordinal"}


class VariableMap(BaseModel):
    """How one variable of the earlier wave reads in the later wave's terms."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_var: str = Field(alias="from")
    to_var: str = Field(alias="to")
    choices: dict[str, str]
    note: Bilingual | None = None
    line: int | None = Field(default=None, exclude=True)  # where the entry starts in the file

    def sources(self, to_key: str) -> list[str]:
        """Earlier-wave choice keys that count towards one later-wave choice, in file order."""
        return [src for src, dst in self.choices.items() if dst == to_key]


class Crosswalk(BaseModel):
    """All comparable variables between ``from_wave`` and ``to_wave``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    from_wave: str
    to_wave: str
    variables: list[VariableMap]
    source: str | None = Field(default=None, exclude=True)

    @cached_property
    def _by_target(self) -> dict[str, VariableMap]:
        return {v.to_var: v for v in self.variables}

    def variable(self, to_var: str) -> VariableMap | None:
        """The map onto a later-wave variable, or None when the earlier wave has no counterpart."""
        return self._by_target.get(to_var)


def _entry_lines(text: str) -> list[int]:
    """1-based line of each entry under ``variables``, so that errors can point into the file."""
    try:
        root = compose_yaml(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "variables" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_crosswalk(path: Path | None = None) -> Crosswalk:
    """Read the crosswalk file (the project's own unless ``path`` is given) and check its shape.

    Whether the names in it exist in the codebooks is checked by :func:`validate_crosswalk`.
    """
    path = Path(path) if path else config.CROSSWALK_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodebookError(f"crosswalk not found: {path}") from None
    try:
        data: Any = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise CodebookError(f"cannot read {path}",
                            [Problem(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path), row=row)]
                            ) from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path} does not hold a crosswalk (expected a mapping at the top)")
    lines = _entry_lines(text)
    entries = data.get("variables")
    if isinstance(entries, list):
        data["variables"] = [
            {**entry, "line": lines[i] if i < len(lines) else None} if isinstance(entry, dict) else entry
            for i, entry in enumerate(entries)
        ]
    try:
        return Crosswalk.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise CodebookError(f"crosswalk {path} is malformed", pydantic_problems(path, exc)) from None


def _check_variable(found: ProblemCollector, where: dict[str, Any], vm: VariableMap,
                    book_from: Codebook, book_to: Codebook) -> None:
    q_from = book_from.by_id.get(vm.from_var)
    q_to = book_to.by_id.get(vm.to_var)
    if q_from is None:
        found.add(f"no variable '{vm.from_var}' in codebook {book_from.wave}", **where, column="from",
                  value=vm.from_var, expected="one of " + ", ".join(sorted(book_from.by_id)))
    if q_to is None:
        found.add(f"no variable '{vm.to_var}' in codebook {book_to.wave}", **where, column="to",
                  value=vm.to_var, expected="one of " + ", ".join(sorted(book_to.by_id)))
    if q_from is None or q_to is None:
        return
    kinds = {q_from.type, q_to.type}
    if not (kinds <= _CHOICE_TYPES or kinds == {"multi"}):
        found.add(f"{vm.from_var} ({q_from.type}) cannot be compared with {vm.to_var} ({q_to.type})",
                  **where, expected="both multiple-answer, or both single / ordinal")
        return
    from_keys, to_keys = q_from.choice_keys, q_to.choice_keys
    for src, dst in vm.choices.items():
        if src not in from_keys:
            found.add(f"{vm.from_var} has no choice '{src}' in codebook {book_from.wave}", **where,
                      column=f"choices.{src}", value=src, expected="one of " + ", ".join(from_keys))
        if dst not in to_keys:
            found.add(f"{vm.to_var} has no choice '{dst}' in codebook {book_to.wave}", **where,
                      column=f"choices.{src}", value=dst, expected="one of " + ", ".join(to_keys))
    if q_from.type == "ordinal" and q_to.type == "ordinal":
        # Folding buckets must keep their order, or a comparison would reshuffle the scale.
        pairs = [(from_keys.index(s), to_keys.index(d)) for s, d in vm.choices.items()
                 if s in from_keys and d in to_keys]
        pairs.sort()
        for (s1, d1), (s2, d2) in pairwise(pairs):
            if d2 < d1:
                found.add(f"{vm.from_var}: '{from_keys[s2]}' comes after '{from_keys[s1]}' but maps to an "
                          f"earlier bucket", **where, column=f"choices.{from_keys[s2]}",
                          value=to_keys[d2], expected=f"'{to_keys[d1]}' or a later bucket")


def validate_crosswalk(crosswalk: Crosswalk, codebook_from: Codebook, codebook_to: Codebook) -> None:
    """Check every name in the crosswalk against both waves' codebooks; raise all problems at once."""
    found = ProblemCollector()
    src = crosswalk.source
    if crosswalk.from_wave != codebook_from.wave:
        found.add("crosswalk starts from another wave", file=src, value=crosswalk.from_wave,
                  expected=f"the wave of the earlier codebook, {codebook_from.wave}")
    if crosswalk.to_wave != codebook_to.wave:
        found.add("crosswalk leads to another wave", file=src, value=crosswalk.to_wave,
                  expected=f"the wave of the later codebook, {codebook_to.wave}")
    seen: set[str] = set()
    for i, vm in enumerate(crosswalk.variables):
        where: dict[str, Any] = {"file": src, "row": vm.line}
        if vm.to_var in seen:
            found.add(f"variables[{i}]: {vm.to_var} is mapped twice", **where, value=vm.to_var,
                      expected="one entry per 2025 variable")
        seen.add(vm.to_var)
        _check_variable(found, where, vm, codebook_from, codebook_to)
    name = Path(src).name if src else "crosswalk"
    found.raise_if_any(CodebookError, f"{name} does not match codebooks {codebook_from.wave} and {codebook_to.wave}")


def share_in_target_terms(survey_from: Survey, population: pd.Series, variable_to: str,
                          codebook_to: Codebook, crosswalk: Crosswalk, *,
                          protection: Protection | None = None) -> pd.DataFrame:
    """The earlier wave's answers tabulated on the later wave's choices (``TABLE_COLUMNS`` rows).

    Single / ordinal: a target choice counts the respondents whose answer maps to it; the base
    is the respondents of the population whose answer maps to a substantive target choice
    (unmapped and "don't know" answers leave it). Multiple answers: a respondent counts once
    for a target choice if any mapped source choice is ticked; every respondent who answered
    stays in the base, because each choice is a yes/no question of its own. ``protection``
    perturbs the counts as :func:`hakusho.analysis.tabulate.share_table` does.
    """
    vm = crosswalk.variable(variable_to)
    if vm is None:
        raise CodebookError(
            f"{variable_to} has no counterpart in wave {crosswalk.from_wave}",
            [Problem("not in the crosswalk", file=crosswalk.source, value=variable_to,
                     expected="one of " + ", ".join(v.to_var for v in crosswalk.variables))],
        )
    validate_crosswalk(
        Crosswalk(from_wave=crosswalk.from_wave, to_wave=crosswalk.to_wave, variables=[vm],
                  source=crosswalk.source),
        survey_from.codebook, codebook_to,
    )
    q_from = survey_from.question(vm.from_var)
    q_to = codebook_to.question(variable_to)
    in_pop = population.reindex(survey_from.responses.index, fill_value=False).astype(bool)
    who = in_pop & survey_from.answered(vm.from_var)
    nobody = pd.Series(False, index=who.index)
    members: dict[str, pd.Series] = {}
    if q_from.type == "multi":
        picked = survey_from.multi(vm.from_var).fillna(False).astype(bool)
        for choice in q_to.choices:
            sources = vm.sources(choice.key)
            members[choice.key] = who & picked[sources].any(axis=1) if sources else nobody
        in_base = who
    else:
        codes = survey_from.codes(vm.from_var)
        code_of = {c.key: c.code for c in q_from.choices}
        for choice in q_to.choices:
            src_codes = [code_of[k] for k in vm.sources(choice.key)]
            members[choice.key] = who & codes.isin(src_codes).fillna(False).astype(bool) if src_codes else nobody
        in_base = nobody
        for choice in q_to.choices:
            if choice.in_base:
                in_base = in_base | members[choice.key]
    return share_table(q_to.choices, members, in_base, who, multi=q_from.type == "multi",
                       wave=survey_from.wave, protection=protection)
