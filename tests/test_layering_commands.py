"""The library takes plain values: argparse lives in `inrv_jax.commands` and `inrv_jax.cli` only.

No function below `inrv_jax/commands/` has a parameter named `args` or annotated
`argparse.Namespace`, and no module there imports argparse: a command turns its flags into values
once, in its `run`, and the library never sees the namespace.
"""

from __future__ import annotations

import ast
import pathlib

import inrv_jax

PACKAGE = pathlib.Path(inrv_jax.__file__).parent
ROOT = PACKAGE.parent
COMMAND_LAYER = (PACKAGE / "commands", PACKAGE / "cli.py")
# Files that still hold a command half and cannot be changed here yet; each entry must still be
# needed (the test below fails once the file is clean, so the entry goes with the code).
PENDING: set[str] = set()


def _library_files() -> list[pathlib.Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(path == top or top in path.parents for top in COMMAND_LAYER)
    )


def _is_namespace(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    text = ast.unparse(annotation).strip("'\"")
    return text in ("argparse.Namespace", "Namespace")


def _problems(path: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """ "path:line what" for each argparse namespace parameter and argparse import of ``path``
    (named relative to ``root``), in the order of the file."""
    name = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
            for p in params:
                if p is not None and (p.arg == "args" or _is_namespace(p.annotation)):
                    what = getattr(node, "name", "lambda")
                    found.append(f"{name}:{p.lineno} {what}() takes {p.arg!r}")
        elif isinstance(node, ast.Import):
            found += [f"{name}:{node.lineno} import argparse" for a in node.names
                      if a.name == "argparse"]  # fmt: skip
        elif isinstance(node, ast.ImportFrom) and node.module == "argparse":
            found.append(f"{name}:{node.lineno} from argparse import ...")
    return sorted(found, key=lambda line: int(line.split(" ")[0].rsplit(":", 1)[1]))


def test_the_scan_sees_the_library():
    names = {p.relative_to(ROOT).as_posix() for p in _library_files()}
    assert "inrv_jax/tasks/invert.py" in names and "inrv_jax/train/loop.py" in names
    assert not any(n.startswith("inrv_jax/commands/") or n == "inrv_jax/cli.py" for n in names)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import argparse\nfrom argparse import Namespace\n\n\ndef f(args):\n    pass\n\n\n"
        "def g(ns: argparse.Namespace, *, x: 'Namespace' = None):\n    pass\n"
    )
    found = _problems(bad, tmp_path)
    assert [line.split(" ")[0] for line in found] == ["bad.py:1", "bad.py:2", "bad.py:5",
                                                      "bad.py:9", "bad.py:9"]  # fmt: skip


def test_no_library_function_takes_an_argparse_namespace():
    problems = [
        p
        for path in _library_files()
        if path.relative_to(ROOT).as_posix() not in PENDING
        for p in _problems(path)
    ]
    assert not problems, "argparse below inrv_jax/commands:\n" + "\n".join(problems)


def test_pending_exceptions_are_still_needed():
    for name in sorted(PENDING):
        assert _problems(ROOT / name), f"{name} is clean now: remove it from PENDING"


# The config-file edge: ConfigDicts (config files, --config.KEY=VALUE) become Settings there.
CONFIG_EDGE = PACKAGE / "config.py"


def _config_dicts(path: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """'path:line what' for each ml_collections import and ConfigDict annotation in ``path``."""
    name = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=name)):
        if isinstance(node, ast.Import):
            found += [f"{name}:{node.lineno} import {a.name}" for a in node.names
                      if a.name.split(".")[0] == "ml_collections"]  # fmt: skip
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ml_collections"):
            found.append(f"{name}:{node.lineno} from {node.module} import ...")
        elif isinstance(node, ast.arg) and node.annotation is not None:
            if "ConfigDict" in ast.unparse(node.annotation):
                found.append(f"{name}:{node.lineno} parameter {node.arg!r}: a ConfigDict")
    return found


def test_no_library_module_takes_a_config_dict():
    """Below the commands, only the config-file edge (inrv_jax/config.py) knows ConfigDicts; the
    library takes ``inrv_jax.settings`` values."""
    problems = [p for path in _library_files() if path != CONFIG_EDGE for p in _config_dicts(path)]
    assert not problems, "ConfigDicts below the config edge:\n" + "\n".join(problems)


def test_the_config_dict_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import ml_collections\n\n\ndef f(c: ml_collections.ConfigDict):\n    pass\n")
    assert [p.split(" ")[0] for p in _config_dicts(bad, tmp_path)] == ["bad.py:1", "bad.py:4"]


def test_the_train_commands_config_walk_ends_at_the_config_edge():
    # benchmarks/code_walk.py follows `config` from `inrv train` through every function it is
    # passed to (sections and object fields included): it must not reach the library.
    from benchmarks.code_walk import build_index, walk

    index = build_index(ROOT)
    order = walk(index, index.functions[("inrv_jax.commands.train", "run")], "config")
    files = {fn.file for fn in order}
    assert files <= {"inrv_jax/commands/train.py", "inrv_jax/config.py"}, files
    assert 2 <= len(order) <= 25


def test_the_walk_follows_sections_fields_and_aliases(tmp_path):
    # A walk that found nothing would pass the test above: show it finds each kind of flow.
    from benchmarks.code_walk import build_index, walk

    pkg = tmp_path / "inrv_jax"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "lib.py").write_text(
        "import dataclasses\n"
        "@dataclasses.dataclass\nclass Run:\n    config: object\n"
        "def helper(run: Run):\n    sink(run.config)\n"
        "def sink(x):\n    pass\n"
        "def model(m):\n    pass\n"
        "def a(c):\n    pass\n"
        "def b(c):\n    pass\n"
    )
    (pkg / "cmd.py").write_text(
        "from inrv_jax.lib import Run, a, b, model\n"
        "def run(config, flag):\n"
        "    model(config.model)\n    Run(config=config)\n"
        "    fn = a if flag else b\n    fn(config)\n    model(config.train.steps)\n"
    )
    index = build_index(tmp_path)
    names = [fn.qualname for fn in walk(index, index.functions[("inrv_jax.cmd", "run")], "config")]
    assert sorted(names) == ["Run", "a", "b", "helper", "model", "run", "sink"], names
