"""The package is layered: each module imports only modules below it, so there is no import
cycle (imports inside functions count too), and colorlab modules are imported at the top."""
import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "colorlab"
README = PACKAGE.parent / "README.md"

# lowest first; a module may import modules of its own or a lower layer only
LAYERS = [
    {"profiles", "files"},
    {"color"},
    {"data"},
    {"metrics"},
    {"models"},
    {"tasks"},
    {"train"},
    {"evaluate"},
    {"show"},
    {"workbook"},
    {"runs"},
    {"cli"},
    {"__main__", "__init__"},
]


def module_of(path: Path) -> str:
    """colorlab/models/vgg16.py → "models" (sub-packages count as one module)."""
    rel = path.relative_to(PACKAGE).with_suffix("").parts
    return rel[0]


def colorlab_imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported top module, line, at top level?) for every colorlab import in a file."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level:            # relative: inside a sub-package, same module
                continue
            if node.module == "colorlab":
                names = [a.name for a in node.names]
            elif node.module and node.module.startswith("colorlab."):
                names = [node.module.split(".")[1]]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("colorlab.")]
        found += [(n, node.lineno, id(node) in top) for n in names]
    return found


def layer(name: str) -> int:
    return next(i for i, group in enumerate(LAYERS) if name in group)


def test_every_module_has_a_layer():
    names = {module_of(p) for p in PACKAGE.rglob("*.py")}
    missing = [n for n in names if not any(n in g for g in LAYERS)]
    assert not missing, f"add {missing} to LAYERS"


def test_modules_import_only_lower_layers_and_at_the_top():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = module_of(path)
        for other, line, at_top in colorlab_imports(path):
            if other == me:
                continue
            if layer(other) >= layer(me) and me != "__init__":
                wrong.append(f"{path.name}:{line} ({me}) imports {other}, which is not below it")
            if not at_top and me != "__init__":
                wrong.append(f"{path.name}:{line} imports colorlab.{other} inside a function")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    edges = {}
    for path in PACKAGE.rglob("*.py"):
        me = module_of(path)
        if me == "__init__":
            continue
        edges.setdefault(me, set()).update(o for o, _, _ in colorlab_imports(path) if o != me)

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen
    cycles = [m for m in edges if m in reach(m)]
    assert not cycles, f"modules on an import cycle: {sorted(cycles)}"


def readme_layers() -> list[set]:
    """The layers the README's Layout section lists: its lines "  name.py folder/   what…"."""
    text = README.read_text().split("## Layout", 1)[1].split("```")[1]
    layers = []
    for line in text.splitlines():
        match = re.match(r"^  (\S.*?)(\s{2,}|$)", line)
        if match:
            layers.append({re.sub(r"(\.py|/)$", "", n) for n in match.group(1).split()})
    return layers


def test_the_readme_layout_lists_the_layers_that_are_checked():
    assert readme_layers() == LAYERS
