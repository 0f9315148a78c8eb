#!/usr/bin/env bash
# Train on a Cloud TPU pod slice: every worker runs the same command; JAX detects the pod.
#   TPU=my-v4-32 ZONE=us-central2-b bash launch/tpu_pod.sh configs/how2sign_faces.py gs://bucket/run [--config.k=v ...]
# Assumes the repo is checked out at ~/inrv_jax on every worker and `pip install -r requirements.txt
# "jax[tpu]"` was run there. The workdir must be shared storage (GCS path or NFS) for orbax.
set -euo pipefail
config=$1; workdir=$2; shift 2
gcloud compute tpus tpu-vm ssh "$TPU" --zone "$ZONE" --worker=all --command "
  cd ~/inrv_jax && python launch/train.py --config $config --workdir $workdir \
    --config.distributed.coordinator=auto --config.model.compute_dtype=bfloat16 $*"
