"""The data package imports one way: each module only from the layers below it, at the top."""

from __future__ import annotations

import ast
import pathlib

import inrv_jax.data

# Lowest first; a module may import from earlier lines only (the order in data/__init__.py).
LAYERS = [
    {"errors", "cache"},
    {"parsing", "manifest"},
    {"preprocess"},
    {"options", "decode"},
    {"clip", "atari"},
    {"files", "builtin", "video_source"},
    {"tfds_io"},
    {"resolve"},
    {"sources"},
    {"check", "pipeline"},
]
FOLDER = pathlib.Path(inrv_jax.data.__file__).parent


def _inrv_imports(tree: ast.AST) -> list[tuple[ast.stmt, str]]:
    """(statement, module) for each inrv_jax.data module a statement imports."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node, a.name) for a in node.names if a.name.startswith("inrv_jax")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inrv_jax"):
            if node.module == "inrv_jax.data":  # `from inrv_jax.data import decode`
                out += [(node, f"inrv_jax.data.{a.name}") for a in node.names]
            else:
                out.append((node, node.module))
    return out


def test_every_module_is_in_a_layer():
    modules = {p.stem for p in FOLDER.glob("*.py")} - {"__init__"}
    assert modules == set().union(*LAYERS)


def test_imports_point_down_and_sit_at_the_top():
    layer_of = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    for name, layer in layer_of.items():
        tree = ast.parse((FOLDER / f"{name}.py").read_text())
        top = {id(statement) for statement in tree.body}
        for node, module in _inrv_imports(tree):
            top_level = id(node) in top
            assert top_level, f"{name}.py imports {module} inside a function"
            if module.startswith("inrv_jax.data."):
                dep = module.removeprefix("inrv_jax.data.")
                assert layer_of[dep] < layer, f"{name}.py imports {dep} (not below it)"
