"""Declarative conditions: routing rules, population rules and researchers' filters.

One grammar serves all three — ``variable operator value`` clauses combined with AND — and one
evaluator turns them into boolean masks. Values are resolved against the codebook (choice key,
code, or label in either language; numbers against ordinal bucket bounds), so a filter can only
ever name things the questionnaire has. Nothing here evaluates text as code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

import pandas as pd

from hakusho.errors import FilterError, Problem
from hakusho.survey.codebook import Codebook, Condition, Question

CHOICE_OPS = {"==", "!=", "in", "not in"}
ORDER_OPS = {"<", "<=", ">", ">="}
MULTI_OPS = {"includes", "excludes"}
ALL_OPS = CHOICE_OPS | ORDER_OPS | MULTI_OPS


def _closest(word: str, options: Iterable[str]) -> str:
    options = list(options)
    near = difflib.get_close_matches(word, options, n=3)
    listing = ", ".join(options[:40]) + (" …" if len(options) > 40 else "")
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    return f"{hint}valid: {listing}"


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
        f"{source}: '{value}' is not a choice of {question.id}",
        [Problem("unknown choice", column=question.id, value=value, expected=_closest(str(value), names))],
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
            raise FilterError(f"{source}: '{value}' has no place in the order of {question.id}")
        ref = pos[code]
        test = {"<": lambda i: i < ref, "<=": lambda i: i <= ref,
                ">": lambda i: i > ref, ">=": lambda i: i >= ref}[op]
        return [c.code for c, i in ((c, pos[c.code]) for c in substantive) if test(i)]
    bounds = sorted({b for c in substantive for b in (c.lower, c.upper) if b is not None})
    if number not in bounds:
        unit = f" {question.unit.en}" if question.unit else ""
        raise FilterError(
            f"{source}: {value} is not a bucket boundary of {question.id}",
            [Problem("a number must fall between buckets", column=question.id, value=value,
                     expected="one of " + ", ".join(f"{b:g}{unit}" for b in bounds))],
        )
    out = []
    for c in substantive:
        lo = c.lower if c.lower is not None else float("-inf")
        hi = c.upper if c.upper is not None else float("inf")
        keep = {"<": hi <= number, "<=": hi <= number, ">": lo >= number, ">=": lo >= number}[op]
        if keep:
            out.append(c.code)
    return out


def condition_mask(codebook: Codebook, responses: pd.DataFrame, cond: Condition,
                   *, source: str = "filter") -> pd.Series:
    """Boolean mask of respondents meeting one condition (missing answers never match)."""
    if cond.var not in codebook.by_id:
        raise FilterError(
            f"{source}: unknown variable '{cond.var}'",
            [Problem("unknown variable", value=cond.var, expected=_closest(cond.var, codebook.by_id))],
        )
    question = codebook.by_id[cond.var]
    if cond.op not in ALL_OPS:
        raise FilterError(f"{source}: unknown operator '{cond.op}' (valid: {', '.join(sorted(ALL_OPS))})")
    if question.type == "multi":
        if cond.op not in MULTI_OPS | {"==", "in", "!=", "not in"}:
            raise FilterError(
                f"{source}: {cond.var} is a multiple-answer question; use includes / excludes",
                [Problem("wrong operator for a multiple-answer question", column=cond.var,
                         value=cond.op, expected="includes, excludes, in, not in")],
            )
        codes = [resolve_choice(question, v, source=source) for v in _as_list(cond.value)]
        cols = [f"{question.id}__{question.choice(c).key}" for c in codes]
        picked = responses[cols].fillna(False).astype(bool).any(axis=1)
        answered = responses[cols].notna().any(axis=1)
        if cond.op in ("includes", "==", "in"):
            return picked
        return answered & ~picked
    if question.type in ("numeric",):
        number = _number(cond.value)
        if number is None and cond.op not in ("in", "not in"):
            raise FilterError(
                f"{source}: {cond.var} is numeric; '{cond.value}' is not a number",
                [Problem("wrong type", column=cond.var, value=cond.value, expected="a number")],
            )
        col = responses[question.id].astype("Float64")
        ops = {"==": col.eq, "!=": col.ne, "<": col.lt, "<=": col.le, ">": col.gt, ">=": col.ge}
        if cond.op in ops:
            return ops[cond.op](number).fillna(False).astype(bool)
        values = [float(v) for v in _as_list(cond.value)]
        mask = col.isin(values).fillna(False).astype(bool)
        return mask if cond.op == "in" else col.notna() & ~mask
    if question.type == "text":
        raise FilterError(f"{source}: {cond.var} is free text and cannot be filtered on")
    col = responses[question.id]
    if cond.op in MULTI_OPS:
        raise FilterError(
            f"{source}: includes / excludes apply to multiple-answer questions; {cond.var} is "
            f"{question.type}",
            [Problem("wrong operator", column=cond.var, value=cond.op, expected="==, !=, in, not in")],
        )
    if cond.op in ORDER_OPS:
        if question.type != "ordinal":
            raise FilterError(
                f"{source}: {cond.var} has no order; use == / != / in / not in",
                [Problem("wrong operator for an unordered question", column=cond.var,
                         value=cond.op, expected="==, !=, in, not in")],
            )
        codes = _ordinal_codes(question, cond.op, cond.value, source)
        return col.isin(codes).fillna(False).astype(bool)
    codes = [resolve_choice(question, v, source=source) for v in _as_list(cond.value)]
    if cond.op in ("==", "!=") and len(codes) != 1:
        raise FilterError(f"{source}: {cond.op} takes one value; use in / not in for a list")
    mask = col.isin(codes).fillna(False).astype(bool)
    if cond.op in ("==", "in"):
        return mask
    return col.notna() & ~mask


def conditions_mask(codebook: Codebook, responses: pd.DataFrame,
                    conditions: Sequence[Condition], *, source: str = "filter") -> pd.Series:
    """AND of all conditions; an empty list selects everyone."""
    mask = pd.Series(True, index=responses.index)
    for cond in conditions:
        mask &= condition_mask(codebook, responses, cond, source=source)
    return mask


_FILTER_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|<=|>=|<|>|not in|in|includes|excludes)\s*(.+?)\s*$")


def parse_filter(text: str | Sequence[str]) -> Condition:
    """A researcher's filter (``"employees >= 1000"`` or ``("route", "==", "sns")``) as a Condition.

    Lists are written ``a,b,c`` (or as a YAML/JSON-like ``[a, b]``). The text is split, never
    evaluated.
    """
    if isinstance(text, str):
        m = _FILTER_RE.match(text)
        if not m:
            raise FilterError(
                f"cannot read filter '{text}'",
                [Problem("expected VARIABLE OPERATOR VALUE", value=text,
                         expected="e.g. employees >= 1000, route == sns, industry includes saas")],
            )
        var, op, raw = m.groups()
    else:
        if len(text) != 3:
            raise FilterError(f"a filter has three parts (variable, operator, value), got {list(text)}")
        var, op, raw = (str(t) for t in text)
        op = op.strip()
    if op not in ALL_OPS:
        raise FilterError(f"unknown operator '{op}' in filter (valid: {', '.join(sorted(ALL_OPS))})")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
        raise FilterError(f"'{var}' is not a variable name", [Problem("bad variable name", value=var)])
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
