"""PyTorch reference of the official INR-V architecture (DESIGN §2) for benchmarks and import tests.

This module is the yardstick ``inrv_jax`` is measured and checked against:

* ``OfficialVideoGen`` rebuilds the official ``VideoGen`` with the official module names, so that
  ``state_dict()`` has exactly the official keys, in the official order::

      clip.gru.*  clip.model.*  mergeclipinstance.{0,2}.*   (conditional branch only)
      latent_codes.weight                                    [num_videos, latent | 512]
      net.net.{l}.0.weight|bias                              (INR template, unused by the forward)
      hyper_net.nets.{k}.net.{l}.0.weight|bias               (head k predicts INR tensor k)

* ``train_step`` / ``bench_train_step`` / ``train_to_psnr`` run the official recipe: codes ->
  hypernetwork -> INR on the pixels -> per-pixel L1 -> Adam(lr 1e-4) over all model parameters.
* ``save_official_checkpoint`` writes the official ``.pth`` layout; ``render_numpy`` is an
  independent pure-NumPy forward pass from such a state dict (sizes inferred from tensor shapes).

torch is imported here only; nothing in ``inrv_jax`` needs it. Run the benchmark with
``python -m benchmarks.torch_official``.

Conditional branch key names. The official ``CLIP`` module holds ``gru`` (``nn.GRU(512, 256,
num_layers=3, batch_first=True, bidirectional=True, dropout=0.1)``) and ``model`` (the frozen CLIP
ViT-B/32, so its ~150M tensors are in the official state dict too). ``mergeclipinstance`` is
``nn.Sequential(Linear(1024, 512), ReLU, Linear(512, latent))`` and the codebook is then 512-d. We
build the GRU and the merge MLP for real (standard ``nn.GRU`` keys
``clip.gru.weight_ih_l{i}[_reverse]`` etc.) and, with ``clip_model_stub=True``, add a handful of
``clip.model.*`` tensors with CLIP ViT-B/32's names, shapes and fp16 dtype (random values) so
importers are tested on skipping them.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmarks import common

# A subset of the frozen CLIP ViT-B/32 tensors that the official state dict carries under
# ``clip.model.``: name -> shape (stored fp16, as CLIP loads on GPU).
CLIP_MODEL_STUB_SHAPES: dict[str, tuple[int, ...]] = {
    "positional_embedding": (77, 512),
    "text_projection": (512, 512),
    "logit_scale": (),
    "visual.class_embedding": (768,),
    "visual.positional_embedding": (50, 768),
    "visual.proj": (768, 512),
    "visual.conv1.weight": (768, 3, 32, 32),
    "visual.ln_post.weight": (768,),
    "visual.ln_post.bias": (768,),
}


@dataclasses.dataclass(frozen=True)
class OfficialConfig:
    """Sizes of the official model. Layer counts use the official argument meaning.

    Attributes:
      num_videos: rows of the codebook (one learned code per training video).
      latent_dim: hypernetwork input size (official ``hn_in``): 128 above 2,000 videos, else 64.
      hyper_hidden: hidden width of every hypernetwork head (``hn_hidden_features``).
      hyper_hidden_layers: hidden->hidden layers per head (``hn_hidden_layers``); a head has
        ``hyper_hidden_layers + 2`` linear layers (default 3 -> layers l = 0..4).
      inr_hidden: hidden width of the INR (``hidden_features``).
      inr_hidden_layers: hidden->hidden layers of the INR (``num_hidden_layers``); the INR has
        ``inr_hidden_layers + 2`` linear layers (default 3 -> 63-256-256-256-256-3).
      num_frequencies: NeRF positional-encoding frequencies (10 -> 63 input dims).
      code_std: std of the N(0, std^2) code initialisation.
      conditional: build the conditional branch (``clip.gru`` + ``mergeclipinstance``); codes are
        then ``clip_dim``-wide and merged with the video embedding into the latent.
      clip_dim: frame-feature size of the frozen encoder (512 for CLIP ViT-B/32).
      clip_model_stub: with ``conditional``, also register placeholder ``clip.model.*`` tensors.
    """

    num_videos: int = 2
    latent_dim: int = 128
    hyper_hidden: int = 256
    hyper_hidden_layers: int = 3
    inr_hidden: int = 256
    inr_hidden_layers: int = 3
    num_frequencies: int = 10
    in_features: int = 3
    out_features: int = 3
    code_std: float = 0.01
    conditional: bool = False
    clip_dim: int = 512
    clip_model_stub: bool = False

    @property
    def encoded_dim(self) -> int:
        return self.in_features * (1 + 2 * self.num_frequencies)


# --------------------------------------------------------------------------------------------
# Coordinates and positional encoding (torch and NumPy agree; NumPy is used by render_numpy).


def coordinate_grid(frames: int, height: int, width: int) -> np.ndarray:
    """Official ``get_mgrid`` for (T, H, W): f32[T*H*W, 3] of (t, h, w) in [-1, 1], t-major.

    Each axis is index / max(size - 1, 1), then (x - 0.5) * 2. (The official code divides h and w by
    size - 1 unguarded; the guard only changes the degenerate size-1 case, which it maps to -1.)
    """
    axes = [np.arange(n, dtype=np.float32) / max(n - 1, 1) for n in (frames, height, width)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    return ((grid - 0.5) * 2.0).astype(np.float32)


def positional_encoding_numpy(coords: np.ndarray, num_frequencies: int = 10) -> np.ndarray:
    """NeRF encoding, official order: [x, y, z, sin(2^0 pi x), cos(2^0 pi x), sin(2^0 pi y), ...].

    Args:
      coords: [..., D] coordinates.
    Returns:
      [..., D * (1 + 2 * num_frequencies)], frequency-major, then axis, sin before cos.
    """
    coords = np.asarray(coords)
    freqs = (2.0 ** np.arange(num_frequencies)) * np.pi  # [F]
    arg = coords[..., None, :] * freqs[:, None]  # [..., F, D]
    sincos = np.stack([np.sin(arg), np.cos(arg)], axis=-1)  # [..., F, D, 2]
    sincos = sincos.reshape(*coords.shape[:-1], -1)
    return np.concatenate([coords, sincos.astype(coords.dtype)], axis=-1)


def positional_encoding(coords: torch.Tensor, num_frequencies: int = 10) -> torch.Tensor:
    """Torch twin of ``positional_encoding_numpy`` (vectorised; equals the official loop)."""
    freqs = 2.0 ** torch.arange(num_frequencies, dtype=coords.dtype, device=coords.device)
    freqs = freqs * math.pi  # [F]
    arg = coords[..., None, :] * freqs[:, None]  # [..., F, D]
    sincos = torch.stack([torch.sin(arg), torch.cos(arg)], dim=-1).flatten(-3)
    return torch.cat([coords, sincos], dim=-1)


# --------------------------------------------------------------------------------------------
# Modules with the official names.


class FCBlock(nn.Module):
    """Official ``FCBlock``: ``net.{l}`` is ``Sequential(Linear[, ReLU])``, last layer linear.

    All weights Kaiming-normal (fan-in, ReLU); biases keep PyTorch's default init (as official).
    """

    def __init__(self, in_features: int, out_features: int, hidden_layers: int, hidden: int):
        super().__init__()
        widths = [in_features] + [hidden] * (hidden_layers + 1) + [out_features]
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            last = i == len(widths) - 2
            linear = nn.Linear(fan_in, fan_out)
            nn.init.kaiming_normal_(linear.weight, a=0.0, nonlinearity="relu", mode="fan_in")
            layers.append(nn.Sequential(linear) if last else nn.Sequential(linear, nn.ReLU()))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class HyperNetwork(nn.Module):
    """One ``FCBlock`` head per INR tensor, in INR-tensor order; last layer Kaiming / 10."""

    def __init__(self, cfg: OfficialConfig, inr_shapes: dict[str, tuple[int, ...]]):
        super().__init__()
        self.names = list(inr_shapes)
        self.shapes = [inr_shapes[n] for n in self.names]
        self.nets = nn.ModuleList()
        for shape in self.shapes:
            head = FCBlock(
                cfg.latent_dim, math.prod(shape), cfg.hyper_hidden_layers, cfg.hyper_hidden
            )
            with torch.no_grad():
                head.net[-1][0].weight.div_(10.0)
            self.nets.append(head)

    def forward(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """z: [B, latent] -> {INR tensor name: [B, *shape]} (weights stored (out, in))."""
        return {
            name: head(z).reshape((-1, *shape))
            for name, head, shape in zip(self.names, self.nets, self.shapes, strict=True)
        }


class CLIPBranch(nn.Module):
    """Trainable part of the official ``CLIP`` module: BiGRU over precomputed frame features."""

    def __init__(self, cfg: OfficialConfig):
        super().__init__()
        dim = cfg.clip_dim
        self.gru = nn.GRU(dim, dim // 2, num_layers=3, batch_first=True, bidirectional=True,
                          dropout=0.1)  # fmt: skip
        if cfg.clip_model_stub:
            self.model = nn.Module()
            for name, shape in CLIP_MODEL_STUB_SHAPES.items():
                *path, leaf = name.split(".")
                parent = self.model
                for part in path:
                    if not hasattr(parent, part):
                        parent.add_module(part, nn.Module())
                    parent = getattr(parent, part)
                tensor = torch.randn(shape, dtype=torch.float16) * 0.02
                parent.register_parameter(leaf, nn.Parameter(tensor, requires_grad=False))

    def forward(self, frame_features: torch.Tensor) -> torch.Tensor:
        """frame_features: [B, T, clip_dim] -> [B, clip_dim] (BiGRU outputs averaged over time)."""
        out, _ = self.gru(frame_features)
        return out.mean(1)


class OfficialVideoGen(nn.Module):
    """Official ``VideoGen`` (NeRF encoding, ReLU INR, per-tensor hypernetwork heads)."""

    def __init__(self, cfg: OfficialConfig):
        super().__init__()
        self.cfg = cfg
        # Registration order = official state-dict order.
        code_dim = cfg.latent_dim
        if cfg.conditional:
            self.clip = CLIPBranch(cfg)
            self.mergeclipinstance = nn.Sequential(
                nn.Linear(2 * cfg.clip_dim, cfg.clip_dim),
                nn.ReLU(),
                nn.Linear(cfg.clip_dim, cfg.latent_dim),
            )
            code_dim = cfg.clip_dim
        self.latent_codes = nn.Embedding(cfg.num_videos, code_dim)
        nn.init.normal_(self.latent_codes.weight, mean=0.0, std=cfg.code_std)
        self.net = FCBlock(cfg.encoded_dim, cfg.out_features, cfg.inr_hidden_layers, cfg.inr_hidden)
        inr_shapes = {name: tuple(p.shape) for name, p in self.net.named_parameters()}
        self.hyper_net = HyperNetwork(cfg, inr_shapes)

    def latents(
        self, idx: torch.Tensor, frame_features: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Latents fed to the hypernetwork. idx: [B] ints -> [B, latent_dim]."""
        codes = self.latent_codes(idx)
        if not self.cfg.conditional:
            return codes
        if frame_features is None:
            raise ValueError("conditional model needs frame_features [B, T, clip_dim]")
        return self.mergeclipinstance(torch.cat([self.clip(frame_features), codes], dim=1))

    def render(self, z: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        """z: [B, latent], coords: [B, N, 3] in [-1, 1] -> RGB [B, N, 3]."""
        return inr_forward(self.hyper_net(z), positional_encoding(coords, self.cfg.num_frequencies))

    def forward(self, idx, coords, frame_features=None, z=None) -> dict[str, torch.Tensor]:
        if z is None:
            z = self.latents(idx, frame_features)
        return {"model_out": self.render(z, coords), "z": z}


def inr_forward(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Functional INR for a batch of videos: ``x @ W^T + b`` per layer, ReLU on hidden layers.

    Args:
      params: ``net.{l}.0.weight`` [B, out, in] and ``net.{l}.0.bias`` [B, out], as the
        hypernetwork returns them.
      x: encoded coordinates [B, N, in].
    Returns:
      [B, N, out_features].
    """
    num_layers = len(params) // 2
    for layer in range(num_layers):
        w, b = params[f"net.{layer}.0.weight"], params[f"net.{layer}.0.bias"]
        x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
        if layer < num_layers - 1:
            x = torch.relu(x)
    return x


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------------------------
# The official train step and benchmarks.


ADAM_IMPLS = ("default", "foreach", "fused")


def make_optimizer(
    model: OfficialVideoGen, lr: float = 1e-4, adam: str = "default"
) -> torch.optim.Adam:
    """Official optimiser: Adam over ``model.parameters()`` (the unused INR template gets no
    gradient, so Adam skips it; frozen CLIP stubs are excluded).

    Args:
      adam: torch implementation. "default" is what the official script gets on CPU (a per-tensor
        loop); "fused" is the same update in one fused kernel (~10x faster on 57M parameters
        here), the fairer opponent for an XLA-fused optax step.
    """
    if adam not in ADAM_IMPLS:
        raise ValueError(f"adam must be one of {ADAM_IMPLS}, got {adam!r}")
    kwargs = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[adam]
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, **kwargs)


def train_step(model, optimizer, idx, coords, target, frame_features=None) -> tuple[float, Any]:
    """One official step: L1 over the given pixels, then Adam.

    Args:
      idx: [B] video indices. coords: [B, N, 3] (all pixels or any subset). target: [B, N, 3].
    Returns:
      (loss before the update, the latents z [B, latent] that were used, detached).
    """
    out = model(idx, coords, frame_features)
    loss = (out["model_out"] - target).abs().mean()
    model.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item(), out["z"].detach()


def train_step_flops(cfg: OfficialConfig, batch: int, pixels_per_video: int) -> int:
    """Analytic matmul FLOPs of one train step (forward + backward = 3x forward).

    Counts the hypernetwork heads (batch latents) and the INR (batch * pixels points); the
    positional encoding, activations, loss and Adam are elementwise and left out.
    """
    inr_widths = [cfg.encoded_dim] + [cfg.inr_hidden] * (cfg.inr_hidden_layers + 1)
    inr_widths.append(cfg.out_features)
    inr_macs = sum(a * b for a, b in zip(inr_widths[:-1], inr_widths[1:], strict=True))
    numels = []
    for a, b in zip(inr_widths[:-1], inr_widths[1:], strict=True):
        numels += [a * b, b]
    head_widths = [cfg.latent_dim] + [cfg.hyper_hidden] * (cfg.hyper_hidden_layers + 1)
    head_macs = sum(a * b for a, b in zip(head_widths[:-1], head_widths[1:], strict=True))
    hyper_macs = sum(head_macs + cfg.hyper_hidden * n for n in numels)
    return 6 * (batch * hyper_macs + batch * pixels_per_video * inr_macs)


def bench_train_step(
    frames: int,
    height: int,
    width: int,
    batch: int,
    steps: int = 5,
    warmup: int = 2,
    threads: int = 2,
    latent_dim: int = 128,
    pixel_fraction: float = 1.0,
    seed: int = 0,
    cfg: OfficialConfig | None = None,
    adam: str = "default",
) -> dict[str, Any]:
    """Time the official train step on random data (default sizes, all pixels by default).

    Args:
      frames, height, width: video grid; batch: videos per step.
      steps: timed steps (after ``warmup`` untimed ones); threads: ``torch.set_num_threads``.
      pixel_fraction: < 1 trains on a random subset of that many pixels per video.
      cfg: model sizes (default: the official ones at ``latent_dim``); ``num_videos`` := batch.
      adam: "default" (official), "foreach" or "fused" (see ``make_optimizer``).
    Returns:
      dict with ``seconds_per_step`` (median), ``seconds_per_step_mean``, ``_min``,
      ``pixels_per_s`` (batch * rendered pixels / median step time), ``pixels_per_s_best`` (same
      at the fastest step: the better estimate on a shared, loaded machine), ``flops_per_step``
      (analytic matmul FLOPs), ``gflops_per_s`` (at the median), ``cpu_seconds_per_step``
      (median process CPU time, all threads: less sensitive to other processes than wall time),
      ``final_loss``, the settings and ``loadavg_1min`` (load makes wall times noisy).
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        cfg = dataclasses.replace(cfg or OfficialConfig(latent_dim=latent_dim), num_videos=batch)
        model = OfficialVideoGen(cfg)
        optimizer = make_optimizer(model, adam=adam)
        grid = torch.from_numpy(coordinate_grid(frames, height, width))
        n = grid.shape[0] if pixel_fraction >= 1.0 else max(1, int(pixel_fraction * grid.shape[0]))
        gen = torch.Generator().manual_seed(seed)
        videos = torch.rand(batch, grid.shape[0], 3, generator=gen) * 2 - 1
        idx = torch.arange(batch)
        times, cpu_times, loss = [], [], float("nan")
        for i in range(warmup + steps):
            if n < grid.shape[0]:
                pix = torch.randint(0, grid.shape[0], (batch, n), generator=gen)
                coords, target = (
                    grid[pix],
                    torch.gather(videos, 1, pix[..., None].expand(-1, -1, 3)),
                )
            else:
                coords, target = grid.expand(batch, -1, -1), videos
            start, cpu_start = time.perf_counter(), time.process_time()
            loss, _ = train_step(model, optimizer, idx, coords, target)
            if i >= warmup:
                times.append(time.perf_counter() - start)
                cpu_times.append(time.process_time() - cpu_start)
        median = float(np.median(times))
        flops = train_step_flops(cfg, batch, n)
        return {
            "frames": frames, "height": height, "width": width, "batch": batch,
            "pixels_per_step": batch * n, "threads": threads, "steps": steps, "adam": adam,
            "seconds_per_step": median, "seconds_per_step_mean": float(np.mean(times)),
            "seconds_per_step_min": min(times), "pixels_per_s": batch * n / median,
            "pixels_per_s_best": batch * n / min(times), "flops_per_step": flops,
            "cpu_seconds_per_step": float(np.median(cpu_times)),
            "gflops_per_s": flops / median / 1e9, "final_loss": loss,
            "torch_version": torch.__version__, "loadavg_1min": common.load_avg(),
        }  # fmt: skip
    finally:
        torch.set_num_threads(previous_threads)


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """PSNR of videos in [-1, 1] (peak-to-peak 2), prediction clipped to [-1, 1] first."""
    mse = float(np.mean((np.clip(pred, -1, 1) - target) ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(4.0 / mse)


def train_to_psnr(
    videos: np.ndarray,
    target_psnr: float,
    max_seconds: float,
    batch: int = 2,
    lr: float = 1e-4,
    seed: int = 0,
    eval_every: int | None = None,
    threads: int | None = None,
    cfg: OfficialConfig | None = None,
    adam: str = "default",
) -> dict[str, Any]:
    """Train the official recipe until mean reconstruction PSNR reaches ``target_psnr``.

    Recipe: L1 only, Adam(lr), all pixels, ``batch`` videos per step, videos shuffled each epoch.
    Evaluation (render every video with its code, mean of per-video PSNR) runs every ``eval_every``
    steps (default: once an epoch) and at step 0; its time is EXCLUDED from the reported seconds.

    Args:
      videos: [N, T, H, W, 3] in [-1, 1].
      max_seconds: training-time budget (evaluation excluded).
      cfg: model sizes (unconditional only); default: official with latent 64 (N <= 2,000).
        ``num_videos`` is set to N.
      adam: torch Adam implementation (see ``make_optimizer``).
    Returns:
      dict: ``reached`` (bool), ``seconds`` / ``steps`` when first reached (None otherwise),
      ``curve`` [(train seconds, steps, mean psnr)], ``final_psnr``, ``eval_excluded_from_time``
      and the trained ``model`` (e.g. for ``save_official_checkpoint``).
    """
    if cfg is not None and cfg.conditional:
        raise ValueError("train_to_psnr trains the unconditional recipe; cfg.conditional is set")
    videos = np.asarray(videos, dtype=np.float32)
    n_videos, frames, height, width, _ = videos.shape
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        cfg = dataclasses.replace(cfg or OfficialConfig(latent_dim=64), num_videos=n_videos)
        model = OfficialVideoGen(cfg)
        optimizer = make_optimizer(model, lr, adam)
        grid = torch.from_numpy(coordinate_grid(frames, height, width))
        data = torch.from_numpy(videos.reshape(n_videos, -1, 3))
        gen = torch.Generator().manual_seed(seed)
        eval_every = eval_every or max(1, math.ceil(n_videos / batch))

        def evaluate() -> float:
            with torch.no_grad():
                scores = []
                for i in range(n_videos):
                    z = model.latent_codes.weight[i : i + 1]
                    out = model.render(z, grid[None]).numpy()
                    scores.append(psnr(out[0], videos[i].reshape(-1, 3)))
            return float(np.mean(scores))

        curve, seconds, steps, order = [(0.0, 0, evaluate())], 0.0, 0, []
        reached = curve[0][2] >= target_psnr
        while not reached and seconds < max_seconds:
            if len(order) < batch:
                order += torch.randperm(n_videos, generator=gen).tolist()
            idx, order = torch.tensor(order[:batch]), order[batch:]
            start = time.perf_counter()
            train_step(model, optimizer, idx, grid.expand(len(idx), -1, -1), data[idx])
            seconds += time.perf_counter() - start
            steps += 1
            if steps % eval_every == 0:
                curve.append((seconds, steps, evaluate()))
                reached = curve[-1][2] >= target_psnr
        if curve[-1][1] != steps:
            curve.append((seconds, steps, evaluate()))
            reached = curve[-1][2] >= target_psnr
        return {
            **common.first_reach(curve, target_psnr),
            "target_psnr": target_psnr,
            "eval_excluded_from_time": True,
            "model": model,
        }
    finally:
        torch.set_num_threads(previous_threads)


# --------------------------------------------------------------------------------------------
# Official checkpoint layout and an independent NumPy forward pass.


def save_official_checkpoint(
    path,
    model: OfficialVideoGen,
    learned_latents: dict[int, np.ndarray] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> dict[str, Any]:
    """Write ``{"model": state_dict, "optim": optim_state | None, "learned_latents": {...}}``.

    Args:
      learned_latents: {video index: latent fed to the hypernetwork, [latent_dim]}; stored as the
        official ``{i: [None, None, z_i]}`` with ``z_i`` a CPU float tensor. Default: the codebook
        rows (correct for the unconditional model, where latent == code).
    Returns:
      The dict that was saved.
    """
    if learned_latents is None:
        if model.cfg.conditional:
            raise ValueError("conditional model: pass learned_latents (the merged latents)")
        codes = model.latent_codes.weight.detach().cpu()
        learned_latents = {i: codes[i] for i in range(codes.shape[0])}
    latents = {
        int(i): [None, None, torch.as_tensor(np.asarray(z), dtype=torch.float32)]
        for i, z in learned_latents.items()
    }
    ckpt = {
        "model": model.state_dict(),
        "optim": None if optimizer is None else optimizer.state_dict(),
        "learned_latents": latents,
    }
    torch.save(ckpt, path)
    return ckpt


def _np(x) -> np.ndarray:
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)


def inr_shapes_from_state_dict(state_dict) -> list[tuple[int, ...]]:
    """INR tensor shapes in head order, inferred from the heads' output sizes alone.

    Heads alternate weight/bias; a bias head's size is the layer's ``out``, and the weight head
    before it has ``out * in`` outputs, so ``in`` follows without reading the INR template.
    """
    sizes = []
    k = 0
    while f"hyper_net.nets.{k}.net.0.0.weight" in state_dict:
        layers = sorted(
            int(key.split(".")[4])
            for key in state_dict
            if key.startswith(f"hyper_net.nets.{k}.net.") and key.endswith(".0.bias")
        )
        sizes.append(_np(state_dict[f"hyper_net.nets.{k}.net.{layers[-1]}.0.bias"]).shape[0])
        k += 1
    if k == 0 or k % 2:
        raise ValueError(f"expected an even, non-zero number of hypernetwork heads, found {k}")
    shapes = []
    for w_size, b_size in zip(sizes[::2], sizes[1::2], strict=True):
        if w_size % b_size:
            raise ValueError(f"weight head of {w_size} outputs does not divide by bias {b_size}")
        shapes += [(b_size, w_size // b_size), (b_size,)]
    return shapes


def _head_forward(state_dict, k: int, z: np.ndarray) -> np.ndarray:
    x, layer = z, 0
    prefix = f"hyper_net.nets.{k}.net"
    while f"{prefix}.{layer}.0.weight" in state_dict:
        if layer:
            x = np.maximum(x, 0.0)
        w = _np(state_dict[f"{prefix}.{layer}.0.weight"]).astype(np.float64)
        x = x @ w.T + _np(state_dict[f"{prefix}.{layer}.0.bias"]).astype(np.float64)
        layer += 1
    return x


def render_numpy(
    state_dict, latent: np.ndarray, T: int, H: int, W: int, chunk: int = 65536
) -> np.ndarray:
    """Pure-NumPy (float64) official forward pass: latent -> hypernetwork -> INR on the grid.

    Args:
      state_dict: official ``model`` dict (torch tensors or arrays); sizes come from its shapes.
      latent: [latent_dim], the latent fed to the hypernetwork (``learned_latents[i][2]``).
      chunk: pixels per evaluation chunk (memory bound only; the result does not depend on it).
    Returns:
      f32[T, H, W, 3] (not clipped).
    """
    z = _np(latent).astype(np.float64).reshape(-1)
    shapes = inr_shapes_from_state_dict(state_dict)
    params = [_head_forward(state_dict, k, z).reshape(s) for k, s in enumerate(shapes)]
    in_dim = shapes[0][1]
    if (in_dim - 3) % 6:
        raise ValueError(f"INR input {in_dim} is not 3 * (1 + 2F) for 3-d coordinates")
    grid = coordinate_grid(T, H, W).astype(np.float64)
    out = np.empty((grid.shape[0], shapes[-1][0]), np.float32)
    for start in range(0, grid.shape[0], chunk):  # bounded float64 activations
        x = positional_encoding_numpy(grid[start : start + chunk], (in_dim - 3) // 6)
        for layer in range(len(params) // 2):
            if layer:
                x = np.maximum(x, 0.0)
            x = x @ params[2 * layer].T + params[2 * layer + 1]
        out[start : start + chunk] = x
    return out.reshape(T, H, W, -1)


# --------------------------------------------------------------------------------------------

BENCH_SHAPES = [(16, 32, 32, 2), (25, 32, 32, 4), (25, 100, 100, 1)]


def main(argv: list[str] | None = None) -> None:
    """Print one JSON line per (shape, Adam implementation)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adam", nargs="+", default=["default", "fused"], choices=ADAM_IMPLS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=[",".join(map(str, s)) for s in BENCH_SHAPES],
        help="T,H,W,B each (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    shapes = [tuple(map(int, s.split(","))) for s in args.shapes]
    for frames, height, width, batch in shapes:
        for adam in args.adam:
            result = bench_train_step(
                frames, height, width, batch, args.steps, args.warmup, args.threads, adam=adam
            )
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
