"""A held-out table cell: the model's score, ✓/✗ against the best baseline, and (when the row
has per-clip scores) the margin over that baseline ± its standard error over the clips."""

import numpy as np
import pytest

from benchmarks import common


def _row(model, blend, repeat):
    def part(v):
        return {"mean": {"psnr_unobserved": float(np.mean(v))}, "per_video": {"psnr_unobserved": v}}

    return {**part(model), "baselines": {"blend": part(blend), "repeat-last": part(repeat)}}


def test_margin_is_over_the_best_baseline_with_its_standard_error():
    row = _row([31.0, 33.0, 35.0], [30.0, 33.0, 34.0], [20.0, 20.0, 20.0])
    mean, se = common.margin_spread(row, "blend")
    diff = np.array([1.0, 0.0, 1.0])
    assert mean == pytest.approx(diff.mean())
    assert se == pytest.approx(diff.std(ddof=1) / np.sqrt(3))
    assert common.heldout_cell(row) == f"33.00 ✓ (blend 32.33; +0.67 ± {se:.2f})"


def test_a_loss_is_marked_and_rows_without_clips_keep_the_short_cell():
    row = _row([30.0, 31.0], [31.0, 31.5], [1.0, 1.0])
    assert common.heldout_cell(row) == "30.50 ✗ (blend 31.25; -0.75 ± 0.25)"
    for r in (row, *row["baselines"].values()):
        del r["per_video"]
    assert common.heldout_cell(row) == "30.50 ✗ (blend 31.25)"
    assert common.margin_spread(row, "blend") is None
