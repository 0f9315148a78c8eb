"""README's commands stay true: each `inrv ...` line of README and of the docs/ pages parses with
the real argument parser, every choice list they quote for an option exists, and README's task
commands run on a trained workdir."""

import argparse
import importlib
import pathlib
import re
import shlex
import shutil

import pytest

from inrv_jax.cli import COMMANDS, main

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# README and the hand-written docs pages (pages generated from records hold no commands to run).
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
TEXT = "\n".join(p.read_text() for p in PAGES)
# Commands that act on a trained workdir: README's code blocks run them end to end, with the
# workdir and output paths substituted and these options appended (argparse: last one wins) so
# they run in seconds on the tiny test model.
FAST = {
    "render": [],
    "generate": ["--num", "2"],
    "interpolate": [],
    "invert": ["--num", "2", "--steps", "5", "--future-frames", "2"],  # the tiny model: T = 4
    "evaluate": [
        "--heldout-num",
        "2",
        "--steps",
        "5",
        "--fvd-samples",
        "0",
        "--no-lpips",
        "--choose-grid",
        "quick",
    ],  # fmt: skip
    "train-encoder": ["--steps", "3"],  # before README's `invert --init encoder`
    "fit-prior": ["--steps", "20"],  # before README's `generate --mode prior:flow`
}


def code_block_commands(text: str) -> list[str]:
    """`inrv ...` commands of the shell code blocks (```bash, ```sh or bare fences; continuations
    joined, comments cut). Fences are matched at line starts, so a ```python block is skipped
    whole instead of shifting which fences pair up."""
    out = []
    for lang, block in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if lang not in ("", "bash", "sh"):
            continue
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.split(" # ")[0].strip()
                if part.startswith("inrv "):
                    out.append(part)
    return out


def inline_commands(text: str) -> list[str]:
    """`inrv ...` commands quoted inline in README's prose."""
    spans = re.findall(r"`(inrv [^`]+)`", text)
    return [" ".join(s.split()) for s in spans]


def option_choice_lists(text: str) -> list[tuple[str, str, list[str]]]:
    """(command, --option, values) for prose like "- `invert`: ... (`--task`): `a` (...), `b`."

    A bullet that starts with a subcommand's name, an option in backticks followed by a colon,
    then the backticked values up to the end of that sentence.
    """
    found = []
    for cmd, body in re.findall(r"^- `([\w-]+)`: (.*?)(?=^- |^\S|\Z)", text, re.S | re.M):
        if cmd not in COMMANDS:
            continue
        for opt, rest in re.findall(r"\(`(--[\w-]+)`\):(.*?)(?:\.\s+[A-Z]|\Z)", body, re.S):
            values = [v for v in re.findall(r"`([^`]+)`", rest) if not v.startswith("-")]
            found.append((cmd, opt, values))
    return found


class _Parser(argparse.ArgumentParser):
    """An argparse parser that raises instead of printing usage and exiting."""

    def error(self, message):
        raise ValueError(message)


def _parser(command: str) -> argparse.ArgumentParser:
    module = importlib.import_module(COMMANDS[command][0])
    parser = _Parser(prog=f"inrv {command}")
    module.add_arguments(parser)
    return parser


def check_command(command: str) -> None:
    """Parse one README command line with the real parser; raise naming the problem."""
    argv = shlex.split(command)[1:]
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        raise ValueError(f"{command!r}: no subcommand {name!r}")
    parser = _parser(name)
    if not rest:  # prose naming a command ("`inrv train`"), not a command line
        return
    try:
        _, unknown = parser.parse_known_args(rest)
    except (argparse.ArgumentError, ValueError) as e:
        raise ValueError(f"{command!r}: {e}") from None
    if name == "train":  # free-form --config.key=value overrides
        unknown = [u for u in unknown if not u.startswith("--config.")]
    if unknown:
        raise ValueError(f"{command!r}: unrecognized arguments {unknown}")


def check_choices(command: str, option: str, values: list[str]) -> None:
    parser = _parser(command)
    action = next((a for a in parser._actions if option in a.option_strings), None)
    if action is None:
        raise ValueError(f"README names `inrv {command} {option}`, which does not exist")
    bad = [v for v in values if action.choices is not None and v not in action.choices]
    if bad:
        raise ValueError(
            f"README lists {bad} for `inrv {command} {option}`; choices: {action.choices}"
        )


def test_readme_names_commands_and_choice_lists():
    assert len(code_block_commands(README.read_text())) >= 8  # the extraction itself works
    assert len(code_block_commands(TEXT)) > len(code_block_commands(README.read_text()))
    lists = option_choice_lists(TEXT)
    assert any(cmd == "invert" and opt == "--task" for cmd, opt, _ in lists)


def test_code_blocks_are_paired_by_their_fences():
    text = "```python\nx = 1\n```\n\nprose\n\n```bash\ninrv render --workdir w\n```\n"
    assert code_block_commands(text) == ["inrv render --workdir w"]


@pytest.mark.parametrize("command", sorted(set(code_block_commands(TEXT))))
def test_readme_code_block_command_parses(command):
    check_command(command)


@pytest.mark.parametrize("command", sorted(set(inline_commands(TEXT))))
def test_readme_inline_command_parses(command):
    check_command(command)


@pytest.mark.parametrize(
    "command,option,values",
    option_choice_lists(TEXT),
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_readme_choice_lists_exist(command, option, values):
    check_choices(command, option, values)


def test_checks_catch_what_the_issue_found():
    """The two README mistakes the architecture issue found would fail these checks."""
    with pytest.raises(ValueError, match="inversion"):
        check_choices("invert", "--task", ["inpainting", "inversion"])
    with pytest.raises(ValueError, match="superres"):
        check_command("inrv invert --workdir w --data d --task superres --out o")
    with pytest.raises(ValueError, match="unrecognized"):
        check_command("inrv render --workdir w --index 0 --out o.mp4 --no-such-flag")
    check_command("inrv invert --workdir w --data d --task super-resolution --out o")


def test_readme_task_commands_run_on_a_trained_workdir(workdir, tmp_path):
    # a private copy: train-encoder and fit-prior write into the workdir, and other tests
    # share it (a workdir with an encoder changes what they see)
    private = tmp_path / "runs_shapes"
    shutil.copytree(workdir, private)
    commands = [c for c in code_block_commands(README.read_text()) if c.split()[1] in FAST]
    assert {c.split()[1] for c in commands} == set(FAST)  # README shows every task command
    for i, command in enumerate(commands):
        argv = shlex.split(command)[1:]
        argv = [str(private) if a == "runs/shapes" else a for a in argv]
        if "--out" in argv:  # outputs into tmp, keeping README's file extension
            k = argv.index("--out") + 1
            argv[k] = str(tmp_path / f"out{i}{pathlib.Path(argv[k]).suffix}")
        assert main([*argv, *FAST[argv[0]]]) == 0, command
