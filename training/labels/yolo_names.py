"""A YOLO label folder's ``data.yaml`` and class names: the YAML read, the names in index order
(``names`` as a list or an index mapping, else ``classes.txt`` / ``obj.names``), the checks that
a names file beside ``data.yaml`` or among the label files names the same classes in the same
order, and that a recorded ``gsd_m`` is the model's. Read by :mod:`training.labels.yolo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from detector.errors import InputError
from training.labels.table import read_text

YAML_NAMES = ("data.yaml", "dataset.yaml", "data.yml")
NAMES_FILES = ("classes.txt", "obj.names")


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_text(path))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(path, f"is not valid YAML ({exc})".replace("\n", " "), "fix it") from None
    if not isinstance(data, dict):
        raise InputError(path, "is not a YAML mapping", "give names: and train: keys")
    return data


def class_names(config: dict[str, Any], yaml_path: Path | None, root: Path) -> list[str]:
    names = config.get("names")
    if isinstance(names, dict):
        try:
            ordered = sorted((int(k), str(v)) for k, v in names.items())
        except ValueError:
            raise InputError(yaml_path, "'names' keys are not class indices", _FIX_NAMES) from None
        if [k for k, _ in ordered] != list(range(len(ordered))):
            raise InputError(yaml_path, "'names' indices are not 0, 1, 2, …", _FIX_NAMES)
        return _agree([v for _, v in ordered], yaml_path, root)
    if isinstance(names, list):
        return _agree([str(n) for n in names], yaml_path, root)
    if names is not None:
        raise InputError(yaml_path, "'names' is neither a list nor a mapping", _FIX_NAMES)
    for candidate in NAMES_FILES:
        file = root / candidate
        if file.is_file():
            return _names_file(file)
    raise InputError(
        yaml_path or root,
        "does not name the classes (no 'names' in data.yaml, no classes.txt or obj.names)",
        _FIX_NAMES,
    )


_FIX_NAMES = "name the classes in index order, e.g. names: {0: dredge, 1: boat}"


def _names_file(file: Path) -> list[str]:
    """The class names of a ``classes.txt`` / ``obj.names``, one a line."""
    lines = read_text(file).splitlines()
    return [line.strip() for line in lines if line.strip()]


def _agree(names: list[str], yaml_path: Path | None, root: Path) -> list[str]:
    """``data.yaml``'s names; InputError when a ``classes.txt`` / ``obj.names`` beside it names
    the classes otherwise (a Label Studio export unzipped into a ``dredge review`` folder): the
    label files' indices follow one of them, and taking the wrong one swaps every class."""
    for candidate in NAMES_FILES:
        file = root / candidate
        if not file.is_file():
            continue
        other = _names_file(file)
        if [n.strip().lower() for n in other] != [n.strip().lower() for n in names]:
            raise InputError(
                root,
                f"{yaml_path.name if yaml_path else 'data.yaml'} names the classes "
                f"{', '.join(names)} (index 0, 1, …) but {candidate} names them "
                f"{', '.join(other)}: one of them would read every box as another class",
                f"delete the one that did not come with the label files ({candidate} comes with "
                f"Label Studio and LabelImg exports, data.yaml with dredge review, CVAT and "
                f"Roboflow), or make the two agree",
            )
    return names


def check_names_beside_labels(folders: set[Path], names: Sequence[str], said: Path) -> None:
    """InputError when a ``classes.txt`` / ``obj.names`` among the label files names the
    classes otherwise than the set does: LabelImg writes one beside each label file it saves,
    in the order of its own class list, and the files it saved follow that order, the others
    the set's. Read by the set's names, every box LabelImg saved took another class without a
    word (a class list of boat, dredge: its dredges read as boats)."""
    for folder in sorted(folders):
        for candidate in NAMES_FILES:
            file = folder / candidate
            if not file.is_file():
                continue
            other = _names_file(file)
            if [n.strip().lower() for n in other] == [n.strip().lower() for n in names]:
                continue
            raise InputError(
                file,
                f"names the classes {', '.join(other)} (index 0, 1, …) where {said.name} names "
                f"them {', '.join(names)}: LabelImg writes it beside the label files it saves, "
                f"in its own class list's order, and those files follow it, the others "
                f"{said.name}",
                f"make the label files saved with it follow {said.name} and delete it (LabelImg "
                f"keeps {said.name}'s order when started as 'labelImg images/train classes.txt "
                "labels/train')",
            )


def check_gsd(value: object, gsd_m: float, path: Path) -> None:
    try:
        found = float(str(value))
    except ValueError:
        raise InputError(path, f"gsd_m {value!r} is not a number", "fix or remove it") from None
    if abs(found - gsd_m) > 0.02 * gsd_m:
        raise InputError(
            path,
            f"tiles are at {found:g} m per pixel; the model reads {gsd_m:g} m",
            f"cut the tiles again at {gsd_m:g} m (dredge tiles --gsd {gsd_m:g}), or train a "
            "model at their GSD",
        )
