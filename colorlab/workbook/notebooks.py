"""The workbook's notebooks as files: finding them, reading them, their parameters, cleaning them.

``find_notebook("05")`` finds ``notebooks/05_….ipynb``; ``load_notebook`` reads one, naming the
file when it is not a notebook; ``read(path)`` collects the values an executed notebook recorded
(:mod:`colorlab.workbook.record`). ``parameters(notebook)`` reads the cell tagged ``parameters``
(names, defaults, types, the comment as help) without running anything, and ``check_parameters``
refuses unknown names, wrong types and unknown profiles before any cell runs. ``clean`` strips a
stored notebook of its outputs and widget state.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

from colorlab.files import atomic_write_text, printable
from colorlab.profiles import NAMES
from colorlab.workbook.record import MIME

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"   # a cell whose text outputs nbval compares


class ParameterError(ValueError):
    """A parameter name, type or value that a notebook does not accept."""


# --- finding and reading notebooks ------------------------------------------------------------

def find_notebook(name) -> Path:
    """A notebook path, or a name like ``05`` / ``05_colorful_classification`` in notebooks/.

    A path (it ends in ``.ipynb`` or names a folder) must exist; a short name must match one notebook.
    """
    path = Path(name)
    if path.suffix == ".ipynb" or len(path.parts) > 1:
        if path.suffix == ".ipynb" and path.is_file():
            return path
        what = "no notebook file" if path.suffix == ".ipynb" else "not a notebook (.ipynb) file:"
        raise FileNotFoundError(f"{what} {printable(path)}; give the path of an .ipynb file, or a name "
                                f"such as 05 for the workbook's notebooks")
    matches = sorted(NOTEBOOK_DIR.glob(f"{name}*.ipynb"))
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.stem for p in sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb")))
    raise FileNotFoundError(f"no notebook {name!r}; give a path or one of: {names}")



def workbook_notebooks() -> list[Path]:
    """The notebooks of the sequence, in order (``notebooks/NN_*.ipynb``)."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))



