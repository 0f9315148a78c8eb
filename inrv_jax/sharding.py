"""Device mesh from the config, sharding rules for parameters, global arrays from host data.

The mesh has two named axes, ``data`` (videos of a batch) and ``model`` (the wide output
layers of the hypernetwork). A 1×1 mesh is an ordinary single-device run: the same code.
"""

from __future__ import annotations

import re

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from inrv_jax.errors import ConfigError
from inrv_jax.settings import MeshSettings


def make_mesh(mesh: MeshSettings, devices=None) -> Mesh:
    """A ``(data, model)`` mesh over all (or the given) devices.

    ``mesh.model`` devices per model group; ``mesh.data`` = -1 takes the rest.
    """
    devices = list(jax.devices() if devices is None else devices)
    model = mesh.model
    data = len(devices) // model if mesh.data == -1 else mesh.data
    if (
        data < 1
        or data * model > len(devices)
        or (mesh.data == -1 and data * model != len(devices))
    ):
        raise ConfigError(
            f"config keys mesh.data={mesh.data} × mesh.model={model} do not fit the "
            f"{len(devices)} available devices; set mesh.data=-1 or change mesh.model"
        )
    # Explicit sizes may use a prefix of the devices (e.g. a 1×1 mesh for debugging).
    return Mesh(np.asarray(devices[: data * model]).reshape(data, model), ("data", "model"))


def path_str(path) -> str:
    """'/'-joined readable key path of a pytree leaf, e.g. 'hypernet/out_3'."""
    parts = []
    for k in path:
        for attr in ("key", "name", "idx"):
            if hasattr(k, attr):
                parts.append(str(getattr(k, attr)))
                break
        else:
            parts.append(str(k))
    return "/".join(parts)


def _spec_for(path: str, shape: tuple[int, ...], rules, mesh: Mesh) -> P:
    for pattern, spec in rules:
        if re.search(pattern, path):
            spec = tuple(spec)
            if len(spec) != len(shape):
                continue
            # Shard an axis only where it divides evenly; replicate it otherwise.
            fixed = tuple(
                ax if ax is None or shape[i] % mesh.shape[ax] == 0 else None
                for i, ax in enumerate(spec)
            )
            return P(*fixed)
    return P()


def tree_shardings(tree, mesh: Mesh, rules) -> object:
    """NamedShardings for every leaf of ``tree`` (arrays or ShapeDtypeStructs) by ``rules``.

    Rules are ``(regex, partition spec)`` pairs searched in the leaf's path, so the same
    rule covers a parameter and its Adam moments (``…/mu/hypernet/out_3``).
    """
    return jax.tree_util.tree_map_with_path(
        lambda path, x: NamedSharding(
            mesh, _spec_for(path_str(path), tuple(getattr(x, "shape", ())), rules, mesh)
        ),
        tree,
    )


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Leading (video) axis over ``data``; everything else replicated."""
    return NamedSharding(mesh, P("data"))


def global_batch(local: dict[str, np.ndarray], mesh: Mesh) -> dict[str, jax.Array]:
    """Global arrays sharded over ``data`` from each process's local batch shard.

    Every process passes its own rows (``batch_size / process_count`` videos); on one
    process this is a plain sharded device_put.
    """
    sh = batch_sharding(mesh)
    return {k: jax.make_array_from_process_local_data(sh, np.asarray(v)) for k, v in local.items()}


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, P())


def put_global(tree, shardings):
    """Host numpy tree (the same full values on every process) -> global arrays.

    Unlike ``jax.device_put``, this works when the shardings span other processes'
    devices (multi-host): each process fills only its addressable shards.
    """
    return jax.tree.map(
        lambda x, sh: jax.make_array_from_callback(np.shape(x), sh, lambda idx: np.asarray(x)[idx]),
        tree,
        shardings,
    )


def host_tree(tree):
    """A tree of (possibly sharded, multi-host) global arrays as host arrays on every process,
    so evaluation and sample rendering run locally without collectives."""
    if jax.process_count() == 1:
        return tree
    from jax.experimental import multihost_utils  # only multi-host runs need it

    return multihost_utils.process_allgather(tree, tiled=True)


def any_process(flag: bool) -> bool:
    """True on every process when ``flag`` is true on any process."""
    if jax.process_count() == 1:
        return flag
    from jax.experimental import multihost_utils

    return bool(np.any(multihost_utils.process_allgather(np.array([flag]))))
