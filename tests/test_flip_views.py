"""Flipped views: boxes come back where the object is, and two views must agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from detector.flip_views import FLIPS, flip_batch, fuse_views, unflip_raw
from detector.model import YoloDetector
from tests.model_fixtures import card_for_blobs


class BrightestPixelNetwork(YoloDetector):
    """A 'network' with one anchor per image: a 3 × 3 px box on its brightest pixel, class 0.

    The scores of the four views are set by ``view_scores`` (in the order of :data:`FLIPS`:
    one call per view), so a test can make views agree or not.
    """

    backend = "test"

    def __init__(self, folder: Path, flips: bool, view_scores: list[float]) -> None:
        super().__init__(card_for_blobs(folder), folder / "blobs.pt", "cpu", flips)
        self.view_scores = view_scores
        self.calls = 0

    def forward(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        raw = np.zeros((len(batch), 6, 1), dtype=np.float32)
        for i, image in enumerate(batch):
            row, col = np.unravel_index(int(image.max(axis=0).argmax()), image.shape[1:])
            raw[i, :4, 0] = [col + 0.5, row + 0.5, 3, 3]
            raw[i, 4, 0] = self.view_scores[self.calls % len(self.view_scores)]
        self.calls += 1
        return raw


def _tile_with_bright_pixel(row: int, col: int, height: int = 50, width: int = 70) -> np.ndarray:
    tile = np.zeros((1, 3, height, width), dtype=np.float32)
    tile[0, :, row, col] = 1.0
    return tile


@pytest.mark.parametrize(("left_right", "up_down"), FLIPS)
def test_unflip_maps_a_flipped_box_back(left_right: bool, up_down: bool) -> None:
    tile = _tile_with_bright_pixel(7, 61)
    flipped = flip_batch(tile, left_right, up_down)
    row, col = np.unravel_index(int(flipped[0, 0].argmax()), flipped.shape[2:])
    raw = np.zeros((1, 5, 1), dtype=np.float32)
    raw[0, :4, 0] = [col + 0.5, row + 0.5, 3, 3]
    back = unflip_raw(raw, left_right, up_down, width=70, height=50)
    np.testing.assert_allclose(back[0, :2, 0], [61.5, 7.5])


def test_four_views_of_an_odd_sized_tile_land_on_the_object(tmp_path: Path) -> None:
    network = BrightestPixelNetwork(tmp_path, flips=True, view_scores=[0.9, 0.8, 0.7, 0.6])
    (boxes,) = network.predict(_tile_with_bright_pixel(7, 61), conf=0.25)
    assert boxes.shape == (1, 6)
    np.testing.assert_allclose(boxes[0, :4], [60, 6, 63, 9], atol=1e-5)
    assert boxes[0, 4] == pytest.approx(0.8)  # the second-best view's score


def test_a_box_one_view_alone_finds_is_dropped(tmp_path: Path) -> None:
    network = BrightestPixelNetwork(tmp_path, flips=True, view_scores=[0.9, 0.1, 0.1, 0.2])
    (boxes,) = network.predict(_tile_with_bright_pixel(20, 30), conf=0.25)
    assert len(boxes) == 0
    single = BrightestPixelNetwork(tmp_path, flips=False, view_scores=[0.9])
    (boxes,) = single.predict(_tile_with_bright_pixel(20, 30), conf=0.25)
    assert boxes[:, 4].tolist() == pytest.approx([0.9])


def test_neighbours_stay_apart_and_classes_do_not_mix() -> None:
    def view(shift: float, score: float) -> np.ndarray:
        return np.array(
            [
                [10 + shift, 10, 13 + shift, 12, score, 0],  # a dredge
                [10 + shift, 14, 13 + shift, 16, score, 0],  # its neighbour, 4 px away
                [30, 30, 33, 32, score, 1],  # a boat: class 1
            ],
            dtype=np.float32,
        )

    fused = fuse_views([view(0, 0.9), view(1, 0.5), view(-1, 0.4), view(0.5, 0.3)], conf=0.25)
    assert len(fused) == 3
    assert sorted(fused[:, 5].tolist()) == [0, 0, 1]
    assert fused[:, 4].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # the box is the score-weighted mean of the views' boxes
    dredge = fused[(fused[:, 5] == 0) & (fused[:, 1] < 12)][0]
    expected = (0.9 * 0 + 0.5 * 1 + 0.4 * -1 + 0.3 * 0.5) / (0.9 + 0.5 + 0.4 + 0.3)
    assert dredge[0] == pytest.approx(10 + expected)
    assert fuse_views([np.zeros((0, 6), np.float32)] * 4, conf=0.25).shape == (0, 6)


def test_views_split_two_and_two_on_the_class_give_one_box() -> None:
    """Two views call an object a dredge and two a boat: each class's group had two agreeing
    views, and both boxes were kept (one object, a dredge and a boat). Now one box, of the
    class whose views' scores sum higher, with that class's score."""

    def view(cls: int, score: float) -> np.ndarray:
        return np.array([[10, 10, 13, 13, score, cls]], dtype=np.float32)

    fused = fuse_views([view(0, 0.8), view(0, 0.7), view(1, 0.6), view(1, 0.5)], conf=0.25)
    assert fused[:, 4:].ravel().tolist() == pytest.approx([0.7, 0])
    fused = fuse_views([view(0, 0.8), view(0, 0.3), view(1, 0.6), view(1, 0.6)], conf=0.25)
    assert fused[:, 4:].ravel().tolist() == pytest.approx([0.6, 1])
    # a boat beside a dredge (5 px apart) is another object: both stay
    boat = np.array([[10, 15, 13, 18, 0.6, 1]], dtype=np.float32)
    beside = [np.vstack([view(0, 0.8), boat])] * 4
    assert sorted(fuse_views(beside, conf=0.25)[:, 5].tolist()) == [0, 1]


def test_boxes_every_view_scored_0_under_conf_0_are_the_plain_mean(tmp_path: Path) -> None:
    """``--conf 0`` keeps a group whose members all scored exactly 0: its score-weighted box
    was 0/0, NaN, and ``dredge detect`` ended in a traceback turning it into pixels."""
    network = BrightestPixelNetwork(tmp_path, flips=True, view_scores=[0.0] * 4)
    (boxes,) = network.predict(_tile_with_bright_pixel(7, 61), conf=0.0)
    np.testing.assert_allclose(boxes[:, :5], [[60, 6, 63, 9, 0]], atol=1e-5)
    view = np.array([[10, 10, 13, 12, 0.0, 0]], dtype=np.float32)
    shifted = np.array([[12, 10, 15, 12, 0.0, 0]], dtype=np.float32)
    fused = fuse_views([view, shifted], conf=0.0)
    np.testing.assert_allclose(fused, [[11, 10, 14, 12, 0, 0]])
