"""Declarative conditions: routing rules, population rules and researchers' filters.

One grammar serves all three — ``variable operator value`` clauses combined with AND — and one
evaluator turns them into boolean masks. Values are resolved against the codebook (choice key,
code, or label in either language; numbers against ordinal bucket bounds), so a filter can only
ever name things the questionnaire has. Nothing here evaluates text as code.

Researchers' filters arrive as triples or texts, from the command line, a notebook's parameters or
a test; :func:`normalize_filters` reads them (a variable by id, column code or label) and
:func:`filter_label` says them in words for the notes under charts. Reading a filter imports no
pandas: only evaluating one does.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hakusho.errors import FilterError, Problem
from hakusho.i18n import LANGS, Translator
from hakusho.messages import Listed, Msg, tr
from hakusho.survey.codebook import Codebook, Condition, Question

if TYPE_CHECKING:
    import pandas as pd

CHOICE_OPS = {"==", "!=", "in", "not in"}
ORDER_OPS = {"<", "<=", ">", ">="}
MULTI_OPS = {"includes", "excludes"}
ALL_OPS = CHOICE_OPS | ORDER_OPS | MULTI_OPS


def _closest(word: str, options: Iterable[str]) -> Msg:
    options = list(options)
    near = difflib.get_close_matches(word, options, n=3)
    listing = ", ".join(options[:40]) + (" …" if len(options) > 40 else "")
    if near:
        return Msg("filter.closest.near", near=Listed(near, "list.or"), valid=listing)
    return Msg("filter.closest.valid", valid=listing)


def _where(source: str) -> Msg:
    """Where a condition comes from, in words: a researcher's filter, a question's routing, a
    population or a segment of the spec (the forms callers give ``source``)."""
    head, _, name = source.partition(" ")
    if source.startswith("routing of "):
        return Msg("filter.source.routing", name=source.removeprefix("routing of "))
    if head == "population":
        return Msg("filter.source.population", name=name)
    if head == "segment":
        return Msg("filter.source.segment", name=name)
    return Msg("filter.source.filter") if source == "filter" else Msg("filter.source.other", name=source)


def _as_list(value: object) -> list[object]:
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def resolve_choice(question: Question, value: object, *, source: str = "filter") -> int:
    """The choice code that ``value`` names: a key, a code, or a label in either language."""
    for choice in question.choices:
        if value in (choice.key, choice.code, choice.ja, choice.en):
            return choice.code
        if isinstance(value, str) and value.strip().isdigit() and int(value) == choice.code:
            return choice.code
    names = [c.key for c in question.choices]
    raise FilterError(
        Msg("filter.not_a_choice", source=_where(source), value=value, id=question.id),
        [Problem(Msg("filter.problem.unknown_choice"), column=question.id, value=value,
                 expected=_closest(str(value), names))],
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        return float(value)
    return None


def _ordinal_codes(question: Question, op: str, value: object, source: str) -> list[int]:
    """Codes of the buckets that satisfy ``bucket op value`` for an ordinal question.

    A number is compared with bucket bounds and must fall on a boundary, so that every bucket is
    either wholly in or wholly out; a choice name compares by questionnaire order.
    """
    substantive = [c for c in question.choices if c.in_base]
    number = _number(value)
    if number is None or all(c.lower is None for c in substantive):
        pos = {c.code: i for i, c in enumerate(substantive)}
        code = resolve_choice(question, value, source=source)
        if code not in pos:
            raise FilterError(Msg("filter.no_order_place", source=_where(source), value=value, id=question.id))
        ref = pos[code]
        test = {"<": lambda i: i < ref, "<=": lambda i: i <= ref,
                ">": lambda i: i > ref, ">=": lambda i: i >= ref}[op]
        return [c.code for c, i in ((c, pos[c.code]) for c in substantive) if test(i)]
    bounds = sorted({b for c in substantive for b in (c.lower, c.upper) if b is not None})
    if number not in bounds:
        units = {lang: (f" {question.unit.en}" if lang == "en" else question.unit.ja) if question.unit else ""
                 for lang in LANGS}
        listed = {lang: tr("list.separator", lang).join(f"{b:g}{units[lang]}" for b in bounds) for lang in LANGS}
        raise FilterError(
            Msg("filter.not_a_bound", source=_where(source), value=value, id=question.id),
            [Problem(Msg("filter.problem.between_buckets"), column=question.id, value=value,
                     expected=Msg("filter.expected.one_of", values=listed))],
        )
    out = []
    for c in substantive:
        lo = c.lower if c.lower is not None else float("-inf")
        hi = c.upper if c.upper is not None else float("inf")
        keep = {"<": hi <= number, "<=": hi <= number, ">": lo >= number, ">=": lo >= number}[op]
        if keep:
            out.append(c.code)
    return out


def resolve_condition(codebook: Codebook, cond: Condition, *, source: str = "filter") -> tuple[Question, Any]:
    """One condition checked against the codebook — no data needed, so a filter is refused before
    any is read — and what it selects: the question, and the choice codes it keeps (for a numeric
    question, the number it compares with, or the numbers of ``in``/``not in``)."""
    if cond.var not in codebook.by_id:
        raise FilterError(
            Msg("filter.unknown_variable", source=_where(source), name=cond.var),
            [Problem(Msg("filter.problem.unknown_variable"), value=cond.var,
                     expected=_closest(cond.var, codebook.by_id))],
        )
    question = codebook.by_id[cond.var]
    if cond.op not in ALL_OPS:
        raise FilterError(Msg("filter.unknown_operator", source=_where(source), op=cond.op,
                              valid=", ".join(sorted(ALL_OPS))))
    if question.type == "multi":
        if cond.op not in MULTI_OPS | {"==", "in", "!=", "not in"}:
            raise FilterError(
                Msg("filter.multi_operator", source=_where(source), name=cond.var),
                [Problem(Msg("filter.problem.multi_operator"), column=cond.var,
                         value=cond.op, expected="includes, excludes, in, not in")],
            )
        return question, [resolve_choice(question, v, source=source) for v in _as_list(cond.value)]
    if question.type in ("numeric",):
        number = _number(cond.value)
        if number is None and cond.op not in ("in", "not in"):
            raise FilterError(
                Msg("filter.not_a_number", source=_where(source), name=cond.var, value=cond.value),
                [Problem(Msg("filter.problem.wrong_type"), column=cond.var, value=cond.value,
                         expected=Msg("filter.expected.number"))],
            )
        if cond.op in ("in", "not in"):
            return question, [float(v) for v in _as_list(cond.value)]  # type: ignore[arg-type]
        return question, number
    if question.type == "text":
        raise FilterError(Msg("filter.free_text", source=_where(source), name=cond.var))
    if cond.op in MULTI_OPS:
        raise FilterError(
            Msg("filter.includes_on_single", source=_where(source), name=cond.var,
                type=Msg(f"type.{question.type}")),
            [Problem(Msg("filter.problem.wrong_operator"), column=cond.var, value=cond.op,
                     expected="==, !=, in, not in")],
        )
    if cond.op in ORDER_OPS:
        if question.type != "ordinal":
            raise FilterError(
                Msg("filter.no_order", source=_where(source), name=cond.var),
                [Problem(Msg("filter.problem.unordered_operator"), column=cond.var,
                         value=cond.op, expected="==, !=, in, not in")],
            )
        return question, _ordinal_codes(question, cond.op, cond.value, source)
    codes = [resolve_choice(question, v, source=source) for v in _as_list(cond.value)]
    if cond.op in ("==", "!=") and len(codes) != 1:
        raise FilterError(Msg("filter.one_value", source=_where(source), op=cond.op))
    return question, codes


def check_conditions(codebook: Codebook, conditions: Sequence[Condition], *, source: str = "filter") -> None:
    """Every condition checked against the codebook (:func:`resolve_condition`), without data."""
    for cond in conditions:
        resolve_condition(codebook, cond, source=source)


def condition_mask(codebook: Codebook, responses: pd.DataFrame, cond: Condition,
                   *, source: str = "filter") -> pd.Series:
    """Boolean mask of respondents meeting one condition (missing answers never match)."""
    question, selected = resolve_condition(codebook, cond, source=source)
    if question.type == "multi":
        cols = [f"{question.id}__{question.choice(c).key}" for c in selected]
        picked = responses[cols].fillna(False).astype(bool).any(axis=1)
        answered = responses[cols].notna().any(axis=1)
        if cond.op in ("includes", "==", "in"):
            return picked
        return answered & ~picked
    if question.type in ("numeric",):
        col = responses[question.id].astype("Float64")
        ops = {"==": col.eq, "!=": col.ne, "<": col.lt, "<=": col.le, ">": col.gt, ">=": col.ge}
        if cond.op in ops:
            return ops[cond.op](selected).fillna(False).astype(bool)
        mask = col.isin(selected).fillna(False).astype(bool)
        return mask if cond.op == "in" else col.notna() & ~mask
    col = responses[question.id]
    mask = col.isin(selected).fillna(False).astype(bool)
    if cond.op in ("==", "in") or cond.op in ORDER_OPS:
        return mask
    return col.notna() & ~mask


def conditions_mask(codebook: Codebook, responses: pd.DataFrame,
                    conditions: Sequence[Condition], *, source: str = "filter") -> pd.Series:
    """AND of all conditions; an empty list selects everyone."""
    import pandas as pd

    mask = pd.Series(True, index=responses.index)
    for cond in conditions:
        mask &= condition_mask(codebook, responses, cond, source=source)
    return mask


# Word operators need a space after them, and "includes" is tried before "in", so that
# "industry includes saas" is not read as "industry in cludes saas".
_FILTER_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|<=|>=|<|>|\s(?:not in|includes|excludes|in)(?=[\s\[]))\s*(.+?)\s*$"
)


def parse_filter(text: str | Sequence[str]) -> Condition:
    """A researcher's filter (``"employees >= 1000"`` or ``("route", "==", "sns")``) as a Condition.

    Lists are written ``a,b,c`` (or as a YAML/JSON-like ``[a, b]``). The text is split, never
    evaluated.
    """
    if isinstance(text, str):
        m = _FILTER_RE.match(text)
        if not m:
            raise FilterError(
                Msg("filter.unreadable", text=text),
                [Problem(Msg("filter.problem.three_parts"), value=text, expected=Msg("filter.expected.examples"))],
            )
        var, op, raw = m.groups()
        op = op.strip()
    else:
        if len(text) != 3:
            raise FilterError(Msg("filter.parts", got=list(text)))
        var, op, raw = (str(t) for t in text)
        op = op.strip()
    if op not in ALL_OPS:
        raise FilterError(Msg("filter.unknown_operator_in", op=repr(op), valid=", ".join(sorted(ALL_OPS))))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
        raise FilterError(Msg("filter.bad_name", name=var), [Problem(Msg("filter.problem.bad_name"), value=var)])
    raw = raw.strip()
    value: object
    if op in ("in", "not in"):
        inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
        value = [v.strip().strip("'\"") for v in inner.split(",") if v.strip()]
    else:
        value = raw.strip("'\"")
    return Condition(var=var, op=op, value=value)  # type: ignore[arg-type]


def describe_filters(conditions: Sequence[Condition]) -> str:
    """A stable one-line text of a filter, used in outputs and directory names."""
    return " & ".join(c.describe() for c in conditions)


def filter_slug(conditions: Sequence[Condition]) -> str:
    """A file-system-safe name for a filtered build's own output directory."""
    if not conditions:
        return ""
    words = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
             "in": "in", "not in": "notin", "includes": "has", "excludes": "hasnot"}
    parts = []
    for c in conditions:
        value = "+".join(str(v) for v in _as_list(c.value))
        parts.append(f"{c.var}-{words[c.op]}-{value}")
    slug = re.sub(r"[^A-Za-z0-9_+.-]+", "_", "__".join(parts))
    return slug[:120]


