"""Single-host and multi-host entry point: ``python launch/train.py --config ... --workdir ...``.

The same command runs everywhere; only ``--config.distributed.*`` changes:
  * one machine:        nothing (all local devices form the mesh)
  * TPU pod / SLURM:    ``--config.distributed.coordinator=auto`` (JAX detects the cluster)
  * explicit:           ``--config.distributed.coordinator=HOST:PORT
                          --config.distributed.num_processes=N --config.distributed.process_id=I``
Every process runs this same command; process 0 writes logs, samples and owns the workdir lock;
all processes take part in orbax checkpoint saves and restores.
"""

import sys

from inrv_jax.cli import main
from inrv_jax.runtime.host_malloc import retain_freed_memory

if __name__ == "__main__":
    retain_freed_memory()  # INRV_HOST_MALLOC=retain only; before JAX starts its threads
    sys.exit(main(["train", *sys.argv[1:]]))
