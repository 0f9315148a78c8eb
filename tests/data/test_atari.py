"""The `atari` built-in: deterministic, moving, distinct clips of the games inside ale-py."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from inrv_jax.data import atari, open_source
from inrv_jax.data.check import check_source
from inrv_jax.data.errors import DataError
from inrv_jax.data.options import ClipOptions

pytest.importorskip("ale_py")

# Few games, shared by the tests so that their start states are built once per process; frogger
# and space_invaders need re-draws often (periodic traffic, pauses), so the rule gets exercised.
GAMES = "pong,breakout,frogger,space_invaders"
SMALL = {"frames": 4, "size": (16, 16), "games": GAMES}


def _game(path: str) -> str:
    return path.split("/")[1]


def test_clip_i_depends_only_on_seed_and_index():
    four = open_source("atari", num_videos=4, **SMALL)
    sixteen = open_source("atari", num_videos=16, **SMALL)
    assert four.manifest.paths == [
        "atari/pong/0",
        "atari/breakout/1",
        "atari/frogger/2",
        "atari/space_invaders/3",
    ]
    assert sixteen.manifest.paths[:4] == four.manifest.paths
    for i in range(4):
        np.testing.assert_array_equal(four.load(i), sixteen.load(i))
    assert not np.array_equal(sixteen.load(0), sixteen.load(4)), "same game, other clip"
    other_seed = open_source("atari", num_videos=4, seed=1, **SMALL)
    assert not np.array_equal(other_seed.load(0), four.load(0))
    # Read order and emulator history do not matter: render clip 6 first in a fresh process state.
    spec = atari.AtariSpec.from_options(length=4, size=(16, 16), seed=0, games=GAMES)
    atari._digests.cache_clear()
    np.testing.assert_array_equal(atari.render_clip(spec, 6), sixteen.load(6))


def test_generation_rule_is_pinned():
    """Golden hash of clip 0 (pong): changes only when the generation rule changes on purpose.
    Identical on ale-py 0.10.2, 0.12.0 and 0.12.1."""
    spec = atari.AtariSpec.from_options(length=4, size=(16, 16), seed=0, games=GAMES)
    clip = atari.render_clip(spec, 0)
    assert hashlib.sha256(clip.tobytes()).hexdigest() == GOLDEN_CLIP0


GOLDEN_CLIP0 = "1f163de8de91733a79c3c9ae98fbb098b6fe768e837edd558f08e1306bd98cfb"


def test_shape_dtype_and_area_downsampling():
    source = open_source("atari", frames=5, size=(24, 20), num_videos=2, games=GAMES)
    clip = source.load(1)
    assert clip.shape == (5, 24, 20, 3) and clip.dtype == np.uint8
    assert clip.std() > 0
    # Area average of the whole screen: top half white, bottom half black -> 2x2 [[255], [0]].
    screen = np.zeros((210, 160, 3), np.uint8)
    screen[:105] = 255
    np.testing.assert_array_equal(atari._downsample(screen, (2, 2))[..., 0], [[255, 255], [0, 0]])
    screen[:, :40] = 0  # the left half of the top-left cell turns black
    assert atari._downsample(screen, (2, 2))[0, 0, 0] == 128  # 255 / 2, rounded


def test_motion_criterion():
    still = np.zeros((4, 8, 8, 3), np.uint8)
    assert not atari.moves(still)
    assert atari.moves(still[:1]), "one frame has nothing to move"
    half = still.copy()
    half[1, 0, 0, 0] = 3  # pairs (0,1), (1,2) change by 3 > MOTION_LEVEL; pair (2,3) does not
    assert not atari.moves(half), "a frame that repeats the one before is no motion"
    every = half.copy()
    every[3, 0, 0, 0] = 6  # now pair (2,3) changes too
    assert atari.moves(every)
    faint = still.copy()
    faint[1, 0, 0, 0] = atari.MOTION_LEVEL  # a change of exactly MOTION_LEVEL is no motion
    assert not atari.moves(faint)
    once = still.copy()
    once[3] = 255  # only 1 of 3 pairs changes
    assert not atari.moves(once)


def test_32_clips_all_move_and_are_distinct():
    options = ClipOptions.from_kwargs(num_videos=32, frames=8, size=(16, 16), games=GAMES)
    reports = check_source("atari", options)
    assert len(reports) == 32 and all(r.ok for r in reports), [r.to_dict() for r in reports]
    source = open_source("atari", options)
    clips = [source.load(i) for i in range(32)]
    assert all(atari.moves(c) for c in clips)
    assert len({hashlib.sha256(c.tobytes()).hexdigest() for c in clips}) == 32


def test_holdout_games_split():
    kw = dict(frames=2, size=(8, 8), num_videos=6, games=GAMES, holdout_games=["frogger", "pong"])
    train = open_source("atari", split="train", **kw)
    held = open_source("atari", split="heldout_games", **kw)
    assert {_game(p) for p in train.manifest.paths} == {"breakout", "space_invaders"}
    assert {_game(p) for p in held.manifest.paths} == {"frogger", "pong"}
    # Held-out games need not be among `games`; a split without games is an error.
    held = open_source("atari", split="heldout_games", **{**kw, "holdout_games": "freeway"})
    assert {_game(p) for p in held.manifest.paths} == {"freeway"}
    with pytest.raises(DataError, match="no games") as err:
        open_source("atari", **{**kw, "holdout_games": GAMES})
    assert err.value.reason == "bad_option"
    with pytest.raises(DataError, match="split 'test'"):
        open_source("atari", split="test", **kw)


def test_game_lists():
    assert atari.parse_games(None, "games") == atari.DEFAULT_GAMES
    assert len(atari.DEFAULT_GAMES) == 16
    assert atari.parse_games(" pong, breakout,pong", "games") == ("pong", "breakout")
    assert atari.parse_games(["pong", "breakout"], "games") == ("pong", "breakout")
    import ale_py.roms

    assert atari.parse_games("all", "games") == tuple(ale_py.roms.get_all_rom_ids())
    assert set(atari.DEFAULT_GAMES) <= set(atari.all_games())


def test_unknown_game_names_it_and_how_to_list_choices():
    with pytest.raises(DataError) as err:
        open_source("atari", frames=2, size=(8, 8), games="pong,space_invader")
    message = str(err.value)
    assert err.value.reason == "unknown_game" and "\n" not in message
    assert "'space_invader'" in message and "space_invaders" in message
    assert "get_all_rom_ids" in message
    with pytest.raises(DataError, match="holdout_games: no Atari game 'pongg'"):
        open_source("atari", frames=2, size=(8, 8), holdout_games="pongg")


def test_missing_ale_py_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "ale_py", None)  # `import ale_py` raises ImportError
    atari.all_games.cache_clear()
    try:
        with pytest.raises(DataError) as err:
            open_source("atari", frames=2, size=(8, 8))
        assert err.value.reason == "missing_package" and "\n" not in str(err.value)
        assert "ale-py, which is not installed" in str(err.value)
        assert "pip install 'ale-py>=0.10.2,!=0.11.*,<0.13'" in str(err.value)
        assert len(open_source("shapes", frames=2, size=(8, 8))) == 8, "other built-ins work"
    finally:
        atari.all_games.cache_clear()


def test_redraws_give_up_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(atari, "moves", lambda frames: False)
    monkeypatch.setattr(atari, "MAX_ATTEMPTS", 3)
    spec = atari.AtariSpec.from_options(length=2, size=(8, 8), seed=5, games="pong")
    with pytest.raises(DataError, match="no moving clip of pong") as err:
        atari.render_clip(spec, 0)
    assert err.value.path == "atari/pong/0" and err.value.reason == "static"
