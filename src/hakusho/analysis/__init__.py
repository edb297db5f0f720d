"""Where a chapter is computed: shares, comparisons and their tests, disclosure rules, figures, chapters and crosses.

Notebooks import what they call from here::

    from hakusho.analysis import load_waves, run_chapter, run_crosses, run_explorer

The names load on first use, so that importing one light module of the package
(:mod:`hakusho.analysis.tabulate`, say) does not bring in the chapters' whole machinery, and a
build with nothing to do imports none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hakusho.analysis.chapter import ChapterResult, compute_chapter, run_chapter
    from hakusho.analysis.cross import CrossResult, compute_crosses, run_crosses
    from hakusho.analysis.explore import run_explorer
    from hakusho.survey.load import load_waves

__all__ = ["ChapterResult", "CrossResult", "compute_chapter", "compute_crosses", "load_waves", "run_chapter",
           "run_crosses", "run_explorer"]


def __getattr__(name: str) -> Any:
    if name in ("ChapterResult", "compute_chapter", "run_chapter"):
        from hakusho.analysis import chapter as module
    elif name in ("CrossResult", "compute_crosses", "run_crosses"):
        from hakusho.analysis import cross as module
    elif name == "run_explorer":
        from hakusho.analysis import explore as module
    elif name == "load_waves":
        from hakusho.survey import load as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value
