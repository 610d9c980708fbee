"""Procedural noise defined in map coordinates, so a world renders alike at any GSD.

Value noise on an integer lattice whose node values come from a hash of (node, seed): the
same map point gets the same value whatever the pixel grid, unlike noise drawn per pixel.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def _hash01(ix: NDArray[np.int64], iy: NDArray[np.int64], seed: int) -> FloatArray:
    """Hash integer lattice coordinates and a seed to floats in [0, 1) (splitmix64)."""
    with np.errstate(over="ignore"):
        h = np.broadcast_to(ix, np.broadcast_shapes(ix.shape, iy.shape)).astype(np.uint64) * _M1
        h ^= iy.astype(np.uint64) * _M2 + np.uint64(seed & 0xFFFFFFFF) * _M3
        h ^= h >> np.uint64(30)
        h *= _M2
        h ^= h >> np.uint64(27)
        h *= _M3
        h ^= h >> np.uint64(31)
    return ((h >> np.uint64(40)).astype(np.float32)) / np.float32(1 << 24)


def value_noise(
    x: NDArray[np.floating], y: NDArray[np.floating], scale_m: float, seed: int
) -> FloatArray:
    """Smooth noise in [0, 1) with features about ``scale_m`` metres across."""
    u = np.asarray(x, dtype=np.float64) / scale_m
    v = np.asarray(y, dtype=np.float64) / scale_m
    iu = np.floor(u)
    iv = np.floor(v)
    fu = (u - iu).astype(np.float32)
    fv = (v - iv).astype(np.float32)
    su = fu * fu * (3 - 2 * fu)
    sv = fv * fv * (3 - 2 * fv)
    i0 = iu.astype(np.int64)
    j0 = iv.astype(np.int64)
    n00 = _hash01(i0, j0, seed)
    n10 = _hash01(i0 + 1, j0, seed)
    n01 = _hash01(i0, j0 + 1, seed)
    n11 = _hash01(i0 + 1, j0 + 1, seed)
    top = n00 + (n10 - n00) * su
    bottom = n01 + (n11 - n01) * su
    return (top + (bottom - top) * sv).astype(np.float32)


def value_noise_grid(
    xs: NDArray[np.floating], ys: NDArray[np.floating], scale_m: float, seed: int
) -> FloatArray:
    """:func:`value_noise` on the grid ``ys`` (rows) × ``xs`` (columns), hashing only the lattice.

    The lattice nodes are hashed once; the interpolation runs along the rows, then the columns.
    Equal to ``value_noise(*np.meshgrid(xs, ys), ...)`` up to float rounding.
    """
    u = np.asarray(xs, dtype=np.float64) / scale_m
    v = np.asarray(ys, dtype=np.float64) / scale_m
    iu = np.floor(u).astype(np.int64)
    iv = np.floor(v).astype(np.int64)
    fu = (u - iu).astype(np.float32)
    fv = (v - iv).astype(np.float32)
    su = fu * fu * (3 - 2 * fu)
    sv = fv * fv * (3 - 2 * fv)
    cols = np.arange(iu.min(), iu.max() + 2)
    rows = np.arange(iv.min(), iv.max() + 2)
    lattice = _hash01(cols[None, :], rows[:, None], seed)  # (rows, cols)
    ci = iu - cols[0]
    along_x = lattice[:, ci] * (1 - su) + lattice[:, ci + 1] * su  # (lattice rows, width)
    ri = iv - rows[0]
    return (along_x[ri] * (1 - sv)[:, None] + along_x[ri + 1] * sv[:, None]).astype(np.float32)


def fractal_noise(
    x: NDArray[np.floating],
    y: NDArray[np.floating],
    scale_m: float,
    seed: int,
    octaves: int = 4,
    persistence: float = 0.5,
    *,
    grid: bool = False,
) -> FloatArray:
    """Sum of ``octaves`` value-noise layers, halving the scale each time; result in [0, 1].

    With ``grid=True``, ``x`` and ``y`` are the column and row coordinates of a grid and the
    result has shape ``(len(y), len(x))``; otherwise ``x`` and ``y`` are points of any shape.
    """
    noise = value_noise_grid if grid else value_noise
    shape = (np.size(y), np.size(x)) if grid else np.shape(x)
    total = np.zeros(shape, dtype=np.float32)
    amplitude = 1.0
    norm = 0.0
    # On a grid, layers finer than half a pixel would only alias: their mean (0.5) stands in.
    spacing = (
        float(np.abs(np.diff(np.asarray(x, dtype=np.float64)[:2])).max())
        if grid and np.size(x) > 1
        else 0.0
    )
    for octave in range(octaves):
        layer_scale = scale_m / 2**octave
        if layer_scale < spacing / 2:
            total += np.float32(amplitude * 0.5)
        else:
            total += np.float32(amplitude) * noise(x, y, layer_scale, seed + 7919 * octave)
        norm += amplitude
        amplitude *= persistence
    return total / np.float32(norm)
