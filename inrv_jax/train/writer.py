"""TensorBoard scalars/images plus ``metrics.jsonl``, written by process 0."""

from __future__ import annotations

import json
import pathlib
import time

import numpy as np


class MetricsWriter:
    """TensorBoard scalars/images plus a metrics.jsonl, on process 0 only.

    Events are written and flushed by the calling thread (not tensorboardX's writer thread), so
    a full disk raises here, where the loop reports it, instead of killing that thread and then
    blocking the run on its full queue.
    """

    def __init__(self, workdir: pathlib.Path, enabled: bool):
        self.enabled = enabled
        self.tb = None
        if enabled:
            from tensorboardX.event_file_writer import EventsWriter

            (workdir / "tb").mkdir(exist_ok=True)
            self.tb = EventsWriter(str(workdir / "tb" / "events"))
            self.jsonl = open(workdir / "metrics.jsonl", "a")  # noqa: SIM115

    def _write(self, step: int, summaries) -> None:
        from tensorboardX.proto.event_pb2 import Event

        for summary in summaries:
            self.tb.write_event(Event(summary=summary, step=step, wall_time=time.time()))
        self.tb.flush()

    def scalars(self, step: int, metrics: dict) -> None:
        if not self.enabled:
            return
        from tensorboardX.summary import scalar

        self._write(step, [scalar(k, v) for k, v in metrics.items()])
        self.jsonl.write(json.dumps({"step": step, **metrics}) + "\n")
        self.jsonl.flush()

    def image(self, step: int, tag: str, png_path: pathlib.Path) -> None:
        if self.enabled and png_path.exists():
            from PIL import Image
            from tensorboardX.summary import image

            pixels = np.asarray(Image.open(png_path))
            self._write(step, [image(tag, pixels, dataformats="HWC")])

    def close(self):
        if self.enabled:
            self.tb.close()
            self.jsonl.close()
