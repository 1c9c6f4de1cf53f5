"""The package's layers import one way only, and no module imports itself back through others.

The layers, bottom to top, are listed in LAYERS (docs/architecture.md draws them). A module may import from its own
layer or any layer below it, never from a layer above, not even lazily inside a function. A new top-level module or
package must be placed in a layer here, which is the point: its place is a decision, not an accident.
"""

import ast
import pathlib

import pytest

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent.parent / "xpnn"

# Bottom to top. Names are module prefixes: "xpnn.nn" covers xpnn.nn and everything below it.
LAYERS = [
    ("foundation", ["xpnn._utils", "xpnn.dtypes", "xpnn.backend"]),
    ("engine", ["xpnn.autograd", "xpnn.random"]),
    ("ops", ["xpnn.ops"]),
    ("tensor", ["xpnn._tensor", "xpnn._tensor_methods", "xpnn._tensor_inplace"]),
    (
        "tensor functions",
        [
            "xpnn.creation",
            "xpnn.functions",
            "xpnn.cuda",
            "xpnn.accelerator",
            "xpnn.backends",
            "xpnn.xpu",
            "xpnn.tensor_types",
        ],
    ),
    (
        "libraries",
        [
            "xpnn.nn",
            "xpnn.optim",
            "xpnn.data",
            "xpnn.datasets",
            "xpnn.serialization",
            "xpnn.metrics",
            "xpnn.utils",
            "xpnn.distributed",
        ],
    ),
    ("package", ["xpnn"]),
]


def module_name(path):
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """Every module of the package, by dotted name, with its source path."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "_sample" not in path.parts:
            found[module_name(path)] = path
    return found


def imports_of(name, path, known, top_level_only):
    """The package modules that ``name`` imports (resolved to existing module names)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    targets = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
            names = []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module
            bases = [base]
            names = [alias.name for alias in node.names]
        else:
            continue
        for base in bases:
            if not base.startswith("xpnn"):
                continue
            # `from . import backend` imports a submodule; `from .x import y` imports module x.
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
            targets.update(submodules or [base])
    targets.discard(name)
    return targets


def layer_of(name):
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


ALL = modules()


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_module_has_a_layer(name):
    assert layer_of(name) is not None, f"{name} is in no layer: place it in LAYERS (tests/test_layering.py)"


@pytest.mark.parametrize("name", sorted(ALL))
def test_imports_point_down(name):
    own = layer_of(name)
    upward = [
        f"{target} ({LAYERS[layer_of(target)][0]})"
        for target in sorted(imports_of(name, ALL[name], ALL, top_level_only=False))
        if layer_of(target) is not None and layer_of(target) > own
    ]
    assert not upward, f"{name} ({LAYERS[own][0]} layer) imports from a layer above it: {', '.join(upward)}"


def find_cycle(graph):
    """One import cycle in ``graph`` (name -> imported names) as a list of names, or None."""
    state = {}  # name -> "open" while on the depth-first stack, "done" after

    def visit(name, trail):
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                return trail[trail.index(target) :] + [target]
            if target not in state:
                cycle = visit(target, trail + [target])
                if cycle:
                    return cycle
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name, [name])
            if cycle:
                return cycle
    return None


def test_no_import_cycle():
    graph = {name: imports_of(name, path, ALL, top_level_only=True) for name, path in ALL.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_checker_sees_an_upward_import(tmp_path):
    # The checker itself must be able to fail: an engine module importing from nn is flagged.
    fake = tmp_path / "xpnn" / "autograd" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from ..nn import Module\n")
    known = dict(ALL)
    targets = imports_of("xpnn.autograd.bad", fake, known, top_level_only=False)
    assert targets == {"xpnn.nn"}
    assert layer_of("xpnn.nn") > layer_of("xpnn.autograd.bad")
