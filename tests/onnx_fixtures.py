"""Helpers of the model loading tests (test_model*.py): tiles of random values, an error's
message checked to be one line, and a small network giving boxes in the output layouts of
ultralytics, its transposed form and YOLOv5/v7's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

NAMES = {"names": "{0: 'dredge', 1: 'boat'}"}  # ultralytics' ONNX metadata


def _tiles(n: int = 3, size: int = 256, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3, size, size), dtype=np.float32)


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


class _Layout(torch.nn.Module):
    """A stand-in network whose output has the shape of one YOLO output layout for 2 classes:
    ``raw`` (batch, 4 + 2, anchors) as this tool reads it, ``nms`` (batch, ``boxes``, 6) boxes
    after NMS, ``transposed`` (batch, anchors, 6), ``v5`` (batch, anchors, 4 + 1 + 2); one
    anchor per ``stride`` × ``stride`` px for each of ``strides`` (default one level at 8 px).
    ``extra`` adds channels to each anchor (a third class, say)."""

    def __init__(
        self, layout: str, extra: int = 0, strides: tuple[int, ...] = (8,), boxes: int = 300
    ) -> None:
        super().__init__()
        self.layout = layout
        self.extra = extra
        self.strides = strides
        self.boxes = boxes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layout == "nms":
            return x[:, :1, :1, :1].reshape(-1, 1, 1).expand(-1, self.boxes, 6) * 0
        pooled = [torch.nn.functional.avg_pool2d(x[:, :1], s).flatten(1) for s in self.strides]
        anchors = torch.cat(pooled, dim=1)
        columns = (7 if self.layout == "v5" else 6) + self.extra
        out = anchors.unsqueeze(-1).expand(-1, -1, columns)
        return out.transpose(1, 2) if self.layout == "raw" else out
