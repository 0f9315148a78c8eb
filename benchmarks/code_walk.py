"""Follow a value through the library the way a new engineer reads it: from one function's
parameter, every function of ``inrv_jax`` it is passed to, transitively.

    python -m benchmarks.code_walk                         # the two walks of this checkout
    python -m benchmarks.code_walk --root ../old --start inrv_jax/train/cli.py:main:config

A *stop* is a function (or a class whose constructor gets the value) that receives the value —
or an object that holds it in a field: a function with a parameter annotated as that class then
receives ``param.field`` —
the object itself or one of its sections (``config.model``, ``config.model.inr``: attribute
chains through the names of ``inrv_jax.settings``' sections; the attributes of a value named
``args`` (argparse) are leaves, so ``args.data`` is not ``args``). Inside a function the value flows through plain
assignments. *Files*: the distinct files of the stops. *Re-entries*: steps of the depth-first walk
into a file it had already left (the "climbs back" a reader makes). Calls are resolved by name
(module imports, ``self.``/``cls.``/``Class.`` methods, local definitions, local names bound to
one of them, ``f = a if c else b``); other calls through values holding functions are not
followed, so the counts are a lower bound.

The default walks: ``config`` from the train command and ``args`` from the invert command
(``inrv_jax/commands/{train,invert}.py:run``). Prints one line per walk and, with ``--verbose``,
its stops in walk order. A static measure of structure, not a test: the numbers go in notes.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import pathlib

SECTIONS = frozenset(
    {
        "data",
        "model",
        "loss",
        "optim",
        "train",
        "mesh",
        "distributed",
        "inr",
        "hypernet",
        "conditioning",
        "encoder",
        "render",
    }  # fmt: skip
)
DEFAULT_STARTS = (
    "inrv_jax/commands/train.py:run:config",
    "inrv_jax/commands/invert.py:run:args",
)


@dataclasses.dataclass
class Function:
    module: str
    file: str
    qualname: str
    params: list[str]  # positional-or-keyword, then keyword-only
    node: ast.AST | None  # None: a class without a body to follow (dataclass fields)
    is_method: bool = False


@dataclasses.dataclass
class Index:
    functions: dict[tuple[str, str], Function]
    imports: dict[str, dict[str, str]]  # module -> local name -> qualified "inrv_jax.m[.name]"
    modules: set[str]


def _module_name(root: pathlib.Path, path: pathlib.Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _params(node: ast.FunctionDef) -> list[str]:
    a = node.args
    return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]


def _class_params(node: ast.ClassDef) -> tuple[list[str], ast.AST | None]:
    """A class call's parameters: its ``__init__``'s (without self), else its annotated fields."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _params(item)[1:], item
    fields = [x.target.id for x in node.body
              if isinstance(x, ast.AnnAssign) and isinstance(x.target, ast.Name)]  # fmt: skip
    return fields, None


def _imports(tree: ast.AST, module: str) -> dict[str, str]:
    out = {}
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))  # fmt: skip
            for alias in node.names:
                out[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
    return {k: v for k, v in out.items() if v.startswith("inrv_jax")}


def _add_functions(index: Index, module: str, file: str, body, prefix: str, in_class: bool):
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            qual = prefix + node.name
            index.functions[(module, qual)] = Function(module, file, qual, _params(node), node,
                                                       in_class)  # fmt: skip
            _add_functions(index, module, file, node.body, qual + ".", False)
        elif isinstance(node, ast.ClassDef):
            qual = prefix + node.name
            params, init = _class_params(node)
            index.functions[(module, qual)] = Function(module, file, qual, params, init)
            _add_functions(index, module, file, node.body, qual + ".", True)


def build_index(root: pathlib.Path) -> Index:
    index = Index({}, {}, set())
    for path in sorted((root / "inrv_jax").rglob("*.py")):
        module, file = _module_name(root, path), path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text())
        index.modules.add(module)
        index.imports[module] = _imports(tree, module)
        _add_functions(index, module, file, tree.body, "", False)
    return index


def _lookup(index: Index, qualified: str, depth: int = 0) -> Function | None:
    """The function or class a qualified name points at, following re-exports."""
    module, _, name = qualified.rpartition(".")
    if depth > 5 or module not in index.modules:
        return None
    if (module, name) in index.functions:
        return index.functions[(module, name)]
    target = index.imports[module].get(name)
    return _lookup(index, target, depth + 1) if target else None


def _resolve(index: Index, fn: Function, call: ast.Call) -> tuple[Function | None, int]:
    """(callee, positional offset: 1 when the call's first argument fills ``self``/``cls``)."""
    f, imports, cls = call.func, index.imports[fn.module], fn.qualname.rpartition(".")[0]
    if isinstance(f, ast.Name):
        local = index.functions.get((fn.module, f.id))
        if local is not None:
            return local, 0
        return (_lookup(index, imports[f.id]), 0) if f.id in imports else (None, 0)
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        owner = f.value.id
        if owner in ("self", "cls") and cls:
            return index.functions.get((fn.module, f"{cls.split('.')[0]}.{f.attr}")), 1
        if (fn.module, owner) in index.functions:
            return index.functions.get((fn.module, f"{owner}.{f.attr}")), 1
        if owner in imports:
            target = imports[owner]
            if target in index.modules:
                return _lookup(index, f"{target}.{f.attr}"), 0
            owner_fn = _lookup(index, target)
            if owner_fn is not None:
                return index.functions.get((owner_fn.module, f"{owner_fn.qualname}.{f.attr}")), 1
    return None, 0


