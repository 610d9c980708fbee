"""`dredge synth` and `dredge demo` on the command line: bad arguments are one line, a world
stopped half way or of another format is drawn again, and what is refused before a world is
drawn (scenes too large for memory, years after today, a demo on a training world)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.errors import DredgeError
from tests.synth_fixtures import ONE_RIVER, _digest
from training.synth.catalogue import RIVER_CATALOGUE
from training.synth.world import (
    WORLD_FORMAT,
    WorldConfig,
    build_world,
    config_json,
    is_same_world,
    training_seed_note,
    write_world,
)

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rivers", "Amazonas"], "unknown river 'Amazonas'"),
        (["--years", "2025-2023"], "reversed"),
        (["--years", "last year"], "not a year"),
        (["--size", "huge"], "unknown size"),
        # a blank list (a shell variable that was empty but for a space) was a traceback,
        # "ValueError: No objects to concatenate", after folders had been made
        (["--rivers", " "], "--rivers: empty — give river names"),
        (["--rivers", ""], "--rivers: empty — give river names"),  # it drew all rivers
        (["--rivers", ","], "names no river"),
    ],
)
def test_cli_bad_arguments_give_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "w"), *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("error:")
    assert "Traceback" not in result.output


def test_a_river_named_twice_is_drawn_once() -> None:
    # `--rivers Nanay,NAN` drew the Nanay twice: its scenes written twice over the same files
    # (by two processes at once), every truth row and every counts.csv row doubled
    config = WorldConfig.from_cli(rivers="Nanay, nan,Itaya,NANAY", years="2024")
    assert config.rivers == ("Nanay", "Itaya")
    names = [scene.file_name for _, scene in build_world(config).scenes()]
    assert len(names) == len(set(names)) == 2 * 3


def test_cli_list_rivers_needs_no_out() -> None:
    # As the README shows it: `dredge synth --list-rivers` (it stopped: "Missing option '--out'").
    result = runner.invoke(app, ["synth", "--list-rivers"])
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == [spec.name for spec in RIVER_CATALOGUE.values()]


def test_cli_unwritable_and_non_empty_out(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["synth", "--out", str(blocker / "world")])
    assert result.exit_code == 2 and "cannot write here" in result.output
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    result = runner.invoke(app, ["synth", "--out", str(mine)])
    assert result.exit_code == 2 and "folder is not empty — choose another --out" in result.output
    (mine / "world.json").write_text("{")  # no world synth finished: said as of any folder
    result = runner.invoke(app, ["synth", "--out", str(mine)])
    assert result.exit_code == 2 and "folder is not empty — choose another --out" in result.output
    (mine / "world.json").unlink()
    result = runner.invoke(app, ["synth", "--out", str(mine), "--overwrite"])
    assert (
        result.exit_code == 2 and "only replaces a folder made by `dredge synth`" in result.output
    )
    assert (mine / "notes.txt").read_text() == "precious"


def test_cli_synth_small_world(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = runner.invoke(
        app, ["synth", "--out", str(out), "--seed", "5", "--rivers", "aguaytia", "--years", "2024"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 3 scenes of 1 river (2024) to" in result.output
    again = runner.invoke(app, ["synth", "--out", str(out), "--seed", "5", "--rivers", "Itaya"])
    # it said "folder is not empty", as of any folder, not that it holds a world of synth's
    drawn = datetime.fromtimestamp((out / "world.json").stat().st_mtime).date().isoformat()
    assert again.exit_code == 2 and again.output.strip() == (
        f"error: {out}: holds a synthetic world (seed 5, small, Aguaytía, 2024, drawn "
        f"{drawn}) — choose another --out, or pass --overwrite to replace it"
    )
    replaced = runner.invoke(
        app,
        [
            "synth",
            "--out",
            str(out),
            "--seed",
            "5",
            "--rivers",
            "Itaya",
            "--years",
            "2024",
            "--overwrite",
        ],
    )
    assert replaced.exit_code == 0
    assert pd.read_csv(out / "truth" / "scenes.csv")["river"].unique().tolist() == ["Itaya"]


def test_a_world_stopped_half_way_is_drawn_again_by_the_same_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or a kill, or a full disk) while a world was drawn left its scenes without
    world.json: the same command, `dredge synth` or `dredge demo`, was refused ("folder is not
    empty"), and with --overwrite too ("only replaces a folder made by `dredge synth` (no
    world.json)"): only deleting the folder by hand went on."""
    out, whole = tmp_path / "w", tmp_path / "whole"
    args = ["synth", "--seed", "5", "--rivers", "aguaytia", "--years", "2024", "--out"]

    def stopped(*_: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr("training.synth.world._write_manifest", stopped)
        result = runner.invoke(app, [*args, str(out)])
    assert result.exit_code == 130 and not (out / "world.json").exists()
    assert len(list((out / "scenes").iterdir())) > 0
    again = runner.invoke(app, [*args, str(out)])
    assert again.exit_code == 0, again.output
    assert runner.invoke(app, [*args, str(whole)]).exit_code == 0
    assert _digest(out) == _digest(whole)
    assert "holds a synthetic world" in runner.invoke(app, [*args, str(out)]).output  # kept


def test_a_world_of_another_format_is_not_reused(tmp_path: Path) -> None:
    """A world folder that `dredge demo`, the benchmarks and the training recipe would reuse:
    one written by a generator of another format (dredges placed, UDM2 classes drawn otherwise)
    was reused, its config alone compared."""
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "scenes.csv").write_text("scene\n")
    for fmt, reused in ((WORLD_FORMAT, True), (WORLD_FORMAT - 1, False), (None, False)):
        manifest = {"format": fmt, "config": config_json(ONE_RIVER)}
        (tmp_path / "world.json").write_text(json.dumps(manifest))
        assert is_same_world(tmp_path, ONE_RIVER) is reused, fmt


