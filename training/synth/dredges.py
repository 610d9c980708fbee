"""Dredges with an identity and a life: they appear, stay for weeks, move along the river,
leave and sometimes come back. Groups of 2–6 moor side by side across the flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from training.synth.channel import Channel

STYLES = ("metal", "tarp", "rust")
GROUP_SIZES = np.array([1, 2, 3, 4, 5, 6])
GROUP_SIZE_P = np.array([0.34, 0.24, 0.17, 0.11, 0.08, 0.06])
MEMBER_SPAN_M = 18.0  # widest hull (12 m) plus the widest gap (6 m)


@dataclass(frozen=True)
class Stay:
    """An interval during which a group stays moored at one spot of the river."""

    start: date
    end: date  # inclusive
    chainage_m: float
    offset_m: float  # offset of the group's first member


@dataclass(frozen=True)
class Dredge:
    """One dredge: fixed looks, a slot in its group and the days it is with the group."""

    dredge_id: str
    group: int
    slot: int
    length_m: float
    width_m: float
    style: str
    plume: float  # 0 = no sediment plume, 1 = strong
    joins: date
    leaves: date
    yaw_deg: float  # deviation of the hull from the flow direction


@dataclass(frozen=True)
class DredgePose:
    """Where a dredge is on a given date, in the river's metric CRS."""

    dredge: Dredge
    x: float
    y: float
    chainage_m: float
    offset_m: float
    heading_rad: float  # hull axis, counter-clockwise from east


@dataclass(frozen=True)
class DredgeGroup:
    index: int
    stays: tuple[Stay, ...]
    members: tuple[Dredge, ...]
    spacing_m: float


def simulate_groups(
    rng: np.random.Generator,
    channel: Channel,
    code: str,
    n_groups: int,
    start: date,
    end: date,
) -> list[DredgeGroup]:
    """Draw ``n_groups`` dredge groups living between ``start`` and ``end``."""
    groups: list[DredgeGroup] = []
    next_id = 1
    days = (end - start).days
    for index in range(n_groups):
        size = int(rng.choice(GROUP_SIZES, p=GROUP_SIZE_P))
        # A group never spans more than the channel: at most 18 m a member, 10 m from each bank.
        size = max(1, min(size, int((float(channel.width_m.min()) - 20) // MEMBER_SPAN_M)))
        stays = _draw_stays(rng, channel, start, days, size)
        first, last = stays[0].start, stays[-1].end
        members = []
        for slot in range(size):
            joins, leaves = first, last
            if slot > 0 and rng.random() < 0.3:
                span = (last - first).days
                if rng.random() < 0.5:
                    joins = first + timedelta(days=int(rng.uniform(0, 0.4) * span))
                else:
                    leaves = last - timedelta(days=int(rng.uniform(0, 0.4) * span))
            members.append(
                Dredge(
                    dredge_id=f"{code}{next_id:04d}",
                    group=index,
                    slot=slot,
                    length_m=float(rng.uniform(12, 30)),
                    width_m=float(rng.uniform(5, 12)),
                    style=str(rng.choice(STYLES, p=[0.45, 0.3, 0.25])),
                    plume=float(rng.uniform(0.4, 1.0)) if rng.random() < 0.65 else 0.0,
                    joins=joins,
                    leaves=leaves,
                    yaw_deg=float(rng.normal(0, 6)),
                )
            )
            next_id += 1
        groups.append(
            DredgeGroup(index, tuple(stays), tuple(members), spacing_m=float(rng.uniform(2, 6)))
        )
    return groups


def _draw_stays(
    rng: np.random.Generator, channel: Channel, start: date, days: int, size: int
) -> list[Stay]:
    """Stays of weeks, moves of 0.2–5 km up- or downstream, maybe a gap and a return."""
    margin = 250.0
    length = channel.length_m
    t = int(rng.uniform(-120, days - 20))
    lifetime = int(rng.uniform(120, 640))
    periods = [(t, t + lifetime)]
    if rng.random() < 0.3:  # leaves, then returns months later
        back = t + lifetime + int(rng.uniform(60, 240))
        periods.append((back, back + int(rng.uniform(30, 200))))
    chainage = float(rng.uniform(margin, length - margin))
    stays: list[Stay] = []
    for period_start, period_end in periods:
        day = period_start
        while day < period_end:
            stay_days = int(rng.uniform(14, 75))
            _, _, _, width = channel.frame_at(chainage)
            group_width = size * MEMBER_SPAN_M
            room = width / 2 - 10
            offset = float(rng.uniform(-room, max(room - group_width, -room)))
            stays.append(
                Stay(
                    start=start + timedelta(days=day),
                    end=start + timedelta(days=min(day + stay_days, period_end) - 1),
                    chainage_m=chainage,
                    offset_m=offset,
                )
            )
            day += stay_days
            move = float(np.exp(rng.uniform(np.log(200), np.log(5000))))
            chainage += move if rng.random() < 0.5 else -move
            chainage = reflect_into(chainage, margin, length - margin)
        chainage = float(rng.uniform(margin, length - margin))
    return stays


def reflect_into(value: float, low: float, high: float) -> float:
    """Fold ``value`` into ``[low, high]`` by reflecting at the ends: a group that moves past
    the end of the reach turns back. (Clipping would stack every such group on the one spot
    at the end, hulls overlapping.)"""
    if high <= low:
        return low
    period = 2 * (high - low)
    folded = (value - low) % period
    return float(low + (folded if folded <= high - low else period - folded))


def poses_on(groups: list[DredgeGroup], channel: Channel, day: date) -> list[DredgePose]:
    """Every dredge on the river on ``day``, with its position and heading."""
    poses: list[DredgePose] = []
    for group in groups:
        stay = next((s for s in group.stays if s.start <= day <= s.end), None)
        if stay is None:
            continue
        offset = stay.offset_m
        for member in group.members:
            if not member.joins <= day <= member.leaves:
                offset += member.width_m + group.spacing_m
                continue
            centre = offset + member.width_m / 2
            x, y = channel.point_at(stay.chainage_m, centre)
            _, _, heading, _ = channel.frame_at(stay.chainage_m)
            poses.append(
                DredgePose(
                    dredge=member,
                    x=x,
                    y=y,
                    chainage_m=stay.chainage_m,
                    offset_m=centre,
                    heading_rad=heading + np.deg2rad(member.yaw_deg),
                )
            )
            offset += member.width_m + group.spacing_m
    return poses
