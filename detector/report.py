"""``report.html``: one self-contained page about a run, readable with no network.

Sections: the run in one paragraph; failed scenes (when any); unique dredges per river and
year as a chart and a table; a map per river with its detections and counted dredges (the
rivers imaged without a detection named under them); a gallery of detection chips (the most
and the least certain, with scores); the inputs, the parameters and the model card. Pictures
are PNG embedded as data URIs; there is no script.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from detector import wording
from detector.counts import (
    PARTIAL_YEAR_DAYS,
    SPARSE_GAP_DAYS,
    partial_years,
    read_river_table,
    sparse_years,
)
from detector.inputspec import InputSpec
from detector.report_figures import Chip, detection_chips, river_map
from detector.rivers import RiverNetwork
from detector.run_manifest import manifest_names
from detector.writing import write_text_atomic

MAX_MAPS = 12
MAX_LISTED = 200  # scenes and failed scenes listed on the page; the rest are in the files
COUNT_COLUMNS = (
    "river",
    "year",
    "unique_dredges",
    "unique_low",
    "unique_high",
    "new_dredges",
    "detections",
    "scenes",
    "seen_km",
    "seen_share",
)
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1d2730;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #dfe6ec;padding-bottom:.2rem;margin-top:2.2rem}
.muted{color:#5b6b79}.bad{background:#fde8e8;border-left:4px solid #c0392b;padding:.6rem 1rem}
table{border-collapse:collapse;font-size:.92rem;margin:.6rem 0}
th,td{border:1px solid #d5dde4;padding:.25rem .6rem;text-align:right}
th{background:#eef3f7}td.l,th.l{text-align:left}
td,li{overflow-wrap:anywhere}
.maps{display:grid;grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:1rem}
.maps img,.chart{max-width:100%;border:1px solid #dfe6ec}
.chips{display:grid;grid-template-columns:repeat(auto-fill,minmax(12.5rem,1fr));gap:.8rem}
figure{margin:0;font-size:.8rem;overflow-wrap:anywhere}
figure img{width:100%;image-rendering:pixelated}
pre{background:#f5f7f9;padding:.8rem;overflow:auto;font-size:.8rem;max-height:30rem}
"""


def write_report(
    out: str | Path,
    manifest: dict[str, Any],
    *,
    rivers: RiverNetwork,
    names: Mapping[str, str] | None = None,
) -> Path:
    """Write ``out/report.html`` from the run's files in ``out`` and its manifest. ``names``:
    scene path → its name in the tables (default: those of ``out/manifest.csv``). ``out`` may
    be a ``str`` or a :class:`~pathlib.Path`."""
    out = Path(out)  # a str from a notebook: "unsupported operand type(s) for /"
    detections = gpd.read_parquet(out / "tracks.detections.parquet")
    tracks = gpd.read_parquet(out / "tracks.parquet")
    counts = read_river_table(out / "counts.csv")
    seen = out / "tracks.observations.csv"  # None where missing: which rivers were looked
    # at is not known. Empty: none was (every scene read was off the rivers); the two were
    # one empty frame, and the maps drew every river for a run that observed none
    observations = read_river_table(seen) if seen.is_file() else None
    failures = manifest.get("failures", [])
    card = manifest.get("model") or {}
    chips: list[Chip] = []
    problems: list[str] = []
    failed = {f["scene"] for f in failures}  # once: per scene, it made the report
    # quadratic (20,465 scenes, 20,000 of them failed: 95 s)
    ok = [s for s in manifest.get("scenes", []) if s not in failed]
    if len(detections):
        spec = (
            InputSpec(**{**card["input"], "bands": tuple(card["input"]["bands"])})
            if card.get("input")
            else CHIP_FALLBACK
        )
        bands = manifest.get("parameters", {}).get("scene_bands")
        chips, problems = detection_chips(
            detections,
            ok,
            spec,
            scene_bands=bands,
            names=manifest_names(out) if names is None else names,
        )
        if not card.get("input"):
            problems.append(no_card_chips(manifest.get("model")))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        "<title>Dredge count report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Dredge count report</h1>",
        _summary(manifest, detections, tracks, counts, observations, _classes_found(out)),
        _failures(failures),
        _notes(list(manifest.get("notes", []))),
        "<h2 id='counts'>Unique dredges per river and year</h2>",
        _chart(out / "counts.png"),
        _counts_table(counts),
        "<h2 id='maps'>Maps</h2>",
        _maps(rivers, detections, tracks, observations)
        if ok or "scenes" not in manifest
        else NOTHING_MAPPED,
        "<h2 id='chips'>Detections, most and least certain</h2>",
        _gallery(chips, problems, by_card=bool(card.get("input"))),
        "<h2 id='inputs'>Inputs, parameters and model</h2>",
        _inputs(manifest),
        "</body></html>",
    ]
    page = "\n".join(parts)
    return write_text_atomic(out / "report.html", page)


