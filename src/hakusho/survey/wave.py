"""A loaded wave: typed responses plus the codebook that explains them.

``responses`` has one row per respondent (index: respondent id, as text) and one column per
variable, named by variable id:

* single / ordinal answers: ``Int64`` choice codes, ``<NA>`` where routing skipped the question;
* multiple answers: one ``boolean`` column per choice, ``f"{variable}__{choice_key}"``, ``<NA>``
  where the question was not asked;
* numeric answers ``Float64``; free text ``string``; the free text behind an "other" choice in
  ``f"{variable}__other_text"``.

Populations (the bases of percentages) are evaluated from the chapter spec's declarative rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hakusho.analysis.spec import Spec, default_spec
from hakusho.errors import FilterError
from hakusho.messages import Msg
from hakusho.survey.codebook import Codebook, Condition, Question
from hakusho.survey.filters import conditions_mask


def multi_column(question: Question, key: str) -> str:
    """Name of the boolean column holding one choice of a multiple-answer question."""
    return f"{question.id}__{key}"


@dataclass(frozen=True)
class Survey:
    """One wave's validated responses, with the codebook and where they came from."""

    wave: str
    codebook: Codebook
    responses: pd.DataFrame
    source: Path | None = None
    filters: tuple[Condition, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return len(self.responses)

    def question(self, qid: str) -> Question:
        return self.codebook.question(qid)

    def codes(self, qid: str) -> pd.Series:
        """Choice codes of a single or ordinal question (``<NA>`` where not answered)."""
        return self.responses[qid]

    def multi(self, qid: str) -> pd.DataFrame:
        """The 0/1 answers of a multiple-answer question, one column per choice key."""
        q = self.question(qid)
        frame = self.responses[[multi_column(q, c.key) for c in q.choices]]
        frame.columns = [c.key for c in q.choices]
        return frame

    def answered(self, qid: str) -> pd.Series:
        """Who has an answer to the question (for multi: any of its columns is filled)."""
        q = self.question(qid)
        if q.type == "multi":
            return self.multi(qid).notna().any(axis=1)
        return self.responses[qid].notna()

    def asked(self, qid: str) -> pd.Series:
        """Who the routing sent to the question."""
        q = self.question(qid)
        return conditions_mask(self.codebook, self.responses, q.asked, source=f"routing of {qid}")

    def where(self, conditions: Sequence[Condition], *, source: str = "filter") -> pd.Series:
        return conditions_mask(self.codebook, self.responses, conditions, source=source)

    def population(self, pop_id: str, *, segment: str = "saas", spec: Spec | None = None) -> pd.Series:
        """Membership of a population, evaluated for the report's segment.

        Populations marked ``segment: true`` are restricted to the report's segment, so the same
        chapter spec builds the SaaS, non-SaaS and integrated reports.
        """
        spec = spec or default_spec()
        try:
            pop = spec.populations[pop_id]
        except KeyError:
            raise FilterError(
                Msg("wave.unknown_population", id=pop_id, valid=", ".join(spec.populations))
            ) from None
        mask = self.where(pop.where, source=f"population {pop_id}")
        if pop.segment:
            seg = spec.segments[segment]
            mask &= self.where(seg.where, source=f"segment {segment}")
        return mask

    def subset(self, mask: pd.Series, filters: Sequence[Condition] = ()) -> Survey:
        """The same wave restricted to some respondents (a researcher's filter)."""
        return Survey(
            wave=self.wave,
            codebook=self.codebook,
            responses=self.responses.loc[mask.astype(bool)],
            source=self.source,
            filters=tuple(self.filters) + tuple(filters),
        )