def load_notebook(path):
    """The notebook at ``path`` (nbformat v4); a ValueError naming the file if it is not one.

    A missing or unreadable file raises the OSError (it names the file too).
    """
    if Path(path).suffix != ".ipynb":
        raise ValueError(f"{printable(path)} is not a notebook (a notebook's name ends in .ipynb)")
    try:
        return nbformat.read(str(path), as_version=4)
    except OSError:
        raise
    except Exception as exc:  # nbformat raises many kinds for a broken file (JSON, schema, types)
        raise ValueError(f"{printable(path)} is not a readable notebook ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None


def read(path) -> dict:
    """All values a notebook recorded with :func:`colorlab.workbook.record.record`: ``{key: value}`` (last write wins)."""
    return records(load_notebook(path))


def records(nb) -> dict:
    """The values recorded in the notebook ``nb`` (already read): ``{key: value}``."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            item = out.get("data", {}).get(MIME)
            if item is not None:
                found[item["key"]] = item["value"]
    return found

# --- parameters ------------------------------------------------------------------------------

@dataclass
class Parameter:
    """One parameter of a notebook: its name, default, accepted types and the comment beside it."""
    name: str
    default: object
    types: tuple  # accepted Python types
    help: str = ""


_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None),
               "list": list, "dict": dict}


def parameters(notebook) -> dict[str, Parameter]:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Types come from an annotation (``epochs: int | None = None``) or else from the default.
    """
    nb = load_notebook(notebook)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ParameterError(f"{printable(notebook)} has no cell tagged 'parameters'")
    source = cells[0].source
    lines = source.splitlines()
    found = {}
    for node in _parse_parameters_cell(notebook, source):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann = node.target.id, ast.unparse(node.annotation)
            default = _literal(node.value) if node.value is not None else None
            if default is _COMPUTED:
                continue  # a computed value is not a parameter
            types = tuple(_TYPE_NAMES.get(t.strip(), object) for t in ann.split("|"))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            default = _literal(node.value)
            if default is _COMPUTED:
                continue  # a computed value is not a parameter
            types = (type(default),) if default is not None else (object,)
        else:
            continue
        comment = lines[node.lineno - 1].partition("#")[2].strip()
        found[name] = Parameter(name, default, types, comment)
    return found


def _parse_parameters_cell(notebook, source: str) -> list:
    """The statements of a parameters cell; a :class:`ParameterError` naming the notebook and the
    line where it is not valid Python (the grader reads students' notebooks with this too)."""
    try:
        return ast.parse(source).body
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        raise ParameterError(f"{printable(notebook)}: the cell tagged 'parameters' is not valid "
                             f"Python, line {exc.lineno}: {exc.msg}"
                             + (f" ({printable(line[:80])})" if line else "")
                             + "; fix that line in the notebook") from None
    except (RecursionError, MemoryError, ValueError) as exc:   # absurd nesting, a NUL byte
        raise ParameterError(f"{printable(notebook)}: the cell tagged 'parameters' cannot be read "
                             f"({type(exc).__name__}); fix it in the notebook") from None


_COMPUTED = object()   # what _literal returns for a value that is not a literal


def _literal(node):
    """The value of a literal expression (``0.38``, ``[1, 2]``), or ``_COMPUTED``."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _COMPUTED   # a call, a name, {[1]: 2}, …


def parse_value(text: str):
    """A command-line string → a Python value: numbers, true/false, none, lists; else the string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _accepts(types, value) -> bool:
    if object in types:
        return True
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def check_parameters(notebook, params: dict, declared: dict | None = None) -> dict:
    """Refuse unknown names, wrong types and unknown profiles before any cell runs.

    Returns the parameters (ints given for floats are kept). Raises :class:`ParameterError`
    whose message lists the notebook's valid parameters. declared: ``parameters(notebook)``, when
    the caller has it already (a sweep checks every point against one reading).
    """
    declared = parameters(notebook) if declared is None else declared
    listing = ", ".join(f"{p.name} ({'|'.join(t.__name__ for t in p.types)})"
                        for p in declared.values())
    for name, value in params.items():
        if name not in declared:
            raise ParameterError(f"{printable(Path(notebook).name)} has no parameter {name!r}; "
                                 f"valid parameters: {listing}")
        if not _accepts(declared[name].types, value):
            want = "|".join(t.__name__ for t in declared[name].types)
            raise ParameterError(f"{printable(Path(notebook).name)}: parameter {name!r} must be {want}, "
                                 f"got {value!r} ({type(value).__name__}); valid parameters: {listing}")
    if "profile" in params and params["profile"] not in NAMES:
        raise ParameterError(f"unknown profile {params['profile']!r}; valid profiles: {', '.join(NAMES)}")
    return params


# --- keeping stored notebooks clean ------------------------------------------------------------

def clean(path) -> bool:
    """Strip a stored notebook: no outputs (except cells marked ``# NBVAL_CHECK_OUTPUT``, whose
    text outputs nbval compares, with an execution count), no widget state. Returns True if changed."""
    nb = load_notebook(path)
    before = nbformat.writes(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = None
        if CHECK_MARK in cell.source:
            cell.execution_count = count  # nbval refuses reference outputs of "unrun" cells
            cell.outputs = [_strip_output(o) for o in cell.outputs
                            if o.output_type in ("stream", "execute_result")]
        else:
            cell.outputs = []
    after = nbformat.writes(nb)
    if after != before:
        atomic_write_text(path, after)     # a full disk or Ctrl-C never costs the notebook
    return after != before


def _strip_output(out):
    out.pop("metadata", None) if out.output_type == "stream" else None
    if out.output_type == "execute_result":
        out.execution_count = None
        out.data = {k: v for k, v in out.data.items() if k == "text/plain"}
        out.metadata = {}
    return out
