"""Run every course notebook headless and check how it is stored in the repository.

The notebooks are executed with nbclient in a kernel of the interpreter running the tests,
so they see the package and price data installed here, and the test fails on any cell
error. Stored notebooks must have no outputs, so that diffs show only what a person wrote.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
COURSE = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
COURSE_IDS = [path.stem for path in COURSE]

# The course's notebooks in order; each must exist.
EXPECTED_PREFIXES = ["01_start_here", "02_", "03_", "04_", "05_", "06_", "07_"]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def markdown_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def output_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(str(output.data.get("text/plain", "")))
            parts.append(str(output.data.get("text/html", "")))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module) -> str:
    """Register a kernel named ``python3`` that runs the interpreter running the tests.

    The notebooks ask for ``python3``; a kernel of that name installed elsewhere for the
    user (with another interpreter) would otherwise take precedence.
    """
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch_module.setenv("JUPYTER_PATH", str(root))
    monkeypatch_module.setenv("IPYTHONDIR", str(root / "ipython"))
    return "python3"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_course_is_complete():
    names = [path.stem for path in COURSE]
    assert len(names) == len(EXPECTED_PREFIXES), names
    for name, prefix in zip(names, EXPECTED_PREFIXES):
        assert name.startswith(prefix), names


@pytest.mark.parametrize("path", COURSE, ids=COURSE_IDS)
def test_notebook_is_valid(path: Path):
    notebook = read(path)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.kernelspec.language == "python"


@pytest.mark.parametrize("path", COURSE, ids=COURSE_IDS)
def test_outputs_are_stripped(path: Path):
    notebook = read(path)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"cell {index} of {path.name} has stored outputs"
        assert cell.execution_count is None, f"cell {index} of {path.name} has a count"
    assert "widgets" not in notebook.metadata, f"{path.name} stores widget state"


@pytest.mark.parametrize("path", COURSE, ids=COURSE_IDS)
def test_notebook_structure(path: Path):
    notebook = read(path)
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), "the first cell must give the notebook's title"
    text = markdown_text(notebook)
    assert "Learning goals" in text
    assert re.search(r"^## Exercises", text, flags=re.MULTILINE), "no Exercises section"
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    checks = re.findall(r'check\("(\d+\.\d+)"', code)
    solutions = re.findall(r'show_solution\("(\d+\.\d+)"\)', code)
    assert checks, "no exercise is checked"
    assert sorted(set(checks)) == sorted(set(solutions)), "each exercise needs a solution"
    number = path.stem[:2].lstrip("0")
    assert all(key.split(".")[0] == number for key in checks), checks


@pytest.mark.slow
@pytest.mark.parametrize("path", COURSE, ids=COURSE_IDS)
def test_notebook_executes(path: Path, kernel_name: str):
    notebook = read(path)
    client = NotebookClient(
        notebook,
        kernel_name=kernel_name,
        timeout=300,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()

    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {index}: {output.get('evalue')}"
            if output.output_type == "stream":
                assert output.name == "stdout", f"cell {index} wrote to stderr: {output.text}"
        if re.search(r'check\("\d+\.\d+", ', cell.source):
            assert "not answered yet" in output_text(cell), f"cell {index}: {cell.source}"
