"""Writing a chart's SVG file: drawn once per content, copied after that.

A chart's SVG is a function of what it is drawn from — the chart dict (or cross document), the
language, the size, the filter line under it — and of what draws it: the style sheet, the two
fonts, the message catalogs, the package's code and the drawing libraries. :func:`write_svg`
keys the drawing by the sha256 of all of these in the build's content store
(:mod:`hakusho.content_store`, kind ``charts``): the same chart asked for again, in this build or
a later one, is copied instead of drawn. Outside a build (no store) it is simply drawn.

Drawing costs tens of milliseconds a chart; the key costs a hash of the chart dict (the file
digests behind it are remembered per process while the files' sizes and dates hold).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hakusho import config, content_store
from hakusho.build_folder import plain

KINDS = ("chart", "cross")
STORE = "charts"
# Libraries whose version can change a drawing's bytes.
DRAWING_LIBRARIES = ("matplotlib", "matplotlib-fontja", "seaborn", "numpy")


def write_svg(kind: str, doc: Mapping[str, Any], lang: str, dest: Path, *, size: str | None = None,
              filter_text: str | None = None, inputs: Mapping[str, Any] | None = None) -> Path:
    """Write the SVG of ``doc`` in ``lang`` to ``dest``: a chart of ``chapter.json`` (``kind``
    ``"chart"``, drawn by :func:`hakusho.charts.draw.draw_chart` at ``size``) or a cross
    (``"cross"``, :func:`hakusho.charts.cross.draw_cross`), with ``filter_text`` under it.
    ``inputs``: :func:`drawing_inputs`, when the caller writes many charts at once."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of chart {kind!r} (expected one of {', '.join(KINDS)})")
    doc = plain(doc)
    dest = Path(dest)
    if inputs is None and content_store.folder(STORE) is not None:
        inputs = drawing_inputs()
    name = content_store.key("svg", kind, doc, lang, size, filter_text, inputs) + ".svg"

    def draw() -> bytes:
        from hakusho.charts.style import save_svg

        if kind == "chart":
            from hakusho.charts.draw import draw_chart

            fig = draw_chart(doc, lang, size=size or "half", filter_text=filter_text)
        else:
            from hakusho.charts.cross import draw_cross

            fig = draw_cross(doc, lang, filter_text=filter_text, size=size or "full")
        return save_svg(fig, dest).read_bytes()

    data = content_store.get(STORE, name)
    if data is None:
        data = draw()
        content_store.put(STORE, name, data)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


def drawing_inputs() -> dict[str, Any] | None:
    """Digests of everything besides the chart itself that decides a drawing's bytes (None
    outside a build, where nothing is stored)."""
    if content_store.folder(STORE) is None:
        return None
    from hakusho import i18n
    from hakusho.charts import fonts
    from hakusho.charts.style import STYLE_FILE
    from hakusho.pipeline.cache import library_versions

    catalogs = sorted({p.parent.parent.name + "/" + p.stem for p in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po")})
    files = [config.resource(STYLE_FILE), *(fonts.font_file(lang) for lang in fonts.LANGS)]
    files += [i18n.catalog_path(name.split("/")[0], name.split("/")[1]) for name in catalogs]
    code = sorted(config.PACKAGE_DIR.rglob("*.py"))
    return {"files": content_store.files_digest(files), "code": content_store.files_digest(code),
            "libraries": library_versions(DRAWING_LIBRARIES)}
