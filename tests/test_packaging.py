"""The project's own wiring: environment.yml matches pyproject.toml, .ci/run calls make test."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name → PyPI name


def _name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    wanted = {_name(d) for d in deps}
    listed = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:"):].splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("- ") and not line.endswith(":"):
            spec = line[2:].strip()
            if spec.startswith("-e") or spec in ("pip",) or spec.startswith("python"):
                continue
            name = _name(spec)
            listed.add(CONDA_NAMES.get(name, name))
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make workbook" in readme


def test_stored_notebooks_are_clean():
    """No outputs except NBVAL_CHECK_OUTPUT cells, no widget state, one parameters cell."""
    import nbformat
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        assert "widgets" not in nb.metadata, f"{path.name} stores widget state"
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: expected one cell tagged 'parameters'"
        assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells), path.name
        for cell in nb.cells:
            if cell.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" not in cell.source:
                assert not cell.outputs, f"{path.name} has stray outputs: run python -m colorlab clean"
        assert "What we saw" in "".join(c.source for c in nb.cells), f"{path.name} lacks 'What we saw'"
