"""`atari`: clips of Atari 2600 games played by a random policy (built-in, no download).

The ROMs ship inside the `ale-py` wheel (the Arcade Learning Environment, numpy only), imported
lazily so that the other built-ins work without it. Clip i of data seed `seed` is a pure function
of (seed, i) and the options, whatever `num_videos` is and in whatever order clips are read:

- game: `games[i % len(games)]` of the split (round robin, so any prefix mixes the games);
- start state: per game, one random-play "trunk" from the power-on state (rng seeded by
  (seed, game)) is snapshotted every `TRUNK_EVERY` emulated frames after `TRUNK_SKIP` frames,
  which are past the title screens and attract modes of the default games; the clip starts from
  one of these `TRUNK_STARTS` snapshots, so clips reach ~40 s into each game without replaying it;
- warm-up: U{warmup} agent steps of random play from that snapshot, nothing kept;
- clip: `length` agent steps, one kept frame per step. An agent step is `frame_skip` emulated
  frames with one uniformly random action of the game's minimal action set; sticky actions as in
  Machado et al. (2018): on every emulated frame, with probability `repeat_action_probability`
  the previously executed action repeats instead. A kept frame is the pixel-wise max of the last
  two emulated frames of its step (as DQN does), so sprites that the hardware draws on alternate
  frames do not flicker, then the whole 210x160 screen is area-averaged (PIL BOX) to the target
  (H, W), aspect ratio not kept (the 210x160 screen is shown at about 4:3; its pixels are wide).
- re-draws: attempt k = 0, 1, 2, ... draws all of the above (except the game) from an rng seeded
  by (seed, i, k) and is kept when (1) it moves (`moves`: every consecutive pair of frames
  differs somewhere by more than `MOTION_LEVEL` of 255 at the target size, so no frame of a clip
  is a copy of the one before and "repeat the last frame" is never exact), (2) its episode
  does not end inside it and (3) it differs from every earlier clip j < i of its game (random play
  where the game ignores the joystick, e.g. while a life is lost, can repeat a clip exactly, which
  training refuses). After `MAX_ATTEMPTS` rejected attempts reading the clip raises DataError.
  Because of (3), reading clip i renders the earlier clips of its game first (once per process);
  opening a source reads them in order anyway.

Clips of one data seed share each game's `TRUNK_STARTS` start states, so clips i >= N of the
seed a model trained on are new plays from familiar states; clips of *unseen episodes* come from
another data seed (other trunks), as `benchmarks/latent_space.py` holds them out.

Our own rng draws every action and sticky repeat; the emulator's own sticky actions are off, so
the emulation is deterministic given the actions and clips do not depend on the emulator's history.
The pixels depend on the emulator: ale-py 0.10.2, 0.12.0 and 0.12.1 give the same clips, 0.10.1
other ones (the manifest's content hashes tell them apart); 0.11.x does not import without
gymnasium.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import threading
import zlib

import numpy as np
from PIL import Image

from inrv_jax.data.errors import DataError

# Visually diverse games that load, start without a title screen in the way and move under random
# play (checked over 1,000 random steps each): paddles, mazes, shooters, racing, sports, scrollers.
DEFAULT_GAMES = (
    "pong",
    "breakout",
    "space_invaders",
    "ms_pacman",
    "seaquest",
    "enduro",
    "freeway",
    "frogger",
    "boxing",
    "riverraid",
    "montezuma_revenge",
    "skiing",
    "beam_rider",
    "fishing_derby",
    "video_pinball",
    "zaxxon",
)
SPLITS = ("train", "heldout_games")
ALE_PIP = "pip install 'ale-py>=0.10.2,!=0.11.*,<0.13'"
TRUNK_SKIP = 256  # emulated frames before the first start state (past intros and attract modes)
TRUNK_EVERY = 32  # emulated frames between start states
TRUNK_STARTS = 64
MOTION_LEVEL = 2  # uint8 levels; a pair of frames differs when some value changes by more
MAX_ATTEMPTS = 32
_TRUNK_TAG = 0x7472  # keeps the trunk's rng stream apart from the clips' (seed, i, k) streams


def _ale_py():
    try:
        import ale_py.roms  # lazy: an optional dependency the other built-ins do without
    except ImportError as err:
        missing = err.name in ("ale_py", "ale_py.roms")
        raise DataError(
            "atari",
            "missing_package",
            "the Atari games come from ale-py, which is not installed"
            if missing
            else f"ale-py failed to import ({err}); 0.11.x needs gymnasium",
            ALE_PIP,
        ) from None
    return ale_py


@functools.cache
def all_games() -> tuple[str, ...]:
    """Every game whose ROM ships in the installed ale-py, e.g. ("adventure", ..., "zaxxon")."""
    return tuple(_ale_py().roms.get_all_rom_ids())


def parse_games(value, option: str) -> tuple[str, ...]:
    """Game names from a config value: None -> `DEFAULT_GAMES`, "all", a comma string or a list.

    Raises DataError naming the first unknown game and how to list the choices.
    """
    if value is None:
        return DEFAULT_GAMES
    if isinstance(value, str):
        if value.strip() == "all":
            return all_games()
        value = value.split(",")
    names = tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    known = all_games()
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise DataError(
                "atari",
                "unknown_game",
                f"{option}: no Atari game {name!r} in ale-py",
                f"{hint}list the games with "
                "python -c 'import ale_py.roms as r; print(r.get_all_rom_ids())'",
            )
    return names


def _pair(value, option: str) -> tuple[int, int]:
    """An inclusive int range from an int, "lo,hi" or (lo, hi)."""
    if isinstance(value, str):
        value = value.split(",")
    lo, hi = (value, value) if np.isscalar(value) else tuple(value)
    lo, hi = int(lo), int(hi)
    if not 0 <= lo <= hi:
        raise DataError("atari", "bad_option", f"{option}: need 0 <= low <= high, got {value!r}")
    return lo, hi


@dataclasses.dataclass(frozen=True)
class AtariSpec:
    """Everything that determines the clips of one `atari` source.

    Attributes:
      games: the games of the chosen split, in round-robin order.
      seed: data seed.
      length: kept frames (agent steps) per clip.
      size: (H, W) of the kept frames.
      frame_skip: emulated frames per agent step.
      repeat_action_probability: sticky-action probability per emulated frame.
      warmup: inclusive (low, high) agent steps played from the start state before the clip.
    """

    games: tuple[str, ...]
    seed: int
    length: int
    size: tuple[int, int]
    frame_skip: int = 4
    repeat_action_probability: float = 0.25
    warmup: tuple[int, int] = (0, 16)

    @classmethod
    def from_options(
        cls,
        *,
        length: int,
        size: tuple[int, int],
        seed: int,
        games=None,
        holdout_games=(),
        split: str = "train",
        frame_skip=4,
        repeat_action_probability=0.25,
        warmup=(0, 16),
    ) -> AtariSpec:
        """Parses the `data.builtin` options of `atari` (see `inrv_jax.data.builtin`).

        `split="train"`: `games` minus `holdout_games`; `split="heldout_games"`: only
        `holdout_games` (which need not be among `games`).
        """
        chosen = parse_games(games, "games")
        held = parse_games(holdout_games or (), "holdout_games")
        if split not in SPLITS:
            raise DataError("atari", "bad_option", f"split {split!r} is not one of {SPLITS}")
        picked = tuple(g for g in chosen if g not in held) if split == "train" else held
        if not picked:
            raise DataError(
                "atari",
                "bad_option",
                f"split {split!r} has no games (games {chosen}, holdout_games {held})",
                "hold out fewer games" if split == "train" else "set data.builtin.holdout_games",
            )
        p = float(repeat_action_probability)
        if int(frame_skip) < 1 or not 0.0 <= p < 1.0:
            raise DataError(
                "atari",
                "bad_option",
                f"need frame_skip >= 1 and 0 <= repeat_action_probability < 1, got "
                f"{frame_skip}, {p}",
            )
        return cls(
            games=picked,
            seed=int(seed),
            length=int(length),
            size=(int(size[0]), int(size[1])),
            frame_skip=int(frame_skip),
            repeat_action_probability=p,
            warmup=_pair(warmup, "warmup"),
        )


def game_of(spec: AtariSpec, i: int) -> str:
    return spec.games[i % len(spec.games)]


def clip_path(spec: AtariSpec, i: int) -> str:
    """The id of clip i, `atari/{game}/{i}` (names the game for splits and reports)."""
    return f"atari/{game_of(spec, i)}/{i}"


# ------------------------------------------------------------------------------- emulation
@dataclasses.dataclass
class _Emulator:
    """One loaded game; `lock` serialises use, as every clip restores and plays its own state."""

    ale: object
    actions: list
    boot: object  # state right after loading, where every trunk starts
    lock: threading.Lock


@functools.cache
def _emulator(game: str) -> _Emulator:
    ale_py = _ale_py()
    # The banner and per-ROM notes would be printed on every load otherwise.
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
    ale = ale_py.ALEInterface()
    ale.setInt("random_seed", 0)
    ale.setFloat("repeat_action_probability", 0.0)  # sticky actions are drawn by our rng
    ale.loadROM(ale_py.roms.get_rom_path(game))
    return _Emulator(ale, ale.getMinimalActionSet(), ale.cloneState(), threading.Lock())


def _downsample(screen: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 [210, 160, 3] -> uint8 [H, W, 3], area average (PIL BOX) of the whole screen."""
    return np.asarray(Image.fromarray(screen).resize(size[::-1], Image.Resampling.BOX))


