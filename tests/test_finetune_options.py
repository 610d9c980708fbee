"""What `dredge train LABELS` does with its --out folder (--overwrite, a second training into
it), its starting model (--from) and the GPU asked for (--device): refused in one line before
any work, or taken as given. Ultralytics' training is stood in for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector.card import file_sha256, load_card
from detector.errors import DredgeError
from tests import finetune_fixtures
from tests.finetune_fixtures import _no_training, _train, no_work
from tests.label_fixtures import write_yolo_set
from training.labels.table import LabelledTile

# The module fixture this module builds for itself (see tests/finetune_fixtures.py).
base = finetune_fixtures.base


def _previous_run(out: Path) -> None:
    """A finished `dredge train` run folder (what --overwrite may replace)."""
    out.mkdir(parents=True)
    manifest = {"format": 1, "complete": True, "outputs": {"weights": "model.pt"}}
    (out / "run.json").write_text(json.dumps(manifest))
    (out / "model.pt").write_bytes(b"previous weights")


def test_overwrite_never_deletes_the_labels_or_the_model_it_trains_from(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train runs/ft/review --out runs/ft --overwrite` deleted the 37 label files of the
    16 review tiles it had just trained on, and `--from runs/ft/model.pt --out runs/ft
    --overwrite` the model it started from (the one the card's warning says to keep), without
    a word."""
    import shutil

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    out = tmp_path / "ft"
    _previous_run(out)
    labels = write_yolo_set(labelled_tiles, out / "review")
    before = sorted(p.relative_to(labels) for p in labels.rglob("*"))
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out),
                           "--overwrite"])  # fmt: skip
    assert code == 2, output
    assert f"--overwrite would delete {labels} (labels given to this run)" in output
    assert sorted(p.relative_to(labels) for p in labels.rglob("*")) == before
    starting = out / "start.pt"
    shutil.copy(base, starting)
    shutil.copy(base.with_name("tiny.card.json"), out / "start.card.json")
    elsewhere = write_yolo_set(labelled_tiles, tmp_path / "y")
    code, output = _train([str(elsewhere), "--from", str(starting), "--imgsz", "64", "--out",
                           str(out), "--overwrite"])  # fmt: skip
    assert code == 2 and "(the starting model, --from)" in output, output
    assert starting.is_file()
    # labels elsewhere, from the bundled-like base: the previous run is replaced
    code, output = _train([str(elsewhere), "--from", str(base), "--imgsz", "64", "--out", str(out),
                           "--overwrite"])  # fmt: skip
    assert code == 0, output
    assert not (out / "review").exists() and (out / "model.pt").read_bytes() == base.read_bytes()


def test_overwrite_never_replaces_the_folder_of_a_detection_run(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge run` writes a run.json too: `dredge train … --out runs/2024 --overwrite` into
    a detection run replaced it (on the demo run, its 89 files: detections, tracks, counts,
    the saved scenes) with the training run."""
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    out = tmp_path / "runs" / "2024"
    out.mkdir(parents=True)
    record = {"format": 1, "command": "dredge run scenes --rivers r.geojson --out runs/2024",
              "scenes": ["scenes/a.tif"], "parameters": {"conf": 0.25}}  # fmt: skip
    (out / "run.json").write_text(json.dumps(record))
    (out / "detections.parquet").write_bytes(b"the run's detections")
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out),
                           "--overwrite"])  # fmt: skip
    assert code == 2, output
    assert "its run.json is another command's (a `dredge run`" in output
    assert (out / "detections.parquet").read_bytes() == b"the run's detections"


def test_from_takes_a_card_and_refuses_an_onnx_without_its_pt_in_one_line(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--from m.card.json` said "has no model card (expected m.card.card.json beside it)", as
    `--model` no longer does; `--from m.onnx` shared without its .pt read every label set and
    cut the chips, then ended in ultralytics' FileNotFoundError traceback."""
    import shutil

    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy(base.with_name("tiny.card.json"), shared / "tiny.card.json")
    (shared / "tiny.onnx").write_bytes(b"an ONNX export")  # its card has no onnx_sha256
    code, output = _train([str(labels), "--from", str(shared / "tiny.onnx"), "--out",
                           str(tmp_path / "a")])  # fmt: skip
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "tiny.onnx: is an ONNX export, which cannot be trained" in lines[0]
    assert "give the .pt weights (with their card) to --from" in lines[0]
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    out = tmp_path / "b"
    code, output = _train([str(labels), "--from", str(base.with_name("tiny.card.json")), "--imgsz",
                           "64", "--out", str(out)])  # fmt: skip
    assert code == 0, output
    assert load_card(out / "model.pt").training["from"]["sha256"] == file_sha256(base)


def test_a_run_trained_on_cuda_n_is_scored_on_that_gpu(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--device cuda:1` trained on GPU 1, then scored the held-out tiles on `cuda`, GPU 0
    (which another job may hold); before that, `cuda:0` ended in "unknown device 'cuda:0'"
    after the whole training. The scoring now gets the device as given, which the detector
    takes."""
    import torch

    import training.finetune as finetune
    from detector.model import load_model

    devices: list[str] = []

    def on_cpu(weights: Path, *, backend: str, device: str) -> object:
        devices.append(device)
        with pytest.raises(DredgeError, match=f"--device {device}: torch sees no CUDA GPU"):
            with monkeypatch.context() as no_gpu:  # the detector takes the device string
                no_gpu.setattr(torch.cuda, "is_available", lambda: False)
                load_model(weights, backend=backend, device=device)
        return load_model(weights, backend=backend, device="cpu")  # there is no GPU here

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(finetune, "_train", _no_training(base))
    monkeypatch.setattr(finetune, "load_model", on_cpu)
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--device",
                           "cuda:1", "--out", str(out)])  # fmt: skip
    assert code == 0, output
    assert devices == ["cuda:1", "cuda:1"]
    assert load_card(out / "model.pt").training["device"] == "cuda:1"


@pytest.mark.parametrize("device", ["cuda:1", "cuda:0,1", "cuda:x"])
def test_a_gpu_number_the_machine_lacks_is_one_line_before_any_work(
    device: str,
    labelled_tiles: list[LabelledTile],
    base: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--device cuda:1` on a machine with one GPU (or `cuda:0,1`, `cuda:x`; the check took
    any "cuda:…") read the labels and cut the chips, then ended in ultralytics' ValueError
    traceback "Invalid CUDA 'device=1' requested" (exit 1). Tested with torch told that one
    GPU is there, as the test machine has none."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr("training.finetune.split_tiles", no_work)  # fail fast, never train
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--device",
                           device, "--out", str(out)])  # fmt: skip
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --device") and device in lines[0]
    if device == "cuda:1":
        assert lines[0].endswith("torch sees 1 CUDA GPU here — use --device cuda, or cuda:0")
    else:
        assert "--device must be cpu or cuda (or cuda:N, one GPU)" in lines[0]
    assert not out.exists()


