"""The package is layered: each module imports only modules below it, so there is no import
cycle (imports inside functions count too), and colorlab modules are imported at the top."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "colorlab"

# lowest first; a module may import modules of its own or a lower layer only
LAYERS = [
    {"color", "profiles", "files"},
    {"data"},
    {"bins"},
    {"losses", "metrics", "toys", "gradcheck", "hints", "descriptors", "color_grid"},
    {"models"},
    {"tasks"},
    {"train"},
    {"pretrain", "inference"},
    {"viz", "widgets", "zoo", "sweep_plots", "publish"},
    {"bench", "runs", "sandbox"},
    {"cli_train", "assignments"},
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
