"""The coordinate-encoding family: nerf parity, band limits, integrated encodings against
Monte Carlo, the true pixel positions of an off-grid rendering, and a tiny fit between samples."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from inrv_jax.config import ConfigError, load_config, to_settings
from inrv_jax.coords import make_grid, output_grid
from inrv_jax.encoding import (
    ENCODINGS,
    EncodingSpec,
    encode,
    frequencies,
    grid_footprint,
    nerf_encode,
    nyquist,
)
from inrv_jax.inr import INRSpec, inr_init, render_coords
from inrv_jax.settings import Settings, to_dict

GRID = (8, 32, 32)


def test_nerf_through_the_family_is_the_official_encoding():
    x = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (50, 3)), jnp.float32)
    spec = EncodingSpec("nerf", num_freqs=10)
    np.testing.assert_array_equal(np.asarray(encode(x, spec)), np.asarray(nerf_encode(x, 10)))
    assert spec.dim == 63
    # The general frequency matrix spells the same rows in the same (frequency, axis) order.
    rows = frequencies(spec)
    np.testing.assert_allclose(rows[4], [0, 2 * np.pi, 0], rtol=1e-6)  # 2^1 π on the h axis


@pytest.mark.parametrize("grid", [(8, 32, 32), (25, 100, 100), (1, 16, 64), (2, 3, 5)])
@pytest.mark.parametrize("max_freq", [0.5, 1.0])
def test_band_limited_octaves_stay_under_the_grids_nyquist(grid, max_freq):
    spec = EncodingSpec("bandlimited", grid=grid, max_freq=max_freq)
    rows = frequencies(spec)
    limit = max_freq * nyquist(grid)
    assert (np.abs(rows) <= limit[None] * (1 + 1e-6)).all()
    # Every octave under the limit is kept: the next octave up on each axis would exceed it.
    for d in range(3):
        kept = rows[:, d][rows[:, d] > 0]
        top = kept.max() if kept.size else np.pi / 2
        assert 2 * top > limit[d] * (1 - 1e-6)
    # 8 frames: Nyquist 3.5π keeps π and 2π; 32 pixels: 15.5π keeps π..8π.
    if grid == (8, 32, 32) and max_freq == 1.0:
        per_axis = [(rows[:, d] > 0).sum() for d in range(3)]
        assert per_axis == [2, 4, 4]


def test_integrated_encoding_with_zero_footprint_is_the_point_encoding():
    x = jnp.asarray(np.random.default_rng(1).uniform(-1, 1, (40, 3)), jnp.float32)
    ipe = EncodingSpec("ipe", grid=GRID, max_freq=2.0)
    point = EncodingSpec("bandlimited", grid=GRID, max_freq=2.0)
    np.testing.assert_array_equal(
        np.asarray(encode(x, ipe, jnp.zeros(3))), np.asarray(encode(x, point))
    )
    # With a footprint, only the sin/cos features shrink, never the raw coordinate.
    y = np.asarray(encode(x, ipe))
    np.testing.assert_array_equal(y[:, :3], np.asarray(x))
    assert (np.abs(y[:, 3:]) <= np.abs(np.asarray(encode(x, point))[:, 3:]) + 1e-7).all()


@pytest.mark.parametrize("kind", ["ipe", "fourier"])
def test_integrated_features_are_the_average_over_the_footprint(kind):
    """E[sin(b·x)], E[cos(b·x)] for x ~ N(μ, diag(Δ²/12)) (the box footprint's variance), by
    Monte Carlo with 400,000 draws (standard error < 0.0012), equal the closed form."""
    spec = EncodingSpec(kind, grid=GRID, max_freq=2.0, num_features=16)
    footprint = grid_footprint(GRID) * np.array([1.0, 2.0, 0.5], np.float32)
    mu = np.array([0.3, -0.7, 0.11])
    rng = np.random.default_rng(2)
    x = mu + rng.standard_normal((400_000, 3)) * footprint / np.sqrt(12.0)
    angles = x @ frequencies(spec).astype(np.float64).T  # [n, F]
    mc = np.stack([np.sin(angles).mean(0), np.cos(angles).mean(0)], -1).reshape(-1)
    closed = np.asarray(encode(jnp.asarray(mu, jnp.float32), spec, jnp.asarray(footprint)))
    np.testing.assert_allclose(closed[3:], mc, atol=0.006)
    # The attenuation is real: some feature is damped well below 1 at this footprint.
    amplitude = np.hypot(closed[3::2], closed[4::2])
    assert amplitude.min() < 0.7


def test_output_grid_at_the_training_size_is_the_official_grid():
    coords, footprint = output_grid(GRID, GRID)
    np.testing.assert_array_equal(coords, make_grid(*GRID))
    np.testing.assert_allclose(footprint, grid_footprint(GRID))
    # No training grid known (a checkpoint from before grids were stored): the official grid.
    np.testing.assert_array_equal(output_grid((3, 4, 5))[0], make_grid(3, 4, 5))


def test_a_4x_grid_puts_pixel_centres_inside_the_training_pixels():
    (t, h, w), s = GRID, 4
    coords, footprint = output_grid((t, h * s, w * s), GRID)
    fine = coords.reshape(t, h * s, w * s, 3)
    # The mean of each 4x4 block of fine centres is the centre of the training pixel it tiles.
    blocks = fine.reshape(t, h, s, w, s, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(blocks, make_grid(*GRID).reshape(t, h, w, 3), atol=1e-6)
    # The fine pixels are a quarter of a training pixel wide; frames stay frames.
    np.testing.assert_allclose(footprint, grid_footprint(GRID) * [1, 0.25, 0.25], rtol=1e-6)
    # A 4x grid made the official (align-corners) way is *not* aligned: its corners sit on the
    # training corners, so its blocks miss the training centres by up to 3/8 pixel.
    official = make_grid(t, h * s, w * s).reshape(t, h, s, w, s, 3).mean(axis=(2, 4))
    assert np.abs(official - make_grid(*GRID).reshape(t, h, w, 3)).max() > 0.01


def _fit_1d(encoding: str, signal, n: int, steps: int = 1500):
    """One INR fit to ``signal`` on an n-pixel row; returns (rendered at the n - 1 half-way
    points, the true values there)."""
    spec = INRSpec(kind="relu_pe", hidden=64, depth=3, encoding=encoding, grid=(1, 1, n))
    coords = jnp.asarray(make_grid(1, 1, n))
    target = jnp.asarray(signal(coords[:, 2]))[:, None].repeat(3, 1)
    params = inr_init(jax.random.key(0), spec)
    tx = optax.adam(3e-3)
    opt = tx.init(params)

    @jax.jit
    def step(params, opt):
        loss, g = jax.value_and_grad(
            lambda p: jnp.mean(jnp.square(render_coords(p, coords, spec) - target))
        )(params)
        updates, opt = tx.update(g, opt, params)
        return optax.apply_updates(params, updates), opt, loss

    for _ in range(steps):
        params, opt, loss = step(params, opt)
    mid = (coords[:-1] + coords[1:]) / 2
    return np.asarray(render_coords(params, mid, spec))[:, 0], np.asarray(signal(mid[:, 2])), loss


def test_a_band_limited_fit_renders_the_true_signal_half_way_between_samples():
    # A signal under the Nyquist frequency of 24 samples (11.5π): octaves π..8π carry it.
    def signal(x):
        return 0.6 * jnp.sin(3 * jnp.pi * x + 0.3) + 0.3 * jnp.cos(5 * jnp.pi * x)

    mid, truth, loss = _fit_1d("bandlimited", signal, 24)
    assert float(loss) < 1e-4  # it fits the samples
    rms = float(np.sqrt(np.mean(np.square(mid - truth))))
    nerf_mid, _, nerf_loss = _fit_1d("nerf", signal, 24)
    nerf_rms = float(np.sqrt(np.mean(np.square(nerf_mid - truth))))
    assert float(nerf_loss) < 1e-4  # nerf fits the samples too ...
    # ... but only the band-limited fit is right between them (measured: rms 0.04 vs nerf's
    # 0.89, for a signal of rms 0.47).
    assert rms < 0.1, rms
    assert nerf_rms > 4 * rms, (nerf_rms, rms)


def test_the_training_grid_comes_from_the_data_and_bad_encodings_are_config_errors():
    c = to_settings(load_config("configs/shapes.py", ["model.inr.encoding=ipe"]))
    assert c.model.inr.grid == (8, 32, 32)
    c = to_settings(load_config("configs/shapes.py", ["data.size=(16,24)", "data.frames=4"]))
    assert c.model.inr.grid == (4, 16, 24)
    with pytest.raises(ConfigError, match="model.inr.encoding"):
        load_config("configs/shapes.py", ["model.inr.encoding=sinc"])
    with pytest.raises(ConfigError, match="train.coord_jitter"):
        load_config("configs/shapes.py", ["train.coord_jitter=(2.0,0.0,0.0)"])
    assert set(ENCODINGS) >= {"nerf", "bandlimited", "ipe", "fourier"}


def test_an_inr_spec_stored_before_encodings_existed_is_the_official_one():
    from inrv_jax.settings import from_stored

    stored = to_dict(Settings())
    stored["model"]["inr"] = dict(kind="relu_pe", hidden=32, depth=2, num_freqs=10)
    spec = INRSpec.from_settings(from_stored(stored, version=1).model.inr)
    assert spec.encoding == "nerf" and spec.encoded_dim == 63
    with pytest.raises(ValueError, match="model.inr.grid"):
        INRSpec(encoding="ipe")