def test_a_world_json_cut_short_is_not_reused_and_the_demo_says_one_line(tmp_path: Path) -> None:
    """A world.json cut short or edited by hand (not JSON, or JSON of another shape) ended
    `dredge demo`, the benchmarks and the training recipe in a JSONDecodeError traceback."""
    world = tmp_path / "world"
    (world / "truth").mkdir(parents=True)
    (world / "truth" / "scenes.csv").write_text("scene\n")
    for text in ('{"format": 3, "conf', "[3]", json.dumps({"format": WORLD_FORMAT})):
        (world / "world.json").write_text(text)
        assert is_same_world(world, ONE_RIVER) is False, text
    (world / "world.json").write_text('{"format": 3, "conf')
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "world.json that cannot be read" in " ".join(result.output.split())


def test_a_scene_larger_than_the_memory_is_refused_before_the_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--gsd 0.5 --size full` (18,000 px scenes, about 60 GB each to draw) on a machine of
    8 GB: it made the folders and drew for minutes, then was killed or ended "out of memory —
    run again with less input at a time" (seen under a 6 GB limit at --gsd 0.5, after 44 s)."""
    import training.synth.world as world_module

    def no_render(*_: object, **__: object) -> None:
        raise AssertionError("the scenes were drawn")

    monkeypatch.setattr(world_module, "physical_memory", lambda: 8 * 2**30, raising=False)
    monkeypatch.setattr(world_module, "_render_all", no_render)
    config = WorldConfig(seed=1, rivers=("Nanay",), years=(2024, 2024), gsd=0.5, size="full")
    with pytest.raises(DredgeError, match=r"--gsd 0.5 --size full: one scene of 18,000 × 18,000"):
        write_world(config, tmp_path / "big")
    assert not (tmp_path / "big").exists()
    with pytest.raises(AssertionError, match="drawn"):  # 3 m scenes fit: drawn as before
        write_world(replace(config, gsd=3.0), tmp_path / "fits")


def test_a_demo_on_a_training_world_is_refused(tmp_path: Path) -> None:
    """`dredge demo --seed 150` ran on a world of the bundled model's training seeds and
    compared its counts with the truth as if the world were new."""
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d"), "--seed", "150"])
    assert result.exit_code == 2
    assert "seed 150 draws one of the training worlds (seeds 101–199)" in result.output
    assert not (tmp_path / "d").exists()
    assert training_seed_note(1) is None and training_seed_note(200) is None


def test_a_demo_with_a_model_not_there_or_a_negative_seed_is_refused_before_the_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge demo --model runs/ft/model.pt` with a typo drew the whole demo world (72 scenes,
    368 MB, 67 s on two cores), then said `weights file not found`; `--seed -3` made the
    folder, then ended in numpy's words, `error: expected non-negative integer`."""
    import training.synth.world

    def no_world(*args: object, **kwargs: object) -> None:
        raise AssertionError("the world was drawn")

    monkeypatch.setattr(training.synth.world, "write_world", no_world)
    out = tmp_path / "d"
    for given, said in (
        (["--model", str(tmp_path / "model.pt")], "model.pt: weights file not found"),
        (["--seed", "-3"], "--seed -3 is negative; give a whole number ≥ 0"),
    ):
        result = runner.invoke(app, ["demo", "--out", str(out), "--no-progress", *given])
        assert result.exit_code == 2, (given, result.output)
        assert said in " ".join(result.output.split()), result.output
        assert not out.exists()