def test_a_second_training_into_the_same_out_is_refused_while_the_first_works(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same command typed again in another terminal deleted the first training's
    `.RUN.partial` folder: the first ended in a FileNotFoundError traceback after its training,
    its work lost. A partial folder left by a killed training is still cleared."""
    import os
    import socket

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    partial = tmp_path / ".run.partial"
    (partial / "dataset").mkdir(parents=True)
    lock = partial / ".dredge-run.lock"
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}
    lock.write_text(json.dumps(holder))  # a training at work: this very process
    args = [str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out)]
    code, output = _train(args)
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "another dredge run is working in this folder" in lines[0]
    assert (partial / "dataset").is_dir() and lock.is_file() and not out.exists()
    lock.unlink()  # the first training killed (SIGTERM leaves its folder): a rerun works
    code, output = _train(args)
    assert code == 0, output
    assert not partial.exists() and not (out / ".dredge-run.lock").exists()


def test_a_training_begun_while_labels_are_read_is_not_deleted(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of 5b4375b: the lock was looked at before the labels were read, and a folder
    found after them was deleted without a second look: a training begun into the same --out
    in those seconds lost its folder, lock and all."""
    import os
    import socket

    import training.finetune as finetune

    monkeypatch.setattr("training.finetune._train", _no_training(base))
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out, partial = tmp_path / "run", tmp_path / ".run.partial"
    reading = finetune.read_and_report

    def read_while_another_begins(*args: object, **kwargs: object) -> object:
        (partial / "dataset").mkdir(parents=True)  # the other training, this very process
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": "now"}
        (partial / ".dredge-run.lock").write_text(json.dumps(holder))
        return reading(*args, **kwargs)

    monkeypatch.setattr("training.finetune.read_and_report", read_while_another_begins)
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out)])
    assert code == 2 and "another dredge run is working in this folder" in output, output
    assert (partial / "dataset").is_dir() and not out.exists()


def test_a_folder_left_by_a_killed_training_is_named_when_the_rerun_starts_over(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A training killed mid-run (SIGKILL, the out-of-memory killer) leaves `.RUN.partial`
    with the epochs it had done; the same command typed again deleted it and began at the
    first epoch without a word, as if it went on. Now one note says it starts over."""
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out, partial = tmp_path / "run", tmp_path / ".run.partial"
    (partial / "yolo").mkdir(parents=True)
    (partial / "yolo" / "results.csv").write_text("epoch,train/box_loss\n1,3.2\n2,2.9\n")
    code, output = _train([str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out)])
    assert code == 0, output
    note = [line for line in output.splitlines() if str(partial) in line]
    assert note == [
        f"note: {partial}: left by a training that was stopped after 2 epochs — removed; this "
        "run starts again from the first epoch (a stopped training is not resumed)"
    ], output
    assert not partial.exists() and (out / "model.pt").is_file()


def test_val_true_says_the_held_out_scores_chose_the_epoch_kept(
    labelled_tiles: list[LabelledTile], base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge train LABELS val=True patience=2` (README): ultralytics scores every epoch on
    data.yaml's val, the held-out chips, and keeps the best as best.pt, which the run then
    scores on the same held-out tiles: the `after` scores, and the comparison with the
    starting model, flatter it. Nothing said so; a note and the card's val_scope do now."""
    monkeypatch.setattr("training.finetune._train", _no_training(base))
    labels = write_yolo_set(labelled_tiles, tmp_path / "y")
    out = tmp_path / "run"
    args = [str(labels), "--from", str(base), "--imgsz", "64", "--out", str(out), "val=True"]
    code, output = _train(args)
    assert code == 0, output
    picked = "the epoch kept (best.pt) was chosen by ultralytics on these tiles' chips (val=True)"
    assert f"note: {picked}" in output, output
    assert picked in load_card(out / "model.pt").metrics["val_scope"]
    code, output = _train([*args[:-2], str(tmp_path / "run2")])  # without val=True: no note
    assert code == 0 and "best.pt" not in output, output
    assert "best.pt" not in load_card(tmp_path / "run2" / "model.pt").metrics["val_scope"]
