"""A meandering river channel in a metric CRS: centerline, widths, banks and river coordinates.

The centerline is a sine-generated curve (Langbein & Leopold 1966): the flow direction swings
as a sine of the distance along the channel, which gives the meanders of lowland Amazonian
rivers. It is digitised from upstream to downstream; chainage is measured from the
downstream end, as the detector does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from shapely import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

STEP_M = 10.0


@dataclass(frozen=True)
class Channel:
    """A river channel sampled every ``STEP_M`` metres from upstream to downstream."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    width_m: NDArray[np.float64]

    @property
    def length_m(self) -> float:
        return float(self.s[-1])

    @property
    def s(self) -> NDArray[np.float64]:
        """Distance along the channel from the upstream end, per vertex."""
        step = np.hypot(np.diff(self.x), np.diff(self.y))
        return np.concatenate([[0.0], np.cumsum(step)])

    @property
    def centerline(self) -> LineString:
        return LineString(np.column_stack([self.x, self.y]))

    def heading(self) -> NDArray[np.float64]:
        """Flow direction per vertex, radians counter-clockwise from +x (east)."""
        return np.arctan2(np.gradient(self.y), np.gradient(self.x))

    def frame_at(self, chainage_m: float) -> tuple[float, float, float, float]:
        """Return x, y, flow heading (rad) and width at a chainage from the downstream end."""
        s = self.s
        along = float(np.clip(self.length_m - chainage_m, 0.0, self.length_m))
        hx = np.interp(along, s, self.x)
        hy = np.interp(along, s, self.y)
        heading = self.heading()
        hc = np.interp(along, s, np.cos(heading))
        hs = np.interp(along, s, np.sin(heading))
        return (
            float(hx),
            float(hy),
            float(np.arctan2(hs, hc)),
            float(np.interp(along, s, self.width_m)),
        )

    def point_at(self, chainage_m: float, offset_m: float) -> tuple[float, float]:
        """Map point at a chainage and a signed offset (+ = left bank looking downstream)."""
        x, y, heading, _ = self.frame_at(chainage_m)
        return x - offset_m * np.sin(heading), y + offset_m * np.cos(heading)

    def water_polygon(self) -> BaseGeometry:
        """The wetted channel: centerline widened by half the width on each side."""
        heading = self.heading()
        nx, ny = -np.sin(heading), np.cos(heading)
        half = self.width_m / 2
        left = np.column_stack([self.x + nx * half, self.y + ny * half])
        right = np.column_stack([self.x - nx * half, self.y - ny * half])
        ring = np.vstack([left, right[::-1]])
        return Polygon(ring).buffer(0)

    def curvature(self) -> NDArray[np.float64]:
        """Signed curvature (1/m) per vertex; positive bends turn left."""
        heading = np.unwrap(self.heading())
        return np.gradient(heading) / STEP_M


def meandering_channel(
    rng: np.random.Generator,
    region: tuple[float, float, float, float],
    mean_width_m: float,
    sinuosity: float,
) -> Channel:
    """Draw a meandering channel that crosses ``region`` (minx, miny, maxx, maxy) west to east.

    ``sinuosity`` in [0, 1] sets how tight the meanders are (peak swing 40°–95°).
    """
    minx, miny, maxx, maxy = region
    span = max(maxx - minx, maxy - miny)
    n = int(6 * span / STEP_M)
    wavelength = rng.uniform(11, 16) * mean_width_m
    swing_peak = np.deg2rad(40 + 55 * sinuosity)
    # Slowly varying swing amplitude and wavelength, so that no two bends are alike.
    slow = _smooth_noise(rng, n, 150)
    slower = _smooth_noise(rng, n, 400)
    swing = swing_peak * (0.7 + 0.3 * slow)
    phase = 2 * np.pi * np.cumsum(1.0 / (wavelength * (1 + 0.3 * slower))) * STEP_M
    base = np.deg2rad(rng.uniform(-20, 20))
    wander = 0.4 * _smooth_noise(rng, n, 61)
    theta = base + swing * np.sin(phase + rng.uniform(0, 2 * np.pi)) + wander
    x = np.cumsum(np.cos(theta)) * STEP_M
    y = np.cumsum(np.sin(theta)) * STEP_M
    # Centre the curve's midpoint in the region, then keep the longest run inside it.
    mid = n // 2
    x += (minx + maxx) / 2 - x[mid]
    y += (miny + maxy) / 2 - y[mid]
    inside = (x > minx) & (x < maxx) & (y > miny) & (y < maxy)
    start, stop = _longest_run(inside)
    x, y = x[start:stop], y[start:stop]
    widths = mean_width_m * (
        1 + 0.18 * np.sin(np.arange(x.size) * STEP_M / 1700 + rng.uniform(0, 6))
    )
    widths *= 1 + 0.06 * np.convolve(rng.normal(size=x.size), np.ones(30) / 30, mode="same")
    return Channel(x=x, y=y, width_m=widths)


def _smooth_noise(rng: np.random.Generator, n: int, window: int) -> NDArray[np.float64]:
    """Random values in [-1, 1] that vary over about ``window`` samples."""
    noise = np.convolve(rng.normal(size=n + 2 * window), np.hanning(window), mode="same")
    noise = noise[window:-window]
    return noise / (np.abs(noise).max() + 1e-9)


def _longest_run(mask: NDArray[np.bool_]) -> tuple[int, int]:
    """Start and stop index of the longest run of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, stops = edges[::2], edges[1::2]
    longest = int(np.argmax(stops - starts))
    return int(starts[longest]), int(stops[longest])


def imperfect_centerline(
    channel: Channel, rng: np.random.Generator, max_offset_m: float = 40.0
) -> LineString:
    """A centerline as imperfect as real hydrography: smoothed, and tens of metres off in places."""
    kernel = np.hanning(31)
    kernel /= kernel.sum()
    pad = 15
    xs = np.convolve(np.pad(channel.x, pad, mode="edge"), kernel, mode="same")[pad:-pad]
    ys = np.convolve(np.pad(channel.y, pad, mode="edge"), kernel, mode="same")[pad:-pad]
    drift = np.convolve(rng.normal(size=xs.size), np.hanning(151), mode="same")
    drift = max_offset_m * drift / (np.abs(drift).max() + 1e-9)
    heading = channel.heading()
    xs = xs - drift * np.sin(heading)
    ys = ys + drift * np.cos(heading)
    return LineString(np.column_stack([xs, ys])[::3])


def region_box(region: tuple[float, float, float, float]) -> Polygon:
    return box(*region)