# ------------------------------------------------------------------------------ researchers' filters


def normalize_filters(filters: Sequence[Any],
                      codebook: Codebook | None = None) -> tuple[list[Condition], list[list[Any]]]:
    """Conditions from a researcher's filters, and the same filters as JSON-able triples.

    Each filter is ``[variable, operator, value]`` or a text such as ``"employees >= 1000"``;
    triples keep the value as given (a number stays a number in chapter.json). A single text is
    one filter (what ``papermill -p filters "employees >= 1000"`` passes). With ``codebook``, a
    variable may also be named by its column code (``Q1``) or its label in either language
    (「従業員規模」, "Employees"); conditions and triples then carry the variable's id.

    Only texts, numbers and lists of those are accepted as values, and nothing is evaluated:
    anything else is a FilterError before a single respondent is looked at.
    """
    conditions: list[Condition] = []
    triples: list[list[Any]] = []
    if isinstance(filters, str):
        filters = [filters] if filters.strip() else []
    elif isinstance(filters, Mapping) or not isinstance(filters, Sequence):
        raise FilterError(Msg("filter.not_a_list", got=type(filters).__name__),
                          [Problem(Msg("filter.problem.wrong_type"), value=repr(filters)[:80],
                                   expected=Msg("filter.expected.list"))])
    for item in filters:
        if isinstance(item, str):
            cond = _text_filter(item, codebook)
            value = cond.value
        elif isinstance(item, Sequence) and len(item) == 3:
            var, op, value = item
            cond = _triple_filter(var, op, value)
        else:
            raise FilterError(Msg("filter.parts", got=repr(item)[:120]),
                              [Problem(Msg("filter.problem.three_parts"), value=repr(item)[:80])])
        if codebook is not None:
            cond = Condition(var=resolve_variable(codebook, cond.var), op=cond.op, value=cond.value)
        conditions.append(cond)
        triples.append([cond.var, cond.op, list(value) if isinstance(value, tuple | list) else value])
    return conditions, triples


