"""The scenes' summary lines of one run, as printed: a sentence about a metadata file that
several scenes share (the tiles of one Maxar product share its ``…_P001.XML`` and ``.IMD``) is
said on the first of their lines; the others name the files and point to that line. Each line
of a product of 40 tiles whose XML and IMD disagree repeated the same "dated … by ….XML, while
….IMD says …: check which is the scene's …" sentence, 40 times. Only the printed lines are
shortened (nothing else records them); each scene is still dated by its own files.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from detector.sidecars import DISAGREE_ADVICE

_DISAGREE = re.compile(  # detector.sidecars.sidecar_time's sentence
    r"dated \d{4}-\d\d-\d\d \d\d:\d\d UTC by (?P<file>.+?), while (?P<others>.+?): "
    + re.escape(DISAGREE_ADVICE)
)
_SAYS = re.compile(r"(?:^|, )(?P<file>.+?) says \d{4}-\d\d-\d\d \d\d:\d\d UTC")


class SceneLines:
    """``echo`` for a run's scene summary lines (``NAME: …``): each sentence of
    :data:`_DISAGREE` said again, word for word (the same files, the same times: files the
    scenes share), becomes "FILE and OTHER disagree on its date (as for FIRST)", FIRST the
    scene whose line said it. Other lines go to ``echo`` as they are."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.first: dict[str, str] = {}  # sentence → the scene whose line said it

    def __call__(self, line: str) -> None:
        self.echo(self.shorten(line))

    def shorten(self, line: str) -> str:
        """``line`` with the sentences said on an earlier scene's line pointing to it."""
        scene = line.split(": ", 1)[0]

        def once(found: re.Match[str]) -> str:
            first = self.first.setdefault(found.group(0), scene)
            if first == scene:
                return found.group(0)
            files = [found["file"], *(said["file"] for said in _SAYS.finditer(found["others"]))]
            named = ", ".join(files[:-1]) + f" and {files[-1]}"
            return f"{named} disagree on its date (as for {first})"

        return _DISAGREE.sub(once, line)
