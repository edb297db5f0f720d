"""The crosswalk between two waves: which earlier answers can be read in the later wave's terms.

Questionnaires change between editions: a bucket is split, a choice is renamed, a "don't know"
appears or goes. There is one crosswalk per pair of waves, ``data/codebook/crosswalk/<earlier>-
<later>.yml``. A question whose key, answer type and choices are identical in both codebooks is
comparable without being listed; the file records only what needs a decision — which choice of
the earlier wave corresponds to which choice of the later one (several may fold into one; an
earlier choice left out stays out of the comparison), a question renamed (``from`` ≠ ``to``), or
a question excluded from comparison (``exclude: true``) — each with its bilingual note. A
question asked in both waves whose choices changed and that the file does not list is never
compared: :func:`compare_codebooks` reports it (``hakusho crosswalk A B``), and its charts say so.
Year-over-year charts tabulate the earlier wave through the map so that both series share the
later wave's choices, order and labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hakusho import config
from hakusho.analysis.tabulate import share_table
from hakusho.config import crosswalk_path  # the one naming rule, light enough for the build plan
from hakusho.errors import CodebookError, Problem, ProblemCollector
from hakusho.messages import Msg
from hakusho.survey.codebook import Bilingual, Codebook, Question, compose_yaml, parse_yaml, pydantic_problems
from hakusho.survey.wave import Survey

if TYPE_CHECKING:
    from hakusho.analysis.perturbation import Protection

_CHOICE_TYPES = {"single", "ordinal"}


class VariableMap(BaseModel):
    """How one variable of the earlier wave reads in the later wave's terms (or, with
    ``exclude``, why it is not compared)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_var: str = Field(alias="from")
    to_var: str = Field(alias="to")
    choices: dict[str, str] = Field(default_factory=dict)
    exclude: bool = False
    note: Bilingual | None = None
    line: int | None = Field(default=None, exclude=True)  # where the entry starts in the file
    inferred: bool = Field(default=False, exclude=True)  # identical in both codebooks, not listed

    @model_validator(mode="after")
    def _choices_or_exclusion(self) -> VariableMap:
        if self.exclude and self.choices:
            raise ValueError(Msg("crosswalk.excluded_maps", var=self.to_var))
        if self.exclude and self.note is None:
            raise ValueError(Msg("crosswalk.excluded_note", var=self.to_var))
        return self

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
        """The map onto a later-wave variable, or None when it is not compared (the earlier wave
        has no counterpart, it is excluded, or its choices changed without a map)."""
        vm = self._by_target.get(to_var)
        return None if vm is None or vm.exclude else vm

    def exclusion(self, to_var: str) -> VariableMap | None:
        """The entry excluding a later-wave variable from comparison, with its note."""
        vm = self._by_target.get(to_var)
        return vm if vm is not None and vm.exclude else None


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
    path = Path(path) if path else crosswalk_path(config.DEFAULT_COMPARE_WAVE, config.DEFAULT_WAVE)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodebookError(Msg("crosswalk.not_found", path=path)) from None
    try:
        data: Any = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise CodebookError(Msg("codebook.unreadable", path=path),
                            [Problem(Msg("codebook.bad_yaml", detail=getattr(exc, "problem", exc)), file=str(path),
                                     row=row)]) from None
    if not isinstance(data, dict):
        raise CodebookError(Msg("crosswalk.not_a_crosswalk", path=path))
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
        raise CodebookError(Msg("crosswalk.malformed", path=path), pydantic_problems(path, exc)) from None


