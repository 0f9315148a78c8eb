"""The `inrv` command.

Each subcommand lives in the module that owns its feature; that module exposes
`add_arguments(parser)` and `run(args) -> int`. Modules are imported only when their
subcommand runs, so `inrv --help` stays fast and a missing optional extra only breaks
the subcommand that needs it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from inrv_jax.host_malloc import retain_freed_memory

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
    "import-official": ("inrv_jax.official_import", "import an official INR-V PyTorch checkpoint"),
}


def _available_commands() -> dict[str, tuple[str, str]]:
    out = {}
    for name, (module, help_) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            out[name] = (module, help_)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inrv", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in _available_commands().items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a process entry point (the `inrv` script), not a call from Python
        try:  # only with INRV_HOST_MALLOC=retain (inrv_jax/host_malloc.py)
            retain_freed_memory()
        except ValueError as e:
            sys.exit(f"inrv: {e}")
    argv = sys.argv[1:] if argv is None else argv
    # Import only the module of the requested subcommand when one is named.
    commands = _available_commands()
    if argv and argv[0] in commands:
        module = importlib.import_module(commands[argv[0]][0])
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
