"""The GPU suite's bookkeeping (runs on the CPU): trace summary and the tables' arithmetic."""

import gzip
import json

import pytest

from benchmarks import gpu_suite as gs


def _meta(pid, tid, process, thread):
    return [
        {"ph": "M", "pid": pid, "name": "process_name", "args": {"name": process}},
        {"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": thread}},
    ]


def test_summarize_trace_sums_device_ops(tmp_path):
    events = _meta(1, 14, "/device:GPU:0", "Stream #14(Compute)") + _meta(7, 2, "/host:CPU", "py")
    events += [
        {"ph": "X", "pid": 1, "tid": 14, "name": "gemm", "ts": 0.0, "dur": 300.0},
        {"ph": "X", "pid": 1, "tid": 14, "name": "relu_bwd", "ts": 400.0, "dur": 100.0},
        {"ph": "X", "pid": 1, "tid": 14, "name": "gemm", "ts": 600.0, "dur": 300.0},
        # Host events are left out when a device process exists.
        {"ph": "X", "pid": 7, "tid": 2, "name": "python", "ts": 0.0, "dur": 5000.0},
    ]
    folder = tmp_path / "plugins" / "profile" / "run"
    folder.mkdir(parents=True)
    with gzip.open(folder / "perfetto_trace.json.gz", "wt") as f:
        json.dump({"traceEvents": events}, f)
    rec = gs.summarize_trace(str(tmp_path))
    assert rec["busiest_thread"] == "/device:GPU:0 / Stream #14(Compute)"
    assert rec["busiest_ms"] == pytest.approx(0.7)
    assert rec["span_ms"] == pytest.approx(0.9)  # first start to last end, gaps included
    assert [o["name"] for o in rec["top_ops"]] == ["gemm", "relu_bwd"]
    assert rec["top_ops"][0]["share"] == pytest.approx(600 / 700)


def test_summarize_trace_without_trace_is_an_error_record(tmp_path):
    assert "error" in gs.summarize_trace(str(tmp_path))


def test_markdown_mfu_ratio_and_error_rows():
    recs = [
        {"bench": "env", "impl": "jax", "device": "H100"},
        {"bench": "matmul", "dtype": "bfloat16", "tflops_best": 500.0},
        {"bench": "train", "impl": "jax", "dtype": "bfloat16", "batch": 8, "video": [25, 10, 10],
         "chunk_rows": 4096, "s_per_step": 0.02, "s_per_step_synced": 0.025,
         "pixels_per_s": 1e6, "tflops": 125.0, "loss_first": 0.5, "loss_last": 0.4,
         "xla_peak_gb": 3.0, "compile_s": 5.0},
        {"bench": "train", "impl": "torch-eager", "dtype": "float32", "batch": 32,
         "video": [25, 10, 10], "error": "OutOfMemoryError: CUDA out of memory", "oom": True},
        {"bench": "inversion", "impl": "jax", "dtype": "float32", "batch": 1, "video": [2, 4, 4],
         "steps": 5, "pixels_per_step": 32, "seconds": 1.0, "videos_per_s": 1.0},
        {"bench": "inversion", "impl": "jax", "dtype": "float32", "batch": 64, "video": [2, 4, 4],
         "steps": 5, "pixels_per_step": 32, "seconds": 4.0, "videos_per_s": 16.0},
    ]  # fmt: skip
    md = gs.markdown(recs)
    assert "| 125.0 | 25.0% |" in md  # MFU = 125 / 500 measured bf16 matmul rate
    assert "OutOfMemoryError" in md  # a failed row is reported, not dropped
    assert "| 16.00 | 16.0× |" in md  # batch 64 over batch 1 at the same pixels and dtype