def _check_variable(found: ProblemCollector, where: dict[str, Any], vm: VariableMap,
                    book_from: Codebook, book_to: Codebook) -> None:
    q_from = book_from.by_id.get(vm.from_var)
    q_to = book_to.by_id.get(vm.to_var)
    if q_from is None:
        found.add(Msg("crosswalk.no_variable", var=vm.from_var, wave=book_from.wave), **where, column="from",
                  value=vm.from_var, expected=Msg("filter.expected.one_of", values=", ".join(sorted(book_from.by_id))))
    if q_to is None:
        found.add(Msg("crosswalk.no_variable", var=vm.to_var, wave=book_to.wave), **where, column="to",
                  value=vm.to_var, expected=Msg("filter.expected.one_of", values=", ".join(sorted(book_to.by_id))))
    if q_from is None or q_to is None:
        return
    kinds = {q_from.type, q_to.type}
    if not (kinds <= _CHOICE_TYPES or kinds == {"multi"}):
        found.add(Msg("crosswalk.incomparable", var=vm.from_var, type=q_from.type, other=vm.to_var,
                      other_type=q_to.type), **where, expected=Msg("crosswalk.expected.same_kind"))
        return
    if not vm.choices:
        found.add(Msg("crosswalk.no_choices", var=vm.to_var), **where, column="choices",
                  expected=Msg("crosswalk.expected.map"))
        return
    from_keys, to_keys = q_from.choice_keys, q_to.choice_keys
    for src, dst in vm.choices.items():
        if src not in from_keys:
            found.add(Msg("crosswalk.no_choice", var=vm.from_var, key=src, wave=book_from.wave), **where,
                      column=f"choices.{src}", value=src,
                      expected=Msg("filter.expected.one_of", values=", ".join(from_keys)))
        if dst not in to_keys:
            found.add(Msg("crosswalk.no_choice", var=vm.to_var, key=dst, wave=book_to.wave), **where,
                      column=f"choices.{src}", value=dst,
                      expected=Msg("filter.expected.one_of", values=", ".join(to_keys)))
    if q_from.type == "ordinal" and q_to.type == "ordinal":
        # Folding buckets must keep their order, or a comparison would reshuffle the scale.
        pairs = [(from_keys.index(s), to_keys.index(d)) for s, d in vm.choices.items()
                 if s in from_keys and d in to_keys]
        pairs.sort()
        for (s1, d1), (s2, d2) in pairwise(pairs):
            if d2 < d1:
                found.add(Msg("crosswalk.order", var=vm.from_var, later=from_keys[s2], earlier=from_keys[s1]),
                          **where, column=f"choices.{from_keys[s2]}", value=to_keys[d2],
                          expected=Msg("crosswalk.expected.later", key=to_keys[d1]))


def validate_crosswalk(crosswalk: Crosswalk, codebook_from: Codebook, codebook_to: Codebook) -> None:
    """Check every name in the crosswalk against both waves' codebooks; raise all problems at once."""
    found = ProblemCollector()
    src = crosswalk.source
    if crosswalk.from_wave != codebook_from.wave:
        found.add(Msg("crosswalk.from_other"), file=src, value=crosswalk.from_wave,
                  expected=Msg("crosswalk.expected.earlier", wave=codebook_from.wave))
    if crosswalk.to_wave != codebook_to.wave:
        found.add(Msg("crosswalk.to_other"), file=src, value=crosswalk.to_wave,
                  expected=Msg("crosswalk.expected.later_wave", wave=codebook_to.wave))
    seen: set[str] = set()
    for i, vm in enumerate(crosswalk.variables):
        where: dict[str, Any] = {"file": src, "row": vm.line}
        if vm.to_var in seen:
            found.add(Msg("crosswalk.twice", i=i, var=vm.to_var), **where, value=vm.to_var,
                      expected=Msg("crosswalk.expected.once", wave=codebook_to.wave))
        seen.add(vm.to_var)
        if vm.exclude:
            for var, book, column in ((vm.from_var, codebook_from, "from"), (vm.to_var, codebook_to, "to")):
                if var not in book.by_id:
                    found.add(Msg("crosswalk.no_variable", var=var, wave=book.wave), **where, column=column, value=var,
                              expected=Msg("filter.expected.one_of", values=", ".join(sorted(book.by_id))))
            continue
        _check_variable(found, where, vm, codebook_from, codebook_to)
    name = Path(src).name if src else "crosswalk"
    found.raise_if_any(CodebookError, Msg("crosswalk.mismatch", name=name, earlier=codebook_from.wave,
                                          later=codebook_to.wave))


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
            Msg("crosswalk.no_counterpart", var=variable_to, wave=crosswalk.from_wave),
            [Problem(Msg("crosswalk.problem.not_listed"), file=crosswalk.source, value=variable_to,
                     expected=Msg("filter.expected.one_of", values=", ".join(v.to_var for v in crosswalk.variables)))],
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


# ------------------------------------------------------------------------------ pairs of waves

_COMPARABLE_TYPES = {"single", "ordinal", "multi"}


def identical(q_from: Question, q_to: Question) -> bool:
    """Comparable without a map: the same answer type and the same choices (keys, in order,
    and which of them count in the base). Wording may differ."""
    return (q_from.type == q_to.type and q_from.type in _COMPARABLE_TYPES
            and [(c.key, c.in_base) for c in q_from.choices] == [(c.key, c.in_base) for c in q_to.choices])


