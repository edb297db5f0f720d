"""The render pool: renderers run in parallel processes, and a process that has typeset a deck
itself (a test worker, anything long-lived) still gets render processes that finish.

Typst keeps a pool of threads once it has run; a process forked from one that has run it inherits
the pool without its threads and waits on it for ever. The pool forks while that is safe (fast:
the package is already imported) and starts fresh processes once this process has typeset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# A deck template that needs no report: the real compile_deck runs Typst on it.
TINY_DECK = "#set page(width: 8cm, height: 6cm)\n= Deck\n#lorem(40)\n#pagebreak()\n#lorem(40)\n"


def render_marked(build_dir: Path, out_dir: Path, lang: str) -> Path:
    """A renderer that typesets a deck and says whether it runs in a forked copy of its parent
    (the parent imports a module named in FORK_SENTINEL that nobody else does)."""
    from hakusho.render import deck

    pdf = deck.compile_deck({"lang": lang})
    target = Path(out_dir) / lang / "index.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    forked = os.environ["FORK_SENTINEL"] in sys.modules
    target.write_text(json.dumps({"forked": forked, "pdf": len(pdf) > 0}), encoding="utf-8")
    return target


PROBE = """
import json, sys, types
from pathlib import Path
sys.path.insert(0, {tests!r})
sys.modules["fork_sentinel"] = types.ModuleType("fork_sentinel")
from hakusho.pipeline import render_pool
from hakusho.pipeline.plan import Task
from hakusho.pipeline.progress import Reporter
from hakusho.render import deck

render_pool.RENDERERS["json"] = ("test_render_pool", "render_marked")
tasks = [Task(f"json {{lang}}", "json", lang, lang) for lang in ("ja", "en")]
work = Path({work!r})

def run(name):
    placed = work / name
    done = render_pool.render_tasks(tasks, work, placed, epoch=0, engine="hakusho", jobs=2, reporter=Reporter())
    marks = {{t.lang: json.loads((placed / t.name.replace(" ", "-") / t.lang / "index.json").read_text())
              for t in tasks}}
    return sorted(done), marks

before = run("before")
deck.compile_deck({{"lang": "en"}})  # this process typesets: Typst's threads now exist here
after = run("after")
print(json.dumps({{"before": before, "after": after, "typeset": deck.has_typeset()}}))
"""


def test_render_processes_finish_after_this_process_has_typeset(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "templates" / "typst").mkdir(parents=True)
    (project / "hakusho.toml").write_text('name = "pool"\nwave = "2025"\ncompare = []\n', encoding="utf-8")
    (project / "templates" / "typst" / "deck.typ").write_text(TINY_DECK, encoding="utf-8")
    env = {**os.environ, "HAKUSHO_PROJECT": str(project), "FORK_SENTINEL": "fork_sentinel"}
    script = PROBE.format(tests=str(TESTS), work=str(tmp_path / "work"))
    # A render process stuck on the parent's Typst threads would never end: the timeout fails it.
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    names = ["json en", "json ja"]
    assert report["typeset"] is True
    # Before typesetting here, the pool forks (the package already imported) ...
    assert report["before"] == [names, {"ja": {"forked": True, "pdf": True}, "en": {"forked": True, "pdf": True}}]
    # ... after, it starts fresh processes, which run the renderers the pool was told to use.
    assert report["after"] == [names, {"ja": {"forked": False, "pdf": True}, "en": {"forked": False, "pdf": True}}]


def test_a_stopping_build_keeps_the_executors_cancelled_future_error_quiet(monkeypatch) -> None:
    """The executor's thread may set a result on a future the stopping build cancelled: that
    error must not print a traceback under the build's one-line message; other errors still do."""
    import threading
    from concurrent.futures import InvalidStateError

    from hakusho.pipeline import render_pool

    seen: list[type[BaseException]] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_type))
    render_pool._quiet_cancelled_futures()

    def fail(exc: BaseException) -> None:
        raise exc

    for exc in (InvalidStateError("CANCELLED: <Future state=cancelled>"), ValueError("a real error")):
        thread = threading.Thread(target=fail, args=(exc,))
        thread.start()
        thread.join()
    assert seen == [ValueError]


def test_renderers_warmed_in_the_background_are_waited_for() -> None:
    # A build waits for the warming thread before it forks and before it returns, also on an
    # error: a thread left importing an extension module while the interpreter shuts down can
    # abort the process.
    from hakusho.pipeline import render_pool

    render_pool.warm_renderers(["html", "pdf", "xlsx"])
    warming = list(render_pool._warming)
    render_pool.settle_warming()
    assert warming and not any(t.is_alive() for t in warming)
    assert render_pool._warming == []


def test_the_renderers_import_no_scipy_and_warm_what_they_import_on_first_use():
    # A build imports the renderers in its own process while the kernels work and forks the render
    # processes from it: scipy (half a second) is no renderer's, and what a renderer imports only
    # once it runs (the explorer's seaborn colour ramp) is imported then, once, not in every fork.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hakusho.pipeline import render_pool\n"
        "render_pool.warm_renderers(['html', 'pdf', 'xlsx'])\n"
        "render_pool.settle_warming()\n"
        "print(sorted(m for m in ('scipy', 'seaborn') if m in sys.modules),\n"
        "      [render_pool.first_use_imports(f) for f in ('html', 'pdf', 'xlsx')])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['scipy', 'seaborn'] [('seaborn',), ('seaborn',), ()]"  # seaborn brings scipy
    code_xlsx = ("import sys\nfrom hakusho.pipeline import render_pool\n"
                 "render_pool.warm_renderers(['xlsx'])\nrender_pool.settle_warming()\n"
                 "import hakusho.render.page, hakusho.render.deck\n"
                 "print(sorted(m for m in ('scipy', 'seaborn') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code_xlsx], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
