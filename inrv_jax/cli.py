"""The `inrv` command.

Each subcommand is a `Command`: a module of `inrv_jax.commands` that defines its command line
(`add_arguments(parser)`, and `MEMORY_KNOBS`, the settings that lower its memory, quoted when it
runs out of memory) and `run(args) -> int`, which runs it. The module imports no jax at the top,
so `inrv --help` and `inrv COMMAND --help` answer at once; `run` imports the library only to run
the command, so a missing optional extra only breaks the subcommand that needs it.

Errors: a user error (`inrv_jax.errors.UserError`, a full disk, out of memory, an unwritable
output) prints one line `inrv COMMAND: error: MESSAGE` and exits 2; anything else is a bug and
keeps its traceback. `inrv --debug COMMAND ...` (or INRV_DEBUG=1) prints the traceback of user
errors too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from typing import NamedTuple

from inrv_jax.errors import as_user_error
from inrv_jax.runtime.host_malloc import retain_freed_memory

DEBUG_ENV = "INRV_DEBUG"


class Command(NamedTuple):
    module: str  # inrv_jax.commands.X: add_arguments(parser) [MEMORY_KNOBS] and run(args) -> int
    help: str  # one line


COMMANDS: dict[str, Command] = {
    "train": Command(
        "inrv_jax.commands.train", "train INR-V on a dataset (config file + overrides)"
    ),
    "data": Command("inrv_jax.commands.data", "inspect and validate video data sources"),
    "fit-single": Command(
        "inrv_jax.commands.fit_single", "fit one INR directly to one video (baseline)"
    ),
    "render": Command(
        "inrv_jax.commands.render", "render a training video or a latent to npy/mp4/gif/png"
    ),
    "generate": Command("inrv_jax.commands.generate", "sample novel videos from the latent space"),
    "fit-prior": Command(
        "inrv_jax.commands.fit_prior", "fit a prior (gaussian, gmm, flow) over the learned latents"
    ),
    "interpolate": Command(
        "inrv_jax.commands.interpolate", "interpolate between two videos in latent space"
    ),
    "invert": Command("inrv_jax.commands.invert", "invert (masked) videos into the latent space"),
    "train-encoder": Command(
        "inrv_jax.commands.train_encoder", "train an encoder: videos to latents in one pass"
    ),
    "evaluate": Command(
        "inrv_jax.commands.evaluate", "standard evaluation suite of a trained model"
    ),
    "import-official": Command(
        "inrv_jax.commands.import_official", "import an official INR-V PyTorch checkpoint"
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """`inrv`'s own parser: the commands and their one-line help. Each command's arguments are
    parsed by a parser of its own (`command_parser`), so listing the commands imports none."""
    parser = argparse.ArgumentParser(prog="inrv", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--debug", action="store_true", help=f"tracebacks for user errors too (or {DEBUG_ENV}=1)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub.add_parser(name, help=command.help, description=command.help)
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of `inrv NAME ...` (imports the command's module, which imports no jax)."""
    parser = argparse.ArgumentParser(prog=f"inrv {name}", description=COMMANDS[name].help)
    importlib.import_module(COMMANDS[name].module).add_arguments(parser)
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
    if not argv or argv[0] not in COMMANDS:  # `inrv --help`, no command or an unknown one
        build_parser().parse_args(argv)  # prints the help or the error, and exits
        return 2
    name = argv[0]
    parser = command_parser(name)
    knobs = getattr(sys.modules[COMMANDS[name].module], "MEMORY_KNOBS", ())
    try:
        return _run(name, parser, argv[1:])
    except Exception as err:
        user = as_user_error(err, knobs)
        if user is None:  # a bug: the traceback is the report
            raise
        if debug:
            traceback.print_exception(err)
        message = " ".join(str(user).split())
        print(f"inrv {name}: error: {message}", file=sys.stderr)
        return 2


def _run(name: str, parser: argparse.ArgumentParser, argv: list[str]) -> int:
    if name == "train":  # --config.key=value overrides are free-form
        args, rest = parser.parse_known_args(argv)
        args.overrides = rest
    else:
        args = parser.parse_args(argv)
    return int(importlib.import_module(COMMANDS[name].module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