def test_a_demo_out_that_is_a_file_is_named_itself(tmp_path: Path) -> None:
    """`dredge demo --out FILE` said `FILE/world: cannot write here (Not a directory)`, a
    folder the user never named; the file itself is named, before anything is drawn."""
    given = tmp_path / "notes.txt"
    given.write_text("precious")
    for out in (given, given / "demo"):
        result = runner.invoke(app, ["demo", "--out", str(out), "--no-progress"])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert f"{given}: is a file, not a folder — choose another --out" in said, said
        assert "world" not in said
    assert given.read_text() == "precious"


def test_years_whose_scenes_fall_after_today_are_one_line(tmp_path: Path) -> None:
    """dredge refuses scene dates after today (a typo of the year): `dredge synth --years`
    of next year wrote a world whose every scene `dredge run` then refused."""
    year = datetime.now(UTC).year + 1
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "w"), "--years", str(year)])
    assert result.exit_code != 0
    assert "after today" in result.output and "Traceback" not in result.output
    assert not list((tmp_path / "w").glob("scenes/*.tif"))


def test_a_demo_out_whose_world_is_another_names_the_out_given(tmp_path: Path) -> None:
    """`dredge demo --out D` whose D/world holds something else (notes, another world, a file)
    said `D/world: folder is not empty — choose another --out`, naming a folder the user never
    gave as --out; it names D and says that its world/ folder holds something else."""
    out = tmp_path / "D"
    (out / "world").mkdir(parents=True)
    (out / "world" / "notes.txt").write_text("precious")
    other = {"seed": 5, "size": "small", "rivers": ["Aguaytía"], "years": [2024, 2024]}
    cases = [
        ("its world/ folder holds files", []),
        ("its world/ folder holds a synthetic world (seed 5", []),
        ("its world/ folder holds files", ["--overwrite"]),
    ]
    for said_of_it, extra in cases:
        if "seed 5" in said_of_it:
            (out / "world" / "world.json").write_text(json.dumps({"config": other}))
        result = runner.invoke(app, ["demo", "--out", str(out), "--no-progress", *extra])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert f"{out}: {said_of_it}" in said, said
        assert "choose another --out" in said and f"{out}/world" not in said, said
        (out / "world" / "world.json").unlink(missing_ok=True)
    assert (out / "world" / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["world"]  # nothing drawn, nothing run
    shutil.rmtree(out / "world")
    (out / "world").write_text("a file")
    result = runner.invoke(app, ["demo", "--out", str(out), "--no-progress"])
    assert result.exit_code == 2 and f"{out}: its world is a file" in result.output, result.output


def test_a_demo_out_whose_world_json_cannot_be_read_says_so(tmp_path: Path) -> None:
    """`dredge demo --out D` whose D/world holds a world.json cut short or edited by hand (no
    config) said its folder holds files that are not a synthetic world "(no world.json)",
    though the file is there; it says the world.json cannot be read, with or without
    --overwrite, and leaves the folder as it was."""
    out = tmp_path / "D"
    (out / "world").mkdir(parents=True)
    for text in ('{"config": {"seed": 1, "riv', json.dumps({"format": WORLD_FORMAT})):
        (out / "world" / "world.json").write_text(text)
        for extra in ([], ["--overwrite"]):
            result = runner.invoke(app, ["demo", "--out", str(out), "--no-progress", *extra])
            said = " ".join(result.output.split())
            assert result.exit_code == 2, said
            assert f"{out}: its world/ folder holds a world.json that cannot be read" in said
            assert "no world.json" not in said and "choose another --out" in said, said
            assert (out / "world" / "world.json").read_text() == text
    assert sorted(p.name for p in out.iterdir()) == ["world"]  # nothing drawn, nothing run


def test_years_after_today_leave_an_existing_world_and_a_new_folder_alone(
    tmp_path: Path,
) -> None:
    """The years were checked after the folder was prepared: `dredge synth --overwrite
    --years <next year>` over a finished world deleted its scenes, truth and quicklooks before
    refusing, and into a new folder it left an empty unfinished world behind."""
    out, new = tmp_path / "w", tmp_path / "new"
    args = ["synth", "--seed", "5", "--rivers", "itaya", "--gsd", "30", "--out"]
    assert runner.invoke(app, [*args, str(out), "--years", "2024"]).exit_code == 0
    before = _digest(out)
    later = str(datetime.now(UTC).year + 1)
    refused = runner.invoke(app, [*args, str(out), "--years", later, "--overwrite"])
    assert refused.exit_code == 2 and "after today" in refused.output
    assert _digest(out) == before
    assert runner.invoke(app, [*args, str(new), "--years", later]).exit_code == 2
    assert not new.exists()