def resolve_variable(codebook: Codebook, name: str) -> str:
    """The id of the variable ``name`` names: an id, a column code or a label in either language.

    An unknown name is returned as it is, for the evaluator to reject with the valid ids listed.
    """
    if name in codebook.by_id:
        return name
    wanted = name.strip().casefold()
    for question in codebook.questions:
        names = {question.column, *(question.label(lang) for lang in LANGS)}
        if wanted in {n.strip().casefold() for n in names}:
            return question.id
    return name


def _scalar_ok(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)


def _triple_filter(var: object, op: object, value: object) -> Condition:
    """A condition from a triple whose parts are checked for type, never interpreted as code."""
    if not isinstance(var, str) or not var.strip():
        raise FilterError(Msg("filter.variable_not_a_name", got=repr(var)[:120]),
                          [Problem(Msg("filter.problem.wrong_type"), value=repr(var)[:80],
                                   expected=Msg("filter.expected.name"))])
    if not isinstance(op, str) or op.strip() not in ALL_OPS:
        raise FilterError(Msg("filter.unknown_operator_in", op=repr(op)[:80], valid=", ".join(sorted(ALL_OPS))),
                          [Problem(Msg("filter.problem.unknown_operator"), column=var, value=repr(op)[:80],
                                   expected=", ".join(sorted(ALL_OPS)))])
    op = op.strip()
    listed = isinstance(value, list | tuple)
    items = list(value) if listed else [value]  # type: ignore[call-overload]
    if not items or not all(_scalar_ok(v) for v in items):
        raise FilterError(Msg("filter.bad_value", name=var, value=repr(value)[:120]),
                          [Problem(Msg("filter.problem.wrong_type"), column=var, value=repr(value)[:80],
                                   expected=Msg("filter.expected.value"))])
    if op in ("in", "not in") and not listed and isinstance(value, str):
        # A text list as the command line writes it: "doing,planning".
        items = [v.strip() for v in value.split(",") if v.strip()]
        listed = True
    if listed and op in ORDER_OPS:
        raise FilterError(Msg("filter.list_for_order", name=var, op=op),
                          [Problem(Msg("filter.problem.wrong_type"), column=var, value=repr(value)[:80],
                                   expected=Msg("filter.expected.one_value"))])
    return Condition(var=var.strip(), op=op, value=items if listed else value)  # type: ignore[arg-type]


