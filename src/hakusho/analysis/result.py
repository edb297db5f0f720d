"""What a chapter or a part computes, as a value: its document, the tidy table behind each chart
and the figures prose may quote — and the one way it is written and shown.

:class:`PartResult` is the base of :class:`hakusho.analysis.chapter.ChapterResult` (chapter.json)
and :class:`hakusho.analysis.cross.CrossResult` (cross.json). Both are written by
:meth:`PartResult.write` into the folder layout :mod:`hakusho.build_folder` describes, and both
show one chart or cross in a notebook the same way: its numbers, then its drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import pandas as pd

from hakusho import build_folder, config
from hakusho.i18n import Translator
from hakusho.messages import Msg


@dataclass(frozen=True)
class PartResult:
    """A chapter or part, computed. ``output_dir`` is set once it has been written, so that a
    notebook can show the SVGs it produced."""

    document: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, Any]
    output_dir: Path | None = field(default=None, compare=False)

    kind: ClassVar[str]  # "chapter" or "part": the first line of the summary
    svg_kind: ClassVar[str]  # how :mod:`hakusho.charts.svg` draws an item: "chart" or "cross"
    document_name: ClassVar[str]  # the document's file in the output folder
    item_name: ClassVar[str]  # what its items are: "chart" or "cross"

    # -- what each kind says about its items (charts or crosses)

    def items(self) -> list[Mapping[str, Any]]:
        """The charts (or crosses), in the document's order."""
        raise NotImplementedError

    def view(self, item_id: str, lang: str = "ja") -> pd.DataFrame:
        """The item's numbers for people."""
        raise NotImplementedError

    def csv_text(self, table: pd.DataFrame) -> str:
        """One tidy table as its CSV file holds it."""
        raise NotImplementedError

    def drawing_options(self, item_id: str, lang: str) -> dict[str, Any]:
        """How the item is drawn in ``lang`` besides its document (size, the filter printed under
        it), as :func:`hakusho.charts.svg.write_svg` takes them."""
        return {}

    def _heading(self, item_id: str, lang: str) -> list[Any]:
        return []

    def _summary_rows(self, lang: str) -> list[tuple[str, Any]]:
        return []

    # -- shared

    @property
    def id(self) -> str:
        return str(self.document["chapter"])

    def item_ids(self) -> list[str]:
        return [str(i["id"]) for i in self.items()]

    def item(self, item_id: str) -> Mapping[str, Any]:
        """One chart (or cross) of the document, by id; a KeyError lists the ids there are."""
        found = next((i for i in self.items() if i["id"] == item_id), None)
        if found is None:
            raise KeyError(f"{self.id} has no {self.item_name} '{item_id}' "
                           f"({self.item_name}s: {', '.join(self.item_ids())})")
        return found

    def table(self, item_id: str) -> pd.DataFrame:
        """The tidy table behind a chart or cross (as written to ``tables/<id>.csv``)."""
        return self.tables[item_id].copy()

    def summary(self, lang: str = "ja") -> pd.DataFrame:
        """What this run covers, for the top of a notebook: waves, segment, filter, respondents."""
        doc = self.document
        rows: list[tuple[str, Any]] = [(self.kind, doc["title"][lang]), ("wave", doc["wave"])]
        if "compare_wave" in doc:
            rows.append(("compare_wave", doc["compare_wave"] or "-"))
        rows += [("segment", doc["segment"]), ("filter", doc["filter_label"][lang] or "-"),
                 ("n_total", doc["n_total"]), ("n_segment", doc["n_segment"])]
        if "counts" in doc:  # exact (a published report) or perturbed (a researcher's run)
            rows.append(("counts", doc["counts"]))
        rows += self._summary_rows(lang)
        return pd.DataFrame(rows, columns=["", self.id]).set_index("")

    def svg_path(self, item_id: str, lang: str = "ja") -> Path:
        """Where the item's SVG in ``lang`` is (after :meth:`write`; a language it did not draw is
        drawn now, into the same folder)."""
        if self.output_dir is None:
            raise FileNotFoundError(f"{self.id} has not been written yet; call write first")
        svg = self.item(item_id)["svg"]
        if svg is None:
            raise FileNotFoundError(f"{item_id} has nobody in its base and no drawing")
        path = self.output_dir / svg[lang]
        if not path.is_file():
            self.draw_svg(item_id, lang, self.output_dir)
        return path

    def show(self, item_id: str, lang: str = "ja") -> list[Any]:
        """What a notebook displays for one chart or cross: its heading (if any), its numbers and
        its SVG in ``lang``. An item with nobody in its base shows its numbers and a line saying
        it has no drawing."""
        from IPython.display import SVG, Markdown

        shown = [*self._heading(item_id, lang), self.view(item_id, lang)]
        if self.item(item_id)["svg"] is None:
            shown.append(Markdown("*" + Translator(lang, "notes")("note.empty_base") + "*"))
        else:
            shown.append(SVG(filename=str(self.svg_path(item_id, lang))))
        return shown

    def write(self, output_dir: Path | str, *, draw_charts: bool = True, langs: Sequence[str] | None = None) -> Self:
        """Write the document, figures.json, ``tables/<id>.csv`` and (unless ``draw_charts`` is
        false, for quick checks of the numbers) ``charts/<id>.<lang>.svg`` into ``output_dir``;
        returns the result with ``output_dir`` set. The same result gives the same bytes. Charts
        are drawn in ``langs`` (default: the report's, :func:`hakusho.config.chart_langs`), at a
        phone's width too unless the build renders no page showing those
        (:func:`hakusho.config.phone_drawings`); one in another language, or at the other size, is
        drawn when it is shown (:meth:`svg_path`) or rendered (:meth:`complete_charts`)."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        build_folder.write_document(out / self.document_name, self.document)
        build_folder.write_document(out / build_folder.FIGURES, self.figures)
        for item_id, table in self.tables.items():
            build_folder.write_text(out / build_folder.table_file(item_id), self.csv_text(table))
        if draw_charts:
            self.draw_charts(out, config.chart_langs() if langs is None else langs,
                             phones=config.phone_drawings())
        return replace(self, output_dir=out)

    def draw_svg(self, item_id: str, lang: str, out: Path, inputs: Mapping[str, Any] | None = None,
                 *, phone: bool = False) -> Path | None:
        """Draw one item in ``lang`` where its document says its SVG is (None: nobody in its
        base, nothing is drawn), at its slide's size or, with ``phone``, at a phone's width."""
        svg = self.item(item_id).get("svg_phone" if phone else "svg")
        if svg is None:
            return None
        from hakusho.charts.svg import write_svg

        options = self.drawing_options(item_id, lang)
        if phone:
            options["size"] = "phone"
        return write_svg(self.svg_kind, self.item(item_id), lang, out / svg[lang], inputs=inputs, **options)

    def draw_charts(self, out: Path, langs: Sequence[str], *, missing_only: bool = False,
                    phones: bool = True) -> None:
        """Draw every item in each of ``langs`` at its slide's size and (with ``phones``) a
        phone's width; only those not drawn yet, with ``missing_only``."""
        from hakusho.charts.shares import draw_all
        from hakusho.charts.svg import drawing_inputs
        from hakusho.i18n import LANGS

        inputs = drawing_inputs()
        keys = build_folder.DRAWINGS if phones else ("svg",)
        jobs = [(str(item["id"]), lang, key == "svg_phone")
                for item in self.items() for lang in LANGS if lang in langs for key in keys
                if item.get(key) and not (missing_only and (out / item[key][lang]).is_file())]
        draw_all(jobs, lambda job: self.draw_svg(job[0], job[1], out, inputs, phone=job[2]),
                 config.draw_processes())

    @classmethod
    def complete_charts(cls, output_dir: Path, langs: Sequence[str], *, phones: bool = True) -> None:
        """Draw the charts a written chapter (or part) lacks in ``langs`` (with ``phones``, at a
        phone's width too): one drawn for a report in fewer languages or without a page, reused
        by one in more or with a page."""
        out = Path(output_dir)
        document = build_folder.read_document(out / cls.document_name,
                                              Msg("folder.what.document", folder=out.name, name=cls.document_name))
        cls(document=document, tables={}, figures={}).draw_charts(out, langs, missing_only=True, phones=phones)


def tidy_csv(table: pd.DataFrame, columns: list[str], formats: Mapping[str, Callable[[Any], str]]) -> str:
    """A tidy table as CSV: fixed columns in file order, LF line ends, ``formats`` applied per column."""
    out = table[columns].copy()
    for column, fmt in formats.items():
        out[column] = [fmt(v) for v in out[column]]
    return out.to_csv(index=False, lineterminator="\n")


def one_decimal(value: Any) -> str:
    """A share as the CSV files print it: one decimal, blank for none."""
    return "" if pd.isna(value) else f"{float(value):.1f}"


def freeze(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only view on a document's top level; the document is rebuilt, never edited, so
    deeper levels stay plain JSON values for the writers and the notebooks."""
    from types import MappingProxyType

    return MappingProxyType(dict(doc))
