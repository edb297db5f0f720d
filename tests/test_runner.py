"""Notebook execution: papermill on reused kernels, isolation between notebooks, failures in one
line, and executed notebooks that are a function of their inputs only."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hakusho.pipeline.executed import NotebookFailed, normalise_notebook
from hakusho.pipeline.kernel import notebook_imports, warm_code
from hakusho.pipeline.runner import NotebookJob, run_notebooks


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
    from hakusho.pipeline.runner import KernelPool

    with pytest.raises(RuntimeError, match="stop"), KernelPool(2, reuse=True) as pool:
        threads = list(pool._threads)
        raise RuntimeError("stop")
    assert [t.name for t in threads if t.is_alive()] == []
    assert not pool.run_dir.exists()
