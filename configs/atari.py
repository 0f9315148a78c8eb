"""Atari 2600 clips played by a seeded random policy (built-in `atari`, ROMs inside ale-py).

Many visually different games: 512 clips of 8 frames at 32x32 from the 16 default games of
`inrv_jax.data.atari` (frame skip 4, sticky actions 0.25), with the fast recipe of
configs/shapes.py: INR 64 wide, hypernetwork 128, L2 on half of the pixels per step, Adam 1e-3
with a cosine schedule, batch 8. Scale with `--config.data.num_videos=4096`; hold games out with
`--config.data.builtin.holdout_games=pong,skiing` (then `data.builtin.split=heldout_games` gives
only their clips, e.g. to invert unseen games). Needs `pip install 'ale-py>=0.10.2,!=0.11.*,<0.13'`.

Variant `wide_batch` (`configs/atari.py:wide_batch`): 64 clips a step and 1/16 of each clip's
pixels (512; the same pixels a step as the fast recipe's 8 clips x half), 16,384-row INR
gradient chunks, and the codebook's Adam at 10x the lr (`optim.code_lr_mult`). With N codes and B clips a step each code gets a gradient in B/N of the steps, so
at 512 clips the fast recipe updates a code every 64 steps, this one every 8. Measured with
`benchmarks/hypernet_families.py --sizes 512 --heldout 0 --budget 150 --families per_tensor`
(+ the overrides; 2-core CPU, load ~1.5): after 150 s of training the 512 clips reconstruct at
29.26 dB (worst clip 19.92) against 20.89 dB (worst 11.39; 818 steps) for the fast
recipe; 64 clips a step with the default 2,048-row chunks: 27.05 dB (724 steps); with the chunks
but the codebook at 1x: 27.76 dB (worst 17.71; 844 steps); this variant: 29.26 dB (worst 19.92;
784 steps).
"""

from inrv_jax.config import base_config, fast_recipe, small_variant


def get_config(variant=None):
    c = base_config()
    c.data.spec = "atari"
    c.data.frames = 8
    c.data.size = (32, 32)
    c.data.num_videos = 512
    # The defaults of inrv_jax.data.atari, spelled out so the command line can override them
    # (games=None: its 16 DEFAULT_GAMES; "all" or "pong,breakout,...": those).
    c.data.builtin.games = None
    c.data.builtin.holdout_games = ""
    c.data.builtin.split = "train"
    c.data.builtin.frame_skip = 4
    c.data.builtin.repeat_action_probability = 0.25
    c.data.builtin.warmup = (0, 16)
    fast_recipe(c)
    c.train.steps = 2000
    c.train.log_every = 25
    c.train.eval_every = 500
    c.train.checkpoint_every = 500
    c.train.eval_videos = 8
    if variant == "small":
        small_variant(c)
    elif variant == "wide_batch":
        c.train.batch_size = 64
        c.train.sample_frac = 1 / 16
        c.train.chunk_rows = 16384
        c.optim.code_lr_mult = 10.0
    elif variant is not None:
        raise ValueError(
            f"configs/atari.py has the variants 'small' and 'wide_batch'; got {variant!r}"
        )
    return c