def _play(emu, rng, steps, spec, keep_from=None, after_step=None, screens=None):
    """Plays `steps` random agent steps from the emulator's current state.

    Returns uint8 [steps - keep_from, H, W, 3], the kept frames of steps keep_from..steps-1
    ([0, H, W, 3] when keep_from is None), or None when the episode ends, unless `after_step`
    is given: then `after_step(s)` runs after every step s (the trunk resets and snapshots
    there) and play goes on. `screens`: a list that receives, per kept step, the full-size
    screens uint8 [frame_skip, 210, 160, 3] of all its emulated frames.
    """
    ale, actions, skip = emu.ale, emu.actions, spec.frame_skip
    agent = rng.integers(len(actions), size=steps)
    sticky = rng.random((steps, skip)) < spec.repeat_action_probability
    frames = []
    action = 0  # index 0 of every minimal action set is NOOP
    for s in range(steps):
        keep = keep_from is not None and s >= keep_from
        step_screens = []
        for f in range(skip):
            if not sticky[s, f]:
                action = agent[s]
            ale.act(actions[action])
            if keep and f == skip - 2:
                before = ale.getScreenRGB()
            if keep and screens is not None:
                step_screens.append(ale.getScreenRGB())
        if keep and screens is not None:
            screens.append(np.stack(step_screens))
        if keep:
            screen = ale.getScreenRGB()
            if skip > 1:
                screen = np.maximum(before, screen)
            frames.append(_downsample(screen, spec.size))
        if after_step is not None:
            after_step(s)
        elif ale.game_over():
            return None
    return np.stack(frames) if frames else np.zeros((0, *spec.size, 3), np.uint8)