_LOOSE_FILTER = re.compile(r"^\s*(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$"
                           r"|^\s*(.+?)\s+(not in|in|includes|excludes)\s+(.+?)\s*$")


def _text_filter(text: str, codebook: Codebook | None) -> Condition:
    """A text filter; with a codebook its variable may be a label (「従業員規模 >= 1000」)."""
    try:
        return parse_filter(text)
    except FilterError:
        if codebook is None:
            raise
        match = _LOOSE_FILTER.match(text)
        if not match or resolve_variable(codebook, (match.group(1) or match.group(4))) not in codebook.by_id:
            raise
        var, op, raw = (match.group(1), match.group(2), match.group(3)) if match.group(1) else \
            (match.group(4), match.group(5), match.group(6))
        cond = parse_filter(f"x {op} {raw}")  # the value read as any text filter's value
        return Condition(var=var.strip(), op=cond.op, value=cond.value)


_ORDER_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def filter_label(conditions: Sequence[Condition], codebook: Codebook) -> dict[str, str]:
    """The filter in words, per language, with the codebook's labels (for notes under charts).

    ``filter_text`` ("employees >= 1000") stays the machine form recorded in the outputs; this is
    what a reader sees: 「従業員規模 ≥ 1000」 / "Employees ≥ 1000".
    """
    out = {}
    for lang in LANGS:
        t = Translator(lang, "notes")
        parts = []
        for cond in conditions:
            question = codebook.question(cond.var)
            values = list(cond.value) if isinstance(cond.value, list | tuple) else [cond.value]

            def name(value: object, question: Question = question, t: Translator = t, lang: str = lang) -> str:
                try:
                    choice = question.choice(resolve_choice(question, value))
                except FilterError:
                    return str(value)
                return t("filter.value", value=choice.label(lang))

            label = question.label(lang)
            if cond.op in _ORDER_SIGNS:
                parts.append(t("filter.order", variable=label, op=_ORDER_SIGNS[cond.op], value=name(cond.value)))
                continue
            listed = t("filter.or").join(name(v) for v in values)
            key = {"==": "filter.is", "in": "filter.is", "!=": "filter.is_not", "not in": "filter.is_not",
                   "includes": "filter.includes", "excludes": "filter.excludes"}[cond.op]
            parts.append(t(key, variable=label, values=listed))
        out[lang] = t("filter.and").join(parts)
    return out
