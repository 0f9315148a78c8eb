"""No function in inrv_jax/ is longer than MAX_LINES lines, but the few the allow-list names.

Length is ``end_lineno - lineno + 1`` of the ``def`` (decorators excluded, docstring included);
methods and nested functions count too, named by their dotted path (``Loader.__init__``).
The allow-list only shrinks: an entry whose function is gone or now short enough fails, so it
is deleted when the work lands.
"""

from __future__ import annotations

import ast
import pathlib

import inrv_jax

MAX_LINES = 60
PACKAGE = pathlib.Path(inrv_jax.__file__).parent
ROOT = PACKAGE.parent

# (path relative to the repository, function) -> why it may be longer.
PERMANENT: dict = {}
# Being split right now. These files may move: an entry whose file is gone is ignored.
TEMPORARY = {}
ALLOWED = {**PERMANENT, **TEMPORARY}


def _functions(tree: ast.AST, prefix: str = ""):
    """(dotted name, def line, length) of every function under ``tree``, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node.lineno, node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{name}.")
        else:
            yield from _functions(node, prefix)


def _lengths() -> dict[tuple[str, str], list[tuple[int, int]]]:
    """(relative path, dotted name) -> [(def line, length)] of every function in the package."""
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for name, line, length in _functions(tree):
            found.setdefault((rel, name), []).append((line, length))
    return found


def test_no_function_is_longer_than_the_limit():
    offenders = [
        f"{rel}:{line} {name} {length} lines"
        for (rel, name), defs in _lengths().items()
        if (rel, name) not in ALLOWED
        for line, length in defs
        if length > MAX_LINES
    ]
    assert not offenders, (
        f"{len(offenders)} function(s) longer than {MAX_LINES} lines; split each into named "
        "steps (see STYLE.md):\n  " + "\n  ".join(offenders)
    )


def test_allow_list_names_only_functions_still_too_long():
    lengths = _lengths()
    stale = []
    for (rel, name), why in ALLOWED.items():
        if not (ROOT / rel).is_file():
            if (rel, name) in PERMANENT:
                stale.append(f"{rel} {name}: the file is gone ({why}); update PERMANENT")
            continue  # a temporary entry's file was moved or removed: nothing to allow
        defs = lengths.get((rel, name))
        if not defs:
            stale.append(f"{rel} {name}: no such function any more; remove it from the allow-list")
        elif all(length <= MAX_LINES for _, length in defs):
            longest = max(length for _, length in defs)
            stale.append(
                f"{rel}:{defs[0][0]} {name}: now {longest} lines (<= {MAX_LINES}); remove it "
                "from the allow-list"
            )
    assert not stale, "stale allow-list entries:\n  " + "\n  ".join(stale)
