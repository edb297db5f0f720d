"""Notebook execution: papermill on reused kernels, isolation between notebooks, failures in one
line, and executed notebooks that are a function of their inputs only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hakusho.errors import BuildError
from hakusho.pipeline.executed import NotebookFailed, normalise_notebook
from hakusho.pipeline.kernel import can_fork_kernels, notebook_imports, warm_code
from hakusho.pipeline.runner import KernelPool, NotebookJob, run_notebooks, wait_all


def notebook(path: Path, *cells: str, params: str = 'name = "x"') -> Path:
    nb = new_notebook()
    p = new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# test"), p, *[new_code_cell(c) for c in cells]]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def job(path: Path, tmp: Path, job_name: str, **params) -> NotebookJob:
    return NotebookJob(name=job_name, notebook=path, parameters=params, cwd=tmp / "run",
                       output=tmp / "out" / job_name / path.name)


def outputs(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                texts.append("".join(out["text"]))
    return texts


def test_notebook_imports_reads_import_statements(tmp_path):
    path = notebook(tmp_path / "a.ipynb",
                    "%matplotlib inline\nimport pandas as pd\nfrom hakusho.analysis.chapter import run_chapter",
                    "import os, json\nfrom . import nothing\nx = 1")
    assert notebook_imports([path]) == ["pandas", "hakusho.analysis.chapter:run_chapter", "os", "json"]
    assert "getattr(loaded, attr)" in warm_code(["hakusho.analysis:run_chapter", "os; import evil"]) and \
        "evil" not in warm_code(["hakusho.analysis:run_chapter", "os; import evil"])


def test_papermill_parameters_and_a_warm_reused_kernel(tmp_path):
    a = notebook(tmp_path / "a.ipynb", "import json\nprint(json.dumps({'name': name}))",
                 "from ipykernel.connect import get_connection_info\n"
                 "print(get_connection_info(unpack=True)['transport'])")
    results = run_notebooks([job(a, tmp_path, "one", name="first"), job(a, tmp_path, "two", name="second")],
                            size=1)
    assert [r.name for r in results] == ["one", "two"]
    first, second = (tmp_path / "out" / n / "a.ipynb" for n in ("one", "two"))
    assert outputs(first) == ['{"name": "first"}\n', "ipc\n"]
    assert outputs(second) == ['{"name": "second"}\n', "ipc\n"]
    nb = json.loads(second.read_text(encoding="utf-8"))
    assert [c["id"] for c in nb["cells"]] == ["c0", "c1", "injected-parameters", "c2", "c3"]
    # a reused kernel starts the second notebook at In [1] like a fresh one
    assert [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"] == [1, 2, 3, 4]


def test_a_notebook_cannot_see_what_ran_before_it_in_the_same_kernel(tmp_path):
    polluter = notebook(
        tmp_path / "polluter.ipynb",
        "import os, sys, warnings\nimport matplotlib\nimport matplotlib.pyplot as plt\nimport pandas as pd\n"
        "leak = 1\nmatplotlib.rcParams['lines.linewidth'] = 9\npd.set_option('display.max_rows', 3)\n"
        "os.environ['HAKUSHO_LEAK'] = '1'\nsys.path.append('/nowhere')\nos.chdir('/')\n"
        "warnings.simplefilter('error')\nfig = plt.figure()",
    )
    probe = notebook(
        tmp_path / "probe.ipynb",
        "import os, sys, warnings\nimport matplotlib\nimport matplotlib.pyplot as plt\nimport pandas as pd\n"
        "print('leak' in globals(), matplotlib.rcParams['lines.linewidth'], pd.get_option('display.max_rows'),\n"
        "      os.environ.get('HAKUSHO_LEAK'), '/nowhere' in sys.path, os.getcwd().endswith('run'),\n"
        "      len(plt.get_fignums()), warnings.filters[:1] == [('error', None, Warning, None, 0)])",
    )
    run_notebooks([job(polluter, tmp_path, "p"), job(probe, tmp_path, "after")], size=1)
    run_notebooks([job(probe, tmp_path, "alone")], size=1)
    after = (tmp_path / "out" / "after" / "probe.ipynb").read_bytes()
    alone = (tmp_path / "out" / "alone" / "probe.ipynb").read_bytes()
    assert outputs(tmp_path / "out" / "alone" / "probe.ipynb") == ["False 1.5 60 None False True 0 False\n"]
    assert after == alone


def test_a_failing_cell_is_one_line_naming_the_cell(tmp_path):
    bad = notebook(tmp_path / "bad.ipynb", "x = 1", "raise KeyError('no such chart: cs_status')", "print('never')")
    with pytest.raises(NotebookFailed) as info:
        run_notebooks([job(bad, tmp_path, "ch9", name="z")], size=1)
    assert str(info.value) == ("ch9 (bad.ipynb) cell 4: KeyError: 'no such chart: cs_status'; "
                               "the cell runs: raise KeyError('no such chart: cs_status')")
    executed = info.value.executed
    assert executed is not None
    assert any(o.get("ename") == "KeyError" for c in executed.cells for o in c.get("outputs", []))


def test_the_first_failure_stops_the_other_notebooks(tmp_path):
    bad = notebook(tmp_path / "bad.ipynb", "raise RuntimeError('boom')")
    slow = notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    with pytest.raises(NotebookFailed, match="boom"):
        run_notebooks([job(bad, tmp_path, "bad"), job(slow, tmp_path, "slow")], size=2)
    assert not (tmp_path / "out" / "slow").exists()


def test_normalise_removes_times_paths_and_addresses(tmp_path):
    source = notebook(tmp_path / "n.ipynb", "print(1)")
    nb = nbformat.read(source, as_version=4)
    injected = new_code_cell("name = 'y'")
    injected.metadata["tags"] = ["injected-parameters"]
    injected["id"] = "random-uuid-1234"
    nb.cells.insert(2, injected)
    nb.metadata["papermill"] = {"start_time": "2026-01-01T00:00:00", "end_time": "x", "duration": 1.5,
                                "input_path": str(source), "output_path": "/abs/out.ipynb", "parameters": {}}
    cell = nb.cells[3]
    cell.metadata["papermill"] = {"start_time": "t", "end_time": "t", "duration": 0.1, "status": "completed"}
    cell.metadata["execution"] = {"iopub.execute_input": "t"}
    cell.outputs = [
        new_output("stream", name="stdout", text=f"read {tmp_path}/data.csv\n"),
        new_output("stream", name="stdout", text="second write\n"),
        new_output("execute_result", data={"text/plain": "<Axes at 0x7f3a2b1c9d10>"}, execution_count=1),
    ]
    out = normalise_notebook(nb, source=source, scrub={str(tmp_path): "<work>"})
    assert out.metadata.papermill == {"input_path": "n.ipynb", "output_path": "n.ipynb", "parameters": {}}
    assert out.cells[2]["id"] == "injected-parameters"
    cell = out.cells[3]
    assert cell.metadata == {"papermill": {"status": "completed"}}
    assert cell.outputs[0]["text"] == "read <work>/data.csv\nsecond write\n"
    assert cell.outputs[1]["data"]["text/plain"] == "<Axes at 0x0>"


def test_a_pool_left_on_an_error_waits_for_its_kernel_threads(tmp_path):
    # Kernels are still starting when the error arrives: the pool kills them and waits for its
    # threads, so that none is left in a kernel's C code while the interpreter shuts down (which
    # aborts the process) and no kernel outlives the command.
    with pytest.raises(RuntimeError, match="stop"), KernelPool(2, reuse=True) as pool:
        threads = list(pool._threads)
        raise RuntimeError("stop")
    assert [t.name for t in threads if t.is_alive()] == []
    assert not pool.run_dir.exists()


# ------------------------------------------------------------------------------ forked kernels


def _gone(pid: int) -> bool:
    from hakusho.pipeline.kernel import process_alive

    return not process_alive(pid)


@pytest.mark.skipif(not can_fork_kernels(), reason="kernels are forked on Linux only")
def test_a_pool_of_two_forks_its_kernels_from_one_process_that_imported_their_modules(tmp_path):
    # Each notebook waits for the other to start, so the two run at once, one on each kernel.
    probe = notebook(tmp_path / "probe.ipynb",
                     "import os, sys, time\nopen('started-' + name, 'w').close()\n"
                     "other = 'started-' + ('b' if name == 'a' else 'a')\n"
                     "deadline = time.monotonic() + 60\n"
                     "while not os.path.exists(other) and time.monotonic() < deadline:\n    time.sleep(0.05)\n"
                     "print(os.getppid(), os.getpid(), 'email.mime.text' in sys.modules)")
    with KernelPool(2, warm=["email.mime.text"]) as pool:
        assert pool._zygote is not None
        zygote = pool._zygote.process.pid
        wait_all(pool, [pool.submit(job(probe, tmp_path, name, name=name)) for name in ("a", "b")])
        seen = [outputs(tmp_path / "out" / name / "probe.ipynb")[0].split() for name in ("a", "b")]
    # both kernels are children of the one process, which had imported the module before forking
    assert [s[0] for s in seen] == [str(zygote)] * 2 and [s[2] for s in seen] == ["True"] * 2
    kernels = {int(s[1]) for s in seen}
    assert len(kernels) == 2
    assert pool._zygote.process.poll() is not None, "the process kernels are forked from outlived the pool"
    assert all(_gone(pid) for pid in kernels)


@pytest.mark.skipif(not can_fork_kernels(), reason="kernels are forked on Linux only")
def test_a_forked_kernel_starts_in_the_state_a_launched_kernel_starts_in(tmp_path):
    # What a chapter can see of its kernel — pandas' options, matplotlib's settings, the modules
    # of the libraries it computes and draws with, IPython's display formatters and event hooks,
    # numpy's print options, the warning filters — is the same whether the kernel was forked or
    # launched. (The kernel's own machinery loads some modules as it runs — zmq's garbage
    # collector, time zones — whenever it happens to need them; those are not compared.) (ipykernel adds one filter,
    # for a Trio warning, when its shell starts: after the modules' filters in a forked kernel,
    # before them in a launched one; it matches none of their warnings, so only the set is compared.)
    from hakusho.pipeline.kernel import warm_imports

    state = notebook(tmp_path / "state.ipynb", (
        "import json, sys, warnings\nimport matplotlib as mpl, numpy as np\n"
        "from pandas._config import config as pdc\n"
        "def flat(d, pre=''):\n"
        "    out = {}\n"
        "    for k, v in d.items():\n"
        "        out.update(flat(v, pre + k + '.') if isinstance(v, dict) else {pre + k: repr(v)})\n"
        "    return out\n"
        "ip = get_ipython()\n"
        "LIBRARIES = {'hakusho', 'pandas', 'numpy', 'matplotlib', 'matplotlib_inline', 'seaborn', 'scipy',\n"
        "             'statsmodels'}\n"
        "rc = {k: repr(v) for k, v in dict.items(mpl.rcParams)}\n"
        "print(json.dumps({'pandas': flat(pdc._global_config), 'rc': rc,\n"
        "    'modules': sorted(m for m in sys.modules if m.partition('.')[0] in LIBRARIES),\n"
        "    'formatters': {k: sorted(map(repr, [*f.type_printers, *f.deferred_printers]))\n"
        "                   for k, f in ip.display_formatter.formatters.items()},\n"
        "    'events': {k: [getattr(c, '__qualname__', repr(c)) for c in v] for k, v in ip.events.callbacks.items()},\n"
        "    'numpy': repr(np.get_printoptions()), 'warnings': sorted(map(repr, warnings.filters))}, sort_keys=True))"))
    warm = warm_imports(sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")))
    assert "pandas" in " ".join(warm) or any(w.startswith("hakusho.analysis") for w in warm)
    states = {}
    for size in (2, 1):
        with KernelPool(size, warm=warm) as pool:
            assert (pool._zygote is not None) == (size == 2)
            wait_all(pool, [pool.submit(job(state, tmp_path, f"{size}-{i}")) for i in range(size)])
        states[size] = [json.loads(outputs(tmp_path / "out" / f"{size}-{i}" / "state.ipynb")[0]) for i in range(size)]
    launched = states[1][0]
    for forked in states[2]:
        assert forked.keys() == launched.keys()
        for key in launched:
            assert forked[key] == launched[key], key


@pytest.mark.skipif(not can_fork_kernels(), reason="kernels are forked on Linux only")
def test_killing_a_pool_stops_the_process_its_kernels_were_forked_from_and_the_kernels(tmp_path):
    slow = notebook(tmp_path / "slow.ipynb", "import os, time\nopen('pid-' + name, 'w').write(str(os.getpid()))\n"
                    "time.sleep(120)")
    pool = KernelPool(2)
    futures = [pool.submit(job(slow, tmp_path, n, name=n)) for n in ("a", "b")]
    markers = [tmp_path / "run" / f"pid-{n}" for n in ("a", "b")]
    deadline = time.monotonic() + 120
    while not all(m.exists() and m.read_text() for m in markers) and time.monotonic() < deadline:
        time.sleep(0.1)
    kernels = [int(m.read_text()) for m in markers]
    assert pool._zygote is not None
    pool.kill()
    pool.close()
    assert all(f.done() for f in futures)
    assert pool._zygote.process.poll() is not None
    assert all(_gone(pid) for pid in kernels)


@pytest.mark.skipif(not can_fork_kernels(), reason="kernels are forked on Linux only")
def test_a_kernel_asked_of_a_stopped_forking_process_fails_in_one_line_naming_its_log(tmp_path):
    probe = notebook(tmp_path / "probe.ipynb", "print(1)")
    pool = KernelPool(2)
    assert pool._zygote is not None
    pool._zygote.process.kill()
    pool._zygote.process.wait()
    with pytest.raises(BuildError) as info:
        wait_all(pool, [pool.submit(job(probe, tmp_path, "a"))])
    pool.close()
    assert str(info.value) == ("a notebook kernel did not start: the process the kernels are forked from has "
                               "stopped (log: zygote.log)")


def test_without_fork_a_pool_launches_every_kernel(tmp_path, monkeypatch):
    import hakusho.pipeline.runner as runner

    monkeypatch.setattr(runner, "can_fork_kernels", lambda: False)
    probe = notebook(tmp_path / "probe.ipynb", "print(1)")
    with KernelPool(2) as pool:
        assert pool._zygote is None
        wait_all(pool, [pool.submit(job(probe, tmp_path, n)) for n in ("a", "b")])
    assert outputs(tmp_path / "out" / "b" / "probe.ipynb") == ["1\n"]


def test_a_kernel_started_elsewhere_is_asked_whether_it_lives_by_its_process_id(tmp_path):
    # A client waiting for a forked or kept kernel's first answer asks its manager whether the
    # kernel lives, through the manager's private coroutine; with no launcher behind it, the
    # manager must answer from the process id instead of failing.
    import subprocess
    import sys

    from jupyter_core.utils import run_sync

    from hakusho.pipeline.kernel import _attached_manager

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        manager = _attached_manager(child.pid)
        client = manager.client()
        assert run_sync(manager._async_is_alive)() is True
        assert run_sync(client._async_is_alive)() is True
    finally:
        child.kill()
        child.wait()
    assert run_sync(manager._async_is_alive)() is False
    assert run_sync(client._async_is_alive)() is False
