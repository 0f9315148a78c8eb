"""`inrv --help` and `inrv COMMAND --help` import no jax (nor flax, optax, orbax, tensorflow,
torch): each command is a light module of `inrv_jax.commands`, whose `run` imports the library
only to run."""

import importlib
import os
import pathlib
import subprocess
import sys

import pytest

from inrv_jax.cli import COMMANDS, command_parser, main

ROOT = pathlib.Path(__file__).resolve().parents[1]
HEAVY = ("jax", "flax", "optax", "orbax", "tensorflow", "torch")
HELP = """
import sys
from inrv_jax.cli import main
try:
    main({argv!r})
except SystemExit as e:
    assert e.code == 0, e.code
else:
    raise AssertionError("--help did not exit")
heavy = [m for m in {heavy!r} if m in sys.modules]
assert not heavy, heavy
"""
IMPORT = """
import importlib, sys
importlib.import_module({module!r})
heavy = [m for m in {heavy!r} if m in sys.modules]
assert not heavy, heavy
"""
COMMAND_MODULES = sorted(
    f"inrv_jax.commands.{path.stem}" for path in (ROOT / "inrv_jax" / "commands").glob("*.py")
    if path.stem != "__init__"
)  # fmt: skip


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_modules_import_no_jax(module):
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT.format(module=module, heavy=HEAVY)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_every_command_module_is_a_command():
    named = {command.module for command in COMMANDS.values()}
    assert named == set(COMMAND_MODULES) - {"inrv_jax.commands.arguments"}  # shared flags


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_imports_no_jax(command):
    argv = ["--help"] if command is None else [command, "--help"]
    proc = subprocess.run(
        [sys.executable, "-c", HELP.format(argv=argv, heavy=HEAVY)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: inrv {command or ''}".rstrip())


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name, command in COMMANDS.items():
        assert name in out and command.help in out


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_its_arguments_and_its_run(name):
    assert callable(importlib.import_module(COMMANDS[name].module).add_arguments)
    assert callable(importlib.import_module(COMMANDS[name].module).run)


def _choices(command: str, option: str):
    parser = command_parser(command)
    return next(a for a in parser._actions if option in a.option_strings)


def test_choices_spelled_for_the_command_lines_are_the_libraries_own():
    from inrv_jax import inr, latent_space, masks
    from inrv_jax.commands import arguments
    from inrv_jax.tasks import inversion

    assert arguments.GENERATION_MODES == latent_space.GENERATION_MODES  # --mode's official modes
    assert tuple(_choices("interpolate", "--method").choices) == tuple(
        sorted(latent_space.INTERPOLATORS)
    )
    assert tuple(_choices("invert", "--init").choices) == (*inversion.INITS, "auto")  # a recipe
    assert tuple(_choices("evaluate", "--init").choices) == inversion.INITS
    assert tuple(_choices("fit-single", "--kind").choices) == inr.KINDS
    assert tuple(_choices("invert", "--task").choices) == tuple(masks.TASKS)
    assert _choices("evaluate", "--tasks").default == ",".join(masks.HELDOUT_TASKS)