@functools.cache
def _starts(game: str, seed: int, frame_skip: int, repeat_action_probability: float) -> list:
    """The `TRUNK_STARTS` start states of `game`: snapshots of one random-play trunk."""
    emu = _emulator(game)
    spec = AtariSpec((game,), seed, 0, (1, 1), frame_skip, repeat_action_probability)
    skip_steps = -(-TRUNK_SKIP // frame_skip)
    every = max(1, TRUNK_EVERY // frame_skip)
    states = []

    def step_done(s):
        if emu.ale.game_over():
            emu.ale.reset_game()
        if s >= skip_steps and (s - skip_steps) % every == 0:
            states.append(emu.ale.cloneState())

    rng = np.random.default_rng([seed, zlib.crc32(game.encode()), _TRUNK_TAG])
    with emu.lock:
        emu.ale.restoreState(emu.boot)
        _play(emu, rng, skip_steps + every * (TRUNK_STARTS - 1) + 1, spec, after_step=step_done)
    return states


def moves(frames: np.ndarray) -> bool:
    """Whether a clip uint8 [T, H, W, 3] moves: each of its T - 1 consecutive pairs differs
    somewhere by more than `MOTION_LEVEL` (a single frame always passes)."""
    if len(frames) < 2:
        return True
    change = np.abs(np.diff(frames.astype(np.int16), axis=0)).max(axis=(1, 2, 3))
    return bool(np.all(change > MOTION_LEVEL))


@functools.cache
def _digests(spec: AtariSpec) -> dict[int, bytes]:
    """SHA-256 of every clip of `spec` rendered so far in this process, by index."""
    return {}


@functools.cache
def _accepted(spec: AtariSpec) -> dict[int, int]:
    """The attempt k that became clip i, for every clip of `spec` rendered in this process."""
    return {}


def _attempt(spec: AtariSpec, i: int, k: int, screens=None):
    """Attempt k of clip i (see the module docstring): kept frames or None (episode ended)."""
    emu = _emulator(game_of(spec, i))
    starts = _starts(game_of(spec, i), spec.seed, spec.frame_skip, spec.repeat_action_probability)
    rng = np.random.default_rng([spec.seed, i, k])
    start = starts[int(rng.integers(len(starts)))]
    warm = int(rng.integers(spec.warmup[0], spec.warmup[1] + 1))
    with emu.lock:
        emu.ale.restoreState(start)
        return _play(emu, rng, warm + spec.length, spec, keep_from=warm, screens=screens)


def render_views(spec: AtariSpec, i: int, size: tuple[int, int], half: bool = False) -> np.ndarray:
    """Clip i replayed as ground truth off its training grid: the same emulated frames
    area-averaged (PIL BOX) to another ``size``, or with ``half`` the frames half-way between
    its kept frames (frame k + 1/2: the max of the first two emulated frames of agent step
    k + 1, as a kept frame is the max of the last two of its step). Needs frame_skip >= 4 for
    ``half``. Returns uint8 [length, H, W, 3] or, with ``half``, [length - 1, H, W, 3].
    """
    if half and spec.frame_skip < 4:
        raise ValueError(f"half-way frames need frame_skip >= 4, got {spec.frame_skip}")
    if i not in _accepted(spec):
        render_clip(spec, i)
    screens: list = []
    _attempt(spec, i, _accepted(spec)[i], screens)
    if half:
        pairs = [np.maximum(s[0], s[1]) for s in screens[1:]]
    else:
        pairs = [np.maximum(s[-2], s[-1]) if len(s) > 1 else s[-1] for s in screens]
    return np.stack([_downsample(p, size) for p in pairs])


def render_clip(spec: AtariSpec, i: int) -> np.ndarray:
    """Clip i: uint8 [length, H, W, 3], the first acceptable attempt (see the module docstring).

    Renders the earlier clips of the same game first (once per process), as clip i must differ
    from them. Raises DataError when `MAX_ATTEMPTS` attempts are all rejected.
    """
    game = game_of(spec, i)
    digests = _digests(spec)
    for j in range(i % len(spec.games), i, len(spec.games)):
        if j not in digests:
            render_clip(spec, j)  # ascending, so each of these finds its own earlier clips
    earlier = {digests[j] for j in range(i % len(spec.games), i, len(spec.games))}
    for k in range(MAX_ATTEMPTS):
        frames = _attempt(spec, i, k)
        if frames is None or not moves(frames):
            continue
        digest = hashlib.sha256(frames.tobytes()).digest()
        if digest not in earlier:
            digests[i] = digest
            _accepted(spec)[i] = k
            return frames
    raise DataError(
        clip_path(spec, i),
        "static",
        f"no moving clip of {game} unlike the earlier ones in {MAX_ATTEMPTS} attempts",
        f"leave {game} out of data.builtin.games, or use a longer warmup",
    )