@dataclass(frozen=True)
class Comparison:
    """What two codebooks have in common, question by question (later wave's ids)."""

    from_wave: str
    to_wave: str
    identical: tuple[str, ...]  # comparable without being listed
    mapped: tuple[str, ...]  # listed in the crosswalk file with a choice map
    excluded: tuple[str, ...]  # listed as not comparable, with a note
    changed: tuple[str, ...]  # asked in both, choices or type differ, not listed: never compared
    new: tuple[str, ...]  # only in the later wave
    gone: tuple[str, ...]  # only in the earlier wave
    file: Path | None = None  # the crosswalk file, when there is one

    def rows(self) -> list[tuple[str, str]]:
        """(variable, status) in a fixed order, for tables and tests."""
        out = []
        for status in ("identical", "mapped", "excluded", "changed", "new", "gone"):
            out += [(v, status) for v in getattr(self, status)]
        return out


def compare_codebooks(book_from: Codebook, book_to: Codebook, listed: Crosswalk | None = None) -> Comparison:
    """Classify every tabulable question of two waves (see :class:`Comparison`)."""
    listed_to = {v.to_var: v for v in (listed.variables if listed else [])}
    listed_from = {v.from_var for v in listed_to.values()}
    groups: dict[str, list[str]] = {k: [] for k in ("identical", "mapped", "excluded", "changed", "new", "gone")}
    for q in book_to.questions:
        if q.type not in _COMPARABLE_TYPES:
            continue
        if q.id in listed_to:
            groups["excluded" if listed_to[q.id].exclude else "mapped"].append(q.id)
        elif q.id not in book_from.by_id:
            groups["new"].append(q.id)
        elif identical(book_from.by_id[q.id], q):
            groups["identical"].append(q.id)
        else:
            groups["changed"].append(q.id)
    for q in book_from.questions:
        if q.type in _COMPARABLE_TYPES and q.id not in book_to.by_id and q.id not in listed_from:
            groups["gone"].append(q.id)
    return Comparison(book_from.wave, book_to.wave, file=Path(listed.source) if listed and listed.source else None,
                      **{k: tuple(v) for k, v in groups.items()})


def crosswalk_between(book_from: Codebook, book_to: Codebook, folder: Path | None = None) -> Crosswalk:
    """The crosswalk a comparison uses: the pair's file (if any), checked against both
    codebooks, plus an identity map for every identical question it does not list."""
    path = crosswalk_path(book_from.wave, book_to.wave, folder)
    listed = load_crosswalk(path) if path.is_file() else None
    if listed is not None:
        validate_crosswalk(listed, book_from, book_to)
    known = {v.to_var for v in listed.variables} if listed else set()
    inferred = [
        VariableMap.model_validate({"from": q.id, "to": q.id, "choices": {c.key: c.key for c in q.choices},
                                    "inferred": True})
        for q in book_to.questions
        if q.id not in known and q.id in book_from.by_id and identical(book_from.by_id[q.id], q)
    ]
    return Crosswalk(from_wave=book_from.wave, to_wave=book_to.wave,
                     variables=[*(listed.variables if listed else []), *inferred],
                     source=str(path) if listed else None)


def draft_text(book_from: Codebook, book_to: Codebook, comparison: Comparison) -> str:
    """A crosswalk file for the editor to finish. Every changed question is written as a
    commented-out entry (its choices mapped where the keys match, marked where a decision is
    needed), so that nothing is compared until the editor has decided and written the notes."""
    lines = [
        f"# Which answers of the {book_from.wave} wave can be compared with the {book_to.wave} wave, and how.",
        "#",
        "# Questions whose key, answer type and choices are identical in both codebooks are compared",
        "# without being listed here. The commented entries below are the questions whose choices",
        f"# changed. For each: map every {book_from.wave} choice key to a {book_to.wave} choice key (several may",
        "# fold into one; one left out keeps its answers out of the comparison), or replace `choices`",
        "# with `exclude: true` to show the question without comparison; write the note in both",
        "# languages (readers see it); then uncomment the entry and delete the `[]` after `variables:`.",
        "# Until then the question is shown without comparison, and the build says so.",
        f'from_wave: "{book_from.wave}"',
        f'to_wave: "{book_to.wave}"',
        "variables: []",
    ]
    for var in comparison.changed:
        q_from, q_to = book_from.by_id[var], book_to.by_id[var]
        to_keys = set(q_to.choice_keys)
        lines += [f"#  - from: {var}", f"#    to: {var}", "#    choices:"]
        for c in q_from.choices:
            if c.key in to_keys:
                lines.append(f"#      {c.key}: {c.key}")
            else:
                lines.append(f"#      {c.key}: ?   # no {book_to.wave} choice {c.key}: map it, or leave it out")
        new = [c.key for c in q_to.choices if c.key not in set(q_from.choice_keys)]
        if new:
            lines.append(f"#    # new in {book_to.wave}: {', '.join(new)}")
        lines += ["#    note:", "#      ja: ", "#      en: "]
    return "\n".join(lines) + "\n"
