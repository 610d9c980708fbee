"""Class names in the labels → the model's classes.

Names are matched without regard to case or surrounding spaces (``Dredge`` is ``dredge``).
Spanish names, as analysts in Peru label, are read as the model's classes when it has them:
draga, barcaza and balsa as dredge (or barge, raft where the model has those classes), barco,
bote, lancha, canoa and peque(-peque) as boat (:data:`SPANISH_CLASSES`;
:attr:`ClassMap.spanish` lists those used), also in the plural, with accents or with a word
beside them (``dragas``, ``Draga grande``, their words read as
:func:`detector.mark_classes.class_words` reads them), unless a word negates them
(``not_dredge``, ``falsa draga``: hard negatives).
Any other name needs a mapping, e.g. ``--class-map chata=dredge``; mapping a name to ``ignore``
drops its boxes, and a mapping given wins over the Spanish reading. A name that is neither a
model class nor mapped is an :class:`~detector.errors.InputError` naming the file, the place
in it and the model's classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from detector.errors import DredgeError, InputError
from detector.mark_classes import BOAT_WORDS, NEGATION_WORDS, class_words

IGNORE = "ignore"
# Spanish label → the model classes it may be, in order of preference: the words that
# `dredge track` reads in hand marks (detector.mark_classes), boats' words included (canoa,
# peque: a 'canoa' that track leaves out as a boat was refused here until mapped)
SPANISH_CLASSES: dict[str, tuple[str, ...]] = {
    "draga": ("dredge",),
    **{word: ("dredge",) for word in ("chupadera", "traca", "caranchera")},  # Peru's kinds
    "barcaza": ("barge", "dredge"),
    "balsa": ("raft", "dredge"),
    **{word: ("boat",) for word in sorted(BOAT_WORDS - {"boat"})},
}


class ClassMap:
    """Resolves label class names to the model's class names (or None: ignore the box)."""

    def __init__(self, classes: Sequence[str], aliases: Mapping[str, str] | None = None) -> None:
        self.classes = tuple(classes)
        self._known = {name.strip().lower(): name for name in self.classes}
        self.aliases: dict[str, str] = {}
        self.spanish: dict[str, str] = {}  # Spanish names read so far → the class taken
        for alias, target in (aliases or {}).items():
            key = target.strip().lower()
            if key != IGNORE and key not in self._known:
                raise DredgeError(
                    f"--class-map {alias}={target}: {target!r} is not a model class; use one of "
                    f"{', '.join(self.classes)} or {IGNORE}"
                )
            self.aliases[alias.strip().lower()] = IGNORE if key == IGNORE else self._known[key]

    def resolve(self, name: object, path: object, where: str) -> str | None:
        """The model class for ``name`` (None to ignore); InputError naming ``path`` / ``where``."""
        key = str(name).strip().lower()
        if key in self.aliases:
            target = self.aliases[key]
            return None if target == IGNORE else target
        if key in self._known:
            return self._known[key]
        for target in SPANISH_CLASSES.get(key) or self._by_words(name):
            if target in self._known:
                self.spanish[key] = self._known[target]
                return self._known[target]
        raise InputError(
            path,
            f"{where}: class {str(name)!r} is not one of the model's classes "
            f"({', '.join(self.classes)})",
            f"rename it in the labels, or map it: --class-map '{name}={IGNORE}' (a hard "
            "negative: its boxes left out)"
            if NEGATION_WORDS.intersection(class_words(name))
            else f"rename it in the labels, or map it: --class-map '{name}=dredge' (or ={IGNORE})",
        )

    def _by_words(self, name: object) -> tuple[str, ...]:
        """The classes a name may be when one of its words, singular and without accents, is a
        Spanish class name or a model class ('dragas', 'Draga grande', 'balsa-draga',
        'Dredges'); a name with neither (an English 'barge' the model lacks, 'chata'), or with a
        word that negates it ('not_dredge', 'no draga'), is left for a mapping."""
        words = class_words(name)
        if NEGATION_WORDS.intersection(words):
            return ()  # 'not_dredge', 'falsa draga': a hard negative needs a mapping
        for spanish, targets in SPANISH_CLASSES.items():  # draga before balsa: a balsa-draga
            if spanish in words:
                return targets
        return tuple(word for word in words if word in self._known)[:1]

    def index(self, name: str) -> int:
        """Index of a model class name."""
        return self.classes.index(name)


def parse_class_map(text: str | None) -> dict[str, str]:
    """``"draga=dredge, barco=boat"`` → ``{"draga": "dredge", "barco": "boat"}``."""
    if not text:
        return {}
    pairs: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, target = part.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise DredgeError(
                f"--class-map: {part.strip()!r} is not NAME=CLASS; e.g. --class-map draga=dredge"
            )
        key = name.strip().lower()  # names are matched in any case (ClassMap)
        earlier = next((t for n, t in pairs.items() if n.lower() == key), None)
        if earlier is not None and earlier.lower() != target.strip().lower():
            raise DredgeError(  # the last one was taken without a word
                f"--class-map: {name.strip()!r} is mapped twice ({earlier}, {target.strip()}) "
                "— map each name once"
            )
        pairs[name.strip()] = target.strip()
    return pairs
