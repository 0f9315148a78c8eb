"""The `inrv` command.

Each subcommand lives in the module that owns its feature; that module exposes
`add_arguments(parser)` and `run(args) -> int`, and may name the settings that lower its memory
in `MEMORY_KNOBS` (quoted when it runs out of memory). Modules are imported only when their
subcommand runs, so `inrv --help` stays fast and a missing optional extra only breaks
the subcommand that needs it.

Errors: a user error (`inrv_jax.errors.UserError`, a full disk, out of memory, an unwritable
output) prints one line `inrv COMMAND: error: MESSAGE` and exits 2; anything else is a bug and
keeps its traceback. `inrv --debug COMMAND ...` (or INRV_DEBUG=1) prints the traceback of user
errors too.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import traceback

from inrv_jax.errors import as_user_error
from inrv_jax.runtime.host_malloc import retain_freed_memory

DEBUG_ENV = "INRV_DEBUG"

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("inrv_jax.train.cli", "train INR-V on a dataset (config file + overrides)"),
    "data": ("inrv_jax.data.cli", "inspect and validate video data sources"),
    "fit-single": ("inrv_jax.tasks.fit_single", "fit one INR directly to one video (baseline)"),
    "render": ("inrv_jax.tasks.render", "render a training video or a latent to npy/mp4/gif/png"),
    "generate": ("inrv_jax.tasks.generate", "sample novel videos from the latent space"),
    "interpolate": ("inrv_jax.tasks.interpolate", "interpolate between two videos in latent space"),
    "invert": ("inrv_jax.tasks.invert", "invert (masked) videos into the latent space"),
    "evaluate": ("inrv_jax.tasks.evaluate", "standard evaluation suite of a trained model"),
    "import-official": (
        "inrv_jax.official.importer",
        "import an official INR-V PyTorch checkpoint",
    ),
}


def _available_commands() -> dict[str, tuple[str, str]]:
    out = {}
    for name, (module, help_) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            out[name] = (module, help_)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inrv", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--debug", action="store_true", help=f"tracebacks for user errors too (or {DEBUG_ENV}=1)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in _available_commands().items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a process entry point (the `inrv` script), not a call from Python
        try:  # only with INRV_HOST_MALLOC=retain (inrv_jax/runtime/host_malloc.py)
            retain_freed_memory()
        except ValueError as e:
            sys.exit(f"inrv: {e}")
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    commands = _available_commands()
    name = argv[0] if argv and argv[0] in commands else None
    module = importlib.import_module(commands[name][0]) if name else None
    try:
        return _dispatch(argv, commands, module)
    except Exception as err:
        user = as_user_error(err, getattr(module, "MEMORY_KNOBS", ()))
        if user is None:  # a bug: the traceback is the report
            raise
        if debug:
            traceback.print_exception(err)
        message = " ".join(str(user).split())
        print(f"inrv{' ' + name if name else ''}: error: {message}", file=sys.stderr)
        return 2


def _dispatch(argv: list[str], commands, module) -> int:
    # Import only the module of the requested subcommand when one is named.
    if module is not None:
        parser = argparse.ArgumentParser(prog=f"inrv {argv[0]}", description=commands[argv[0]][1])
        module.add_arguments(parser)
        if argv[0] == "train":  # --config.key=value overrides are free-form
            args, rest = parser.parse_known_args(argv[1:])
            args.overrides = rest
        else:
            args = parser.parse_args(argv[1:])
        return int(module.run(args) or 0)
    args = build_parser().parse_args(argv)
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