CHIP_FALLBACK = InputSpec(("red", "green", "blue"), 3.0, scale="display")
"""The chips of a run whose run.json records no model input (``"model": null``, or a detector
given to :func:`detector.run.run_pipeline` from Python whose card has no bands): its gallery
said "No detections to show." of a run with detections."""

NO_CARD_CHIPS = (
    "so the chips are cut in red, green, blue at 3 m, not in the model's own bands and resolution"
)


def no_card_chips(model: Any) -> str:
    """Why the chips are cut at :data:`detector.inputspec.CHIP_FALLBACK`, of run.json's ``model``
    (which has no ``input``): no model at all (``null``: a detector given from Python without a
    card), or a card without an input (a detector given from Python whose card has no bands). It
    said the card had no bands also of ``"model": null``, a run that recorded no card."""
    if not model:
        why = (
            'run.json records no model ("model": null: a detector given from Python without a card)'
        )
    else:
        why = (
            "run.json's model records no input (a detector given from Python whose card has no "
            "bands)"
        )
    return f"{why}, {NO_CARD_CHIPS}"


NOTHING_MAPPED = (
    "<p class='muted'>No scene was read (every one failed): no river was looked at, so there "
    "is nothing to map.</p>"
)
"""The maps of a run whose every scene failed: they drew every river, as if looked at."""

NOTHING_OBSERVED = (
    "<p class='muted'>No river was observed: every scene read was off the rivers (or clouded "
    "or without data over them), so there is nothing to map.</p>"
)
"""The maps of a run whose scenes observed no river (an empty tracks.observations.csv): they
drew every river, as if its coverage were not known."""


LINK_QUERY = re.compile(r"(https?://[^\s?#'\"<>]+)\?[^\s'\"<>]*[^\s'\"<>:;,.)\]]", re.IGNORECASE)
"""A link's query, up to the punctuation after it: a signed link's token or signature."""

LINK_USER = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/?#@'\"<>]+@", re.IGNORECASE)
"""A link's user name and password (``https://user:password@host/…``, Planet's API key as
``https://KEY:@api.planet.com/…``), which GDAL's curl sends to the server."""


# Characters HTML forbids in a page (parse errors: controls but whitespace, C1 controls,
# noncharacters): a river name pasted from a PDF or Excel (``Santiago\x08``), an escape code
# in a tool's error message. The page with one was not valid HTML.
_NOT_HTML = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def _esc(value: object) -> str:
    """``value`` as HTML text, its links without their query (``…/download?…``) and their user
    name and password (``https://…@host/…``): the page is made to be shared, and a signed link
    printed whole (Planet's ``?token=…``, an S3 presigned ``X-Amz-Credential=…&X-Amz-Signature=…``)
    fetched the scene for anyone who read it until it expired; a password in a link, for good.
    run.json and manifest.csv keep the links whole, for a rerun. Characters HTML forbids
    (:data:`_NOT_HTML`) are left out."""
    text = LINK_USER.sub(r"\1…@", LINK_QUERY.sub(r"\1?…", str(value)))
    return html.escape(_NOT_HTML.sub("", text))


