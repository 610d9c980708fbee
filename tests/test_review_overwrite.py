"""`dredge review … --overwrite` over a review folder: refused in one line while it holds an
analyst's work (labels corrected in YOLO, COCO or both, notes in tiles.csv, corrections made
while the new tiles are cut), and never left half deleted when stopped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.label_fixtures import write_tiny_model
from tests.review_fixtures import write_truth_detections


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def detections(label_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Truth boxes as if detected: scene file names, scores spread over 0.3–0.95."""
    return write_truth_detections(label_world, tmp_path_factory.mktemp("det"))


def test_overwrite_keeps_an_analysts_corrections(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """A re-run of review with --overwrite (for more tiles) deleted the corrected labels in
    its folder without a word. Now it replaces only a folder as review wrote it."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    (out / ".DS_Store").write_bytes(b"\0")  # Finder's, not a correction
    result = CliRunner().invoke(app, [*args[:-1], "4", "--overwrite"])
    assert result.exit_code == 0, result.output  # nothing done in it: replaced
    assert len(list((out / "images" / "train").glob("*.png"))) == 4
    label = sorted((out / "labels" / "train").glob("*.txt"))[0]
    corrected = label.read_text().splitlines()[1:]  # a false box deleted
    label.write_text("".join(f"{line}\n" for line in corrected))
    result = CliRunner().invoke(app, [*args[:-1], "8", "--overwrite"])
    assert result.exit_code == 2
    assert "--overwrite would delete the work done in it" in result.output
    assert f"first: {label.stem}" in result.output
    said = " ".join(result.output.split())
    assert "1 of 4 tiles labelled otherwise" in said and "(s)" not in said and "(es)" not in said
    assert label.read_text().splitlines() == corrected  # kept
    label.unlink()  # a tile judged empty: its label file deleted
    result = CliRunner().invoke(app, [*args[:-1], "8", "--overwrite"])
    assert result.exit_code == 2 and "1 of its files deleted" in result.output
    (out / "labels" / "train" / "notes.xml").write_text("<annotation/>")  # LabelImg's save
    result = CliRunner().invoke(app, [*args[:-1], "8", "--overwrite"])
    assert result.exit_code == 2 and "1 file it did not write" in result.output
    assert (out / "labels" / "train" / "notes.xml").is_file()


def test_overwrite_keeps_corrections_saved_in_both_yolo_and_coco(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """A tile corrected in both formats (CVAT's YOLO and COCO exports unzipped over the
    folder): YOLO and COCO agreed, and `--overwrite` took the folder for one as review wrote
    it and deleted the corrections. A false box deleted, and a box moved, in both."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    coco_path = out / "annotations" / "instances_default.json"
    pristine = {p: p.read_bytes() for p in [coco_path, *(out / "labels" / "train").glob("*.txt")]}
    for change in ("delete", "move"):
        for path, data in pristine.items():
            path.write_bytes(data)
        coco = json.loads(coco_path.read_text())
        first = coco["annotations"][0]
        image = next(i for i in coco["images"] if i["id"] == first["image_id"])
        label = out / "labels" / "train" / f"{Path(image['file_name']).stem}.txt"
        lines = label.read_text().splitlines()
        x, y, w, h = first["bbox"]
        line = next(n for n, text in enumerate(lines) if
                    abs(float(text.split()[1]) * image["width"] - (x + w / 2)) < 0.01)  # fmt: skip
        if change == "delete":
            del lines[line]
            coco["annotations"] = coco["annotations"][1:]
        else:
            first["bbox"] = [x + 1, y, w, h]
            parts = lines[line].split()
            parts[1] = f"{float(parts[1]) + 1 / image['width']:.6f}"
            lines[line] = " ".join(parts)
        label.write_text("".join(f"{text}\n" for text in lines))
        coco_path.write_text(json.dumps(coco))
        result = CliRunner().invoke(app, [*args[:-1], "4", "--overwrite"])
        assert result.exit_code == 2, (change, result.output)
        assert "--overwrite would delete the work done in it" in result.output
        assert label.read_text().splitlines() == lines  # kept


def test_overwrite_keeps_notes_taken_in_tiles_csv(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """tiles.csv lists the tiles with their detection and score: an analyst keeping track of
    the tiles done in a column of it (Excel) lost it to `--overwrite` without a word."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    index = out / "tiles.csv"
    lines = index.read_text().splitlines()
    noted = [f"{lines[0]},checked"] + [f"{line},yes" for line in lines[1:]]
    index.write_text("".join(f"{line}\n" for line in noted))
    result = CliRunner().invoke(app, [*args[:-1], "4", "--overwrite"])
    assert result.exit_code == 2, result.output
    assert "--overwrite would delete the work done in it" in result.output
    assert "checked" in result.output
    assert index.read_text().splitlines() == noted


def test_overwrite_stopped_while_the_old_folder_is_deleted_keeps_a_whole_review(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`dredge review --overwrite` deleted the old folder in place, then renamed the new one
    to it: stopped while deleting (Ctrl-C, a kill), the old folder was half deleted and the new
    one removed with its .partial, both lost. The old folder is now renamed aside first."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count"]  # fmt: skip
    assert CliRunner().invoke(app, [*args, "3"]).exit_code == 0
    real_rmtree = shutil.rmtree

    def stopped_half_way(path: Path, *rest: object, **kwargs: object) -> None:
        if Path(path).name.endswith(".partial"):
            return real_rmtree(path, ignore_errors=True)
        for image in sorted(Path(path).rglob("*.png"))[:2]:
            image.unlink()  # the first files deleted, then Ctrl-C
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(shutil, "rmtree", stopped_half_way)
        result = CliRunner().invoke(app, [*args, "4", "--overwrite"])
    assert result.exit_code == 130, result.output  # as Ctrl-C ends a command
    pngs = list((out / "images" / "train").glob("*.png"))
    assert len(pngs) == 4, pngs  # the new review, whole
    assert len(list((out / "labels" / "train").glob("*.txt"))) == 5  # and classes.txt
    result = CliRunner().invoke(app, [*args, "5", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]  # nothing left aside


def test_overwrite_keeps_corrections_made_while_the_new_tiles_were_cut(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The folder was looked at for an analyst's corrections before the new tiles were cut
    (minutes, for many scenes), and replaced after: a label corrected in the meantime (the old
    review still open in a labelling tool) was deleted without a word. It is looked at again
    just before it is replaced."""
    import training.review as review

    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count"]  # fmt: skip
    assert CliRunner().invoke(app, [*args, "3"]).exit_code == 0
    label = sorted((out / "labels" / "train").glob("*.txt"))[0]
    corrected = label.read_text().splitlines()[1:]  # a false box deleted
    real = review.write_yolo

    def corrected_meanwhile(*given: object, **kwargs: object) -> object:
        label.write_text("".join(f"{line}\n" for line in corrected))
        return real(*given, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "write_yolo", corrected_meanwhile)
    result = CliRunner().invoke(app, [*args, "4", "--overwrite"])
    assert result.exit_code == 2, result.output
    assert "--overwrite would delete the work done in it" in result.output
    assert label.read_text().splitlines() == corrected  # kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]  # no .partial left