def _tracked(expr: ast.AST, names: set[str], sections: frozenset) -> bool:
    """Whether ``expr`` is a tracked name (or ``obj.field``) or a chain of its ``sections``."""
    while isinstance(expr, ast.Attribute):
        if ast.unparse(expr) in names:
            return True
        if expr.attr not in sections:
            return False
        expr = expr.value
    return isinstance(expr, ast.Name) and expr.id in names


def _aliases(fn: Function) -> dict[str, list[ast.expr]]:
    """Local names bound to functions: ``run_fn = a if c else b`` -> {"run_fn": [a, b]}."""
    out = {}
    for node in ast.walk(fn.node):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            options = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
            if isinstance(target, ast.Name) and all(
                isinstance(o, ast.Name | ast.Attribute) for o in options
            ):
                out[target.id] = options
    return out


def _callees(index: Index, fn: Function, call: ast.Call, aliases) -> list[tuple[Function, int]]:
    """What a call may run: the function it names, or those a local alias holds."""
    f = call.func
    if isinstance(f, ast.Name) and f.id in aliases:
        calls = [ast.Call(func=o, args=call.args, keywords=call.keywords) for o in aliases[f.id]]
        return [r for c in calls if (r := _resolve(index, fn, c))[0] is not None]
    callee, offset = _resolve(index, fn, call)
    return [] if callee is None else [(callee, offset)]


def _flows(index: Index, fn: Function, param: str) -> list[tuple[Function, str]]:
    """(callee, its parameter) for every call of ``fn`` that passes the value on."""
    names, out = {param}, []
    sections = frozenset() if param.rpartition(".")[2] == "args" else SECTIONS
    for node in ast.walk(fn.node):
        if isinstance(node, ast.Assign) and _tracked(node.value, names, sections):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    aliases = _aliases(fn)
    for node in ast.walk(fn.node):
        if not isinstance(node, ast.Call):
            continue
        for callee, offset in _callees(index, fn, node, aliases):
            for i, arg in enumerate(node.args):
                if _tracked(arg, names, sections) and i + offset < len(callee.params):
                    out.append((callee, callee.params[i + offset]))
            for kw in node.keywords:
                if kw.arg and _tracked(kw.value, names, sections) and kw.arg in callee.params:
                    out.append((callee, kw.arg))
    return out


def _holders(index: Index, cls: Function, field: str) -> list[tuple[Function, str]]:
    """(function, "param.field") for every function with a parameter annotated as ``cls``: a
    value stored in a field travels with the object (``run.config``)."""
    name, out = cls.qualname.rpartition(".")[2], []
    for fn in index.functions.values():
        if not isinstance(fn.node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        a = fn.node.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs:
            ann = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            if name in ann.replace('"', "").replace("'", "").split(" | "):
                out.append((fn, f"{arg.arg}.{field}"))
    return out


def walk(index: Index, start: Function, param: str) -> list[Function]:
    """The stops in depth-first order (each function once)."""
    seen, order = set(), []

    def visit(fn: Function, name: str):
        key = (fn.module, fn.qualname)
        if key in seen:
            return
        seen.add(key)
        order.append(fn)
        if fn.node is None or isinstance(fn.node, ast.FunctionDef) and fn.node.name == "__init__":
            for holder, p in _holders(index, fn, name):
                visit(holder, p)
        if fn.node is not None:
            for callee, p in _flows(index, fn, name):
                visit(callee, p)

    visit(start, param)
    return order


def reentries(order: list[Function]) -> int:
    left, current, count = set(), None, 0
    for fn in order:
        if fn.file != current:
            if fn.file in left:
                count += 1
            if current is not None:
                left.add(current)
            current = fn.file
    return count


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=".", help="a checkout (the repository root)")
    p.add_argument("--start", action="append", help="FILE:FUNCTION:PARAM (repeatable)")
    p.add_argument("--verbose", action="store_true", help="list the stops in walk order")
    args = p.parse_args(argv)
    root = pathlib.Path(args.root)
    index = build_index(root)
    for start in args.start or DEFAULT_STARTS:
        file, qual, param = start.split(":")
        module = _module_name(root, root / file)
        order = walk(index, index.functions[(module, qual)], param)
        files = {fn.file for fn in order}
        print(f"{start}: {len(order)} stops in {len(files)} files, {reentries(order)} re-entries")
        if args.verbose:
            for fn in order:
                print(f"    {fn.file}:{fn.qualname}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