def _img(png: bytes, alt: str, css: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    klass = f" class='{css}'" if css else ""
    return f"<img{klass} alt='{_esc(alt)}' src='data:image/png;base64,{data}'>"


def _summary(
    manifest: dict[str, Any],
    detections: pd.DataFrame,
    tracks: pd.DataFrame,
    counts: pd.DataFrame,
    observations: pd.DataFrame | None,
    found: pd.Series | None = None,
) -> str:
    scenes = len(manifest.get("scenes", []))
    failed = len(manifest.get("failures", []))
    counted = int(tracks["counted"].sum()) if len(tracks) else 0
    static = int(tracks["static"].sum())
    left_out = wording.agree(
        static, "was left out as a fixed object", "were left out as fixed objects"
    )
    fixed = (
        f" {wording.count_of(static, 'spot')} detected for months without moving {left_out} "
        "(<code>static</code> in tracks.parquet)."
        if static
        else ""
    )
    if observations is None:  # not known: no river-year said sparse or partial
        observations = pd.DataFrame(columns=["river", "date"])
    sparse, with_dredges = sparse_years(counts, observations)
    low = (
        f" <b>{len(sparse)} of {with_dredges}</b> "
        f"{wording.agree(with_dredges, 'river-year', 'river-years')} with dredge detections had "
        f"scenes more than {SPARSE_GAP_DAYS:g} days apart on average: groups that leave and "
        "groups that arrive between two looks pass for moves, so "
        f"{wording.agree(len(sparse), 'its', 'their')} counts are likely low (README: "
        "<i>How often must a river be imaged?</i>)."
        if len(sparse)
        else ""
    )
    short = partial_years(counts, observations)
    partial = (
        f" <b>{len(short)}</b> {wording.agree(len(short), 'river-year', 'river-years')} had "
        "scenes over less than "
        f"{PARTIAL_YEAR_DAYS / 30.4:.0f} months ("
        + ", ".join(f"{_esc(r.river)} {r.year}" for r in short.head(6).itertuples())
        + (" …" if len(short) > 6 else "")
        + "): a dredge there only in the other months is not counted; compare "
        + wording.agree(len(short), "it", "them")
        + " with years imaged throughout with care."
        if len(short)
        else ""
    )
    twice = int((detections["link"] == "duplicate").sum()) if "link" in detections else 0
    again = f" ({twice:,} of them a dredge seen again in a scene of the same pass)" if twice else ""
    model = (manifest.get("model") or {}).get("name", "?")
    first, last = (counts["year"].min(), counts["year"].max()) if len(counts) else (None, None)
    years = "no year" if first is None else f"{first}" if first == last else f"{first}–{last}"
    return (
        f"<p class='muted'>Made {_esc(manifest.get('created', ''))} by dredge "
        f"{_esc(manifest.get('versions', {}).get('dredge', ''))}; model {_esc(model)}.</p>"
        f"<p><b>{scenes - failed}</b> of {wording.count_of(scenes, 'scene')} used, "
        f"{_detections_line(detections, found, again)}, <b>{counted:,}</b> "
        f"{'dredge' if counted == 1 else 'dredges'} counted on "
        f"{_rivers_counted(tracks, counts)}, {years}. "
        "A dredge seen on many dates counts once; <i>low–high</i> is the range where tracking "
        f"was ambiguous.{fixed}{low}{partial} {_check(detections)}</p>"
    )


def _check(detections: pd.DataFrame) -> str:
    """What to check before publishing: with no dredge detection, there is none below to
    check (it said "Check the least certain detections below" of an empty gallery)."""
    if len(detections):
        return "Check the least certain detections below before publishing."
    return "No dredge was detected, so there is no detection below to check."


def _rivers_counted(tracks: pd.DataFrame, counts: pd.DataFrame) -> str:
    """``2 of the 3 rivers imaged``: the rivers with a dredge counted, of those in the counts.
    The summary gave the rivers in the counts (those the scenes saw) as the rivers the dredges
    were counted on: the demo's "15 dredges counted on 3 river(s)", where Itaya had none."""
    imaged = counts["river"].astype(str).nunique() if len(counts) else 0
    if "river" in tracks and "counted" in tracks:
        on = tracks.loc[tracks["counted"].astype(bool), "river"].astype(str).nunique()
    elif "unique_dredges" in counts:
        on = counts.loc[counts["unique_dredges"] > 0, "river"].astype(str).nunique()
    else:
        on = imaged
    if on >= imaged:
        return wording.count_of(on, "river")
    return f"{on} of the {wording.count_of(imaged, 'river')} imaged"


def _classes_found(out: Path) -> pd.Series:
    """Detections per class in ``out/detections.parquet`` (empty when it is not there)."""
    path = out / "detections.parquet"
    if not path.is_file():
        return pd.Series(dtype="int64")
    classes = pd.read_parquet(path, columns=["class_name"])["class_name"]
    return classes.astype(str).value_counts()


def _detections_line(detections: pd.DataFrame, found: pd.Series | None, again: str) -> str:
    """The detections the run found, by class, and those tracked: the summary gave the dredge
    detections alone as "89 detections" where the run found 393 (304 of them boats)."""
    tracked = (
        detections["class_name"].astype(str).value_counts()
        if len(detections) and "class_name" in detections
        else None
    )
    if found is None:
        found = pd.Series(dtype="int64")
    others = found.sub(tracked, fill_value=0) if tracked is not None else found
    others = others[others > 0]
    line = f"<b>{len(detections):,}</b> dredge detections tracked{again}"
    if others.empty:
        return line
    kinds = ", ".join(f"{int(n):,} {_esc(name)}" for name, n in others.items())
    return f"<b>{int(found.sum()):,}</b> detections ({kinds}: not tracked), {line}"


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{_esc(note)}</li>" for note in notes)
    return (
        f"<h2 id='notes'>Notes ({len(notes)})</h2><p class='muted'>What the run noticed about "
        f"its inputs and counts, as printed while it ran (also in run.json):</p><ul>{items}</ul>"
    )


def _failures(failures: list[dict[str, str]]) -> str:
    if not failures:
        return ""
    rows = "".join(
        f"<tr><td class='l'>{_esc(f['scene'])}</td><td class='l'>{_esc(f['error'])}</td></tr>"
        for f in failures[:MAX_LISTED]
    )
    more = (
        f"<p>… and {len(failures) - MAX_LISTED:,} more: every failed scene and its error is "
        "in failures.csv and run.json.</p>"
        if len(failures) > MAX_LISTED
        else ""
    )
    return (
        f"<div class='bad' id='failures'><b>{wording.count_of(len(failures), 'scene')} failed</b> "
        f"and {wording.agree(len(failures), 'is', 'are')} not in the counts (also in "
        "failures.csv):<table><tr><th class='l'>scene</th>"
        f"<th class='l'>error</th></tr>{rows}</table>{more}</div>"
    )


def _chart(path: Path) -> str:
    if not path.is_file():
        return "<p class='muted'>No chart.</p>"
    return _img(path.read_bytes(), "unique dredges per river and year", "chart")


def _counts_table(counts: pd.DataFrame) -> str:
    columns = [c for c in COUNT_COLUMNS if c in counts.columns]
    head = "".join(f"<th{' class=l' if c == 'river' else ''}>{_esc(c)}</th>" for c in columns)
    body = []
    for row in counts[columns].itertuples(index=False):
        cells = "".join(
            f"<td{' class=l' if c == 'river' else ''}>{_esc('' if pd.isna(v) else v)}</td>"
            for c, v in zip(columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table id='counts-table'><tr>{head}</tr>{''.join(body)}</table>"


def _maps(
    rivers: RiverNetwork,
    detections: gpd.GeoDataFrame,
    tracks: gpd.GeoDataFrame,
    observations: pd.DataFrame | None = None,
) -> str:
    names = _mapped_rivers(rivers, detections, tracks, observations)
    if not names:
        return NOTHING_OBSERVED
    figures = [
        _img(river_map(rivers, name, detections, tracks), f"map of {name}")
        for name in names[:MAX_MAPS]
    ]
    left = names[MAX_MAPS:]
    found = "river" in detections and bool(detections["river"].notna().any())
    known = observations is not None and "river" in observations
    which = (  # with no detection, no river has fewer dredges than another (it said so)
        _fewer(names[:MAX_MAPS], left, _counted(tracks))
        if found
        else f"{' imaged' if known else ''}, none with a detection,"
    )
    note = (
        f"<p class='muted'>{wording.count_of(len(left), 'more river')}{which} not drawn: "
        f"{_esc(', '.join(left[:20]))}{' …' if len(left) > 20 else ''}.</p>"
        if left
        else ""
    )
    return (
        f"<div class='maps'>{''.join(figures)}</div>{note}{_unmapped(rivers, names, observations)}"
    )


def _fewer(drawn: list[str], left: list[str], counted: pd.Series) -> str:
    """How the rivers ``left`` undrawn compare with those ``drawn``: "with fewer dredges
    counted" where each has fewer than every river drawn; else (a tie on dredges counted,
    broken by detections, then by name) "with no more dredges counted than those drawn". It
    said "fewer" of rivers with as many dredges as a river drawn (12 rivers of 0 dredges
    drawn, a 13th of 0 left: "1 more river with fewer dredges counted")."""
    least = min(int(counted.get(n, 0)) for n in drawn)
    if all(int(counted.get(n, 0)) < least for n in left):
        return " with fewer dredges counted"
    return " with no more dredges counted than those drawn,"


def _counted(tracks: gpd.GeoDataFrame) -> pd.Series:
    """Dredges counted per river (the counted tracks)."""
    return tracks.loc[tracks["counted"].astype(bool), "river"].astype(str).value_counts()


def _unmapped(rivers: RiverNetwork, mapped: list[str], observations: pd.DataFrame | None) -> str:
    """A note naming the rivers the scenes looked at that have no map (no detection on them):
    of the demo's three rivers imaged, a run with detections on two drew two maps, and nothing
    said that the third was imaged and had none."""
    if observations is None or "river" not in observations:
        return ""
    looked = set(observations["river"].dropna().astype(str))
    looked -= set(mapped)
    quiet = [n for n in rivers.names if n in looked]
    if not quiet:
        return ""
    return (
        f"<p class='muted'>{wording.count_of(len(quiet), 'river')} imaged with no detection "
        f"{wording.agree(len(quiet), 'is', 'are')} not drawn: "
        f"{_esc(', '.join(quiet[:20]))}{' …' if len(quiet) > 20 else ''}.</p>"
    )


def _mapped_rivers(
    rivers: RiverNetwork,
    detections: gpd.GeoDataFrame,
    tracks: gpd.GeoDataFrame,
    observations: pd.DataFrame | None = None,
) -> list[str]:
    """The rivers with detections, most dredges counted first (then most detections, a dredge
    seen twice in one pass once as in counts.csv, then by name); when none has one, the rivers
    the scenes looked at (every river when that is not known; none when the scenes looked at
    none). By name alone, the first :data:`MAX_MAPS` in the alphabet were drawn, and a river
    holding most of the dredges could be left out; a run without a detection drew the first
    rivers of the file, whether a scene covered them or not."""
    found = detections["river"].dropna().astype(str) if "river" in detections else pd.Series()
    if found.empty:
        if observations is None or "river" not in observations:
            return rivers.names
        looked = set(observations["river"].dropna().astype(str))
        if not looked:  # the run's scenes observed no river: none to draw
            return []
        return [n for n in rivers.names if n in looked] or rivers.names
    counted = _counted(tracks)
    once = detections[detections["link"] != "duplicate"] if "link" in detections else detections
    seen = once["river"].dropna().astype(str).value_counts()  # as counts.csv counts them
    with_any = set(found)
    names = [n for n in rivers.names if n in with_any]
    return sorted(names, key=lambda n: (-int(counted.get(n, 0)), -int(seen.get(n, 0)), n))


def _gallery(chips: list[Chip], problems: list[str], *, by_card: bool = True) -> str:
    """The chips; ``by_card``: cut at the model card's resolution (else at
    :data:`~detector.inputspec.CHIP_FALLBACK`'s)."""
    if not chips:
        text = "No detections to show." if not problems else "; ".join(problems)
        return f"<p class='muted'>{_esc(text)}</p>"
    figures = "".join(
        f"<figure>{_img(c.png, c.detection_id)}<figcaption><b>{c.score:.2f}</b> "
        f"{_esc(c.class_name)} · {_esc(c.river)} · {_esc(c.acquired)}<br>"
        f"<span class='muted'>{_esc(c.detection_id)}"
        f"{'' if _missing(c.track_id) else f' · track {_esc(c.track_id)}'}</span>"
        "</figcaption></figure>"
        for c in chips
    )
    note = f"<p class='muted'>{_esc('; '.join(problems))}</p>" if problems else ""
    scale = "the model's resolution" if by_card else f"{CHIP_FALLBACK.gsd_m:g} m"
    return (
        f"<p class='muted'>Yellow: the detected box. Chips are at {scale}, enlarged.</p>"
        f"<div class='chips'>{figures}</div>{note}"
    )


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _inputs(manifest: dict[str, Any]) -> str:
    shown = {k: v for k, v in manifest.items() if k not in ("model", "scenes")}
    failures = manifest.get("failures", [])
    if len(failures) > MAX_LISTED:  # listed above, and whole in run.json and failures.csv
        shown["failures"] = f"{len(failures):,} failed scenes: failures.csv"
    scenes = manifest.get("scenes", [])
    listing = "\n".join(scenes[:MAX_LISTED])
    if len(scenes) > MAX_LISTED:
        listing += f"\n… {len(scenes) - MAX_LISTED} more"
    return (
        f"<h3>Run</h3><pre>{_esc(json.dumps(shown, indent=2, ensure_ascii=False, default=str))}"
        f"</pre><h3>Scenes ({len(scenes)})</h3><pre>{_esc(listing)}</pre>"
        "<h3>Model card</h3><pre>"
        f"{_esc(json.dumps(manifest.get('model'), indent=2, ensure_ascii=False, default=str))}"
        "</pre>"
    )
