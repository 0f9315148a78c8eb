"""Atari 2600 clips played by a seeded random policy (built-in `atari`, ROMs inside ale-py).

Many visually different games: 512 clips of 8 frames at 32x32 from the 16 default games of
`inrv_jax.data.atari` (frame skip 4, sticky actions 0.25), with the fast recipe
(`config.fast_recipe`) and the `harmonics` coordinate encoding: INR 64 wide, hypernetwork 128, L2 on half of the pixels per step, Adam 1e-3
with a cosine schedule, batch 8. Scale with `--config.data.num_videos=4096`; hold games out with
`--config.data.builtin.holdout_games=pong,skiing` (then `data.builtin.split=heldout_games` gives
only their clips, e.g. to invert unseen games). Needs `pip install 'ale-py>=0.10.2,!=0.11.*,<0.13'`.

Variant `wide_batch` (`configs/atari.py:wide_batch`), the project's best measured recipe for
fitting many clips on a CPU: per_tensor hypernetwork (as above), 64 clips a step and 1/16 of
each clip's pixels (512; the same pixels a step as the fast recipe's 8 clips x half), the step's
32,768 rows in one INR gradient chunk, Adam 2e-3 with the codebook's Adam at 10x that
(`optim.code_lr_mult`), 3,050 steps (evaluation and checkpoints every 1,000). Why: with N codes
and B clips a step each code gets a gradient in B/N of the steps, so at 512 clips the fast
recipe updates a code every 64 steps and this one every 8 (+6.2 dB at equal seconds, the largest
lever found); wider batches cost more hypernetwork time than they gain (128 x 1/32: -0.0 dB, 256
x 1/64: -2.0 dB at 150 s).

Since 2026-12-04 both recipes use the `harmonics` coordinate encoding (continuous between pixels
and frames); this variant: 35.71 dB (worst 29.61) on the 512 clips in a 253 s training call, vs 35.38 (28.09) in
249 s for the official encoding on the same machine (docs/continuity/atari). The numbers below
are the official encoding's, measured on an older, ~2.4x slower 2-core machine.

Variant `joint_encoder`: `wide_batch` with the video encoder trained jointly
(`model.encoder.kind=video`: every step also renders E(clip under a random task mask) and adds its
pixel loss on the whole clip), so `--init encoder` has an amortized guess of the hidden frames from
the observed ones, trained for exactly that. Each step costs ~2.7x (3,050 steps in 14.4 min here vs
5.4), the training clips reconstruct ~1.6 dB lower (34.29 vs 35.85 dB). On the 16 validation
episodes of benchmarks/latent_space.py its one pass, as a residual on repeating the last frame,
beat that baseline by +0.36 dB, where no inversion of a wide_batch model did (at most +0.13);
consistency weight 0.001 instead of 0.1: +0.22 (a prototype on the benchmark's clips; the record
is docs/latent_space/joint512).

`inrv train --config configs/atari.py:wide_batch` on the 2-core CPU: 9 min 56 s wall-clock for
the whole command (data, compilation, 3,050 steps, final evaluation), the 512 training clips
reconstruct at 35.32 dB mean, worst clip 28.06 dB (one run; 4 s inside 10 minutes, so a busier
machine can take longer). With 2,750 steps: 34.79 dB (worst 29.23) in 9 min 01 s. With 2,600
steps and evaluation/checkpoints every 500: 34.68 dB (worst 26.18) in 9 min 17 s. At lr 1e-3
with 16,384-row chunks and 3,250 steps: 35.05 dB (worst 27.48) in 13.1 min (the benchmark's
training call); at codebook x30 (2,600 steps): 34.31 dB (worst 28.80) in 8 min 55 s. The steps
to get here (`benchmarks/hypernet_families.py --sizes 512 --heldout 0 --budget 150 --families
per_tensor --set ...`, equal 150 s of training by a probed step rate; recon over all 512 clips,
worst clip in brackets): fast recipe 20.89 (11.39); 64 clips x 1/16 27.05 (17.52); + 16,384-row
chunks 27.76 (17.71); + codebook x10 29.26 (19.92); + lr 2e-3 30.18 (22.57); at equal 850 steps
(`--variant wide_batch --set train.steps=850`): this recipe 29.92 (23.04), codebook x30 30.27
(23.08), lr 3e-3 29.12 (20.01).
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
    # The Fourier basis under the grid's Nyquist frequency: on these pixel-art frames it fits as
    # well as nerf on the grid (fast recipe 27.62 vs 27.61 dB, wide_batch 35.71 vs 35.38) and is
    # continuous between pixels and frames; the octave-only band-limited encoding of the fast
    # recipe fits 0.6-0.7 dB worse (docs/continuity/atari, docs/continuity/atari_fast).
    c.model.inr.encoding = "harmonics"
    c.train.steps = 2000
    c.train.log_every = 25
    c.train.eval_every = 500
    c.train.checkpoint_every = 500
    c.train.eval_videos = 8
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"configs/atari.py has the variants {_names()}; got {variant!r}")
    if variant is not None:
        VARIANTS[variant](c)
    return c


def _wide_batch(c) -> None:
    c.train.batch_size = 64
    c.train.sample_frac = 1 / 16
    c.train.chunk_rows = 32768
    c.optim.lr = 2e-3
    c.optim.code_lr_mult = 10.0
    c.train.steps = 3050
    c.train.eval_every = c.train.checkpoint_every = 1000


def _joint_encoder(c) -> None:
    _wide_batch(c)
    c.model.encoder.kind = "video"


def _names() -> str:
    return ", ".join(f"'{n}'" for n in VARIANTS)


VARIANTS = {"small": small_variant, "wide_batch": _wide_batch, "joint_encoder": _joint_encoder}
