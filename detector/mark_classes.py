"""What a hand mark is: its class and how many dredges it stands for, from tables people make.

Analysts name their marks in Spanish or English, in any case, with accents or without, singular
or plural, with a word beside the class (``Draga``, ``DRAGA ``, ``dragas``, ``draga grande``,
``Dragá``, ``balsa-draga``, ``bote``). A value is read word by word: a dredge word (``draga``,
``dredge``; ``barcaza``/``barge``, ``balsa``/``raft``) makes it a dredge of that kind, else a
boat word (``barco``, ``bote``, ``lancha``, ``canoa``, ``boat``) a boat, a look-alike that is
not counted. A value with neither is not a class this tool knows: it is left out of the count
with a note naming it, never taken as a dredge or a boat by guess; so is a value with a word
that negates it (``no draga``, ``not_dredge``, ``falsa draga``: a hard negative). A dredge's
number is not a negation: ``Draga Nº 5``, ``Draga N.º 5``, ``draga No. 5`` are dredges.

A count column (``cantidad``, ``N° dragas``, ``Nro. dragas``, ``Cantidad de dragas``, ``N° de
dragas``, ``Total dragas``, ``quantidade``, …) says how many dredges a mark stands for (a group
moored side by side marked once).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from detector.user_tables import first_named, plain_name

# The class column of marks and labels, for dredge track and for training labels alike
# (training.labels.vector): class_name (the tool's own) first
CLASS_COLUMNS = (
    "class_name", "class", "label", "category", "clase", "tipo", "categoria", "objeto",
    "classe",  # Portuguese
)  # fmt: skip
COUNT_COLUMNS = (
    "cantidad",
    "count",
    "n_dredges",
    "n_dragas",
    "num_dragas",
    "nro_dragas",
    "nro dragas",
    "nro. dragas",
    "n° dragas",
    "nº dragas",
    "numero de dragas",
    "número de dragas",
    "cantidad de dragas",
    "dragas",
    "quantidade",  # Portuguese
)
# A column named by a word of counting and the plural of dredge ('N° de dragas', 'Total
# dragas', 'Number of dredges') is a count column too; the singular ('Número de draga') is a
# dredge's own number
COUNT_WORDS = {
    "cantidad", "cant", "count", "n", "no", "nro", "num", "numero", "number", "total",
    "quantidade", "qtd", "qtde",
}  # fmt: skip
PLURAL_DREDGE_WORDS = {"dragas", "dredges"}
# Peru's names for kinds of dredge: a suction dredge ('chupadera'), the 'traca' and the
# 'caranchera' (left out of tracking as classes this tool did not know)
DREDGE_WORDS = {
    "draga": "dredge",
    "dredge": "dredge",
    "chupadera": "dredge",
    "traca": "dredge",
    "caranchera": "dredge",
    "barcaza": "barge",
    "barge": "barge",
    "balsa": "raft",
    "raft": "raft",
}
BOAT_WORDS = {"barco", "bote", "lancha", "canoa", "boat", "peque"}
KNOWN_CLASSES = ("dredge", "barge", "raft", "boat")
# Words that turn a class name into its opposite: a hard negative ('not_dredge', 'no draga',
# 'falsa draga', 'dredge_false_positive') was read as a dredge by its class word; so were
# plurals ('Dragas falsas', 'negativos').
NEGATION_WORDS = {
    "no", "not", "non", "sin", "ni", "falsa", "falso", "false", "fake",
    "negative", "negativa", "negativo", "fp", "nodredge", "nodraga",
    "falsas", "falsos", "fakes", "negatives", "negativas", "negativos", "fps",
}  # fmt: skip


def class_of(value: object) -> str | None:
    """The class a mark's class text names (see the module notes), or None."""
    if value is None or pd.isna(value):
        return None
    stems = class_words(value)
    if NEGATION_WORDS.intersection(stems):
        return None  # named in a note as a class this tool does not know
    for word, kind in DREDGE_WORDS.items():  # in order: a 'balsa-draga' is a dredge
        if word in stems:
            return kind
    if any(stem in BOAT_WORDS for stem in stems):
        return "boat"
    return None


def class_named(name: object) -> str | None:
    """The class a placemark's name gives: the class it names, or the name itself where it
    negates one (``falsa draga``: a class this tool does not know, left out of tracking, and a
    hard negative for training); else None (``1``, ``Untitled Placemark``)."""
    kind = class_of(name)
    if kind is None and NEGATION_WORDS.intersection(class_words(name)):
        return str(name)
    return kind


# 'Nº 5', 'N.º 5', 'No. 5', 'no 5': número, a dredge's own number, not the negation 'no'
# ('Draga Nº 5' read as 'draga no', a hard negative: left out of the count, and refused in
# training labels with the advice to map it to ignore). 'º' is matched before accents go
# (it becomes 'o'); 'no' only where a number follows ('no draga' still negates).
_NUMERO_SIGN = re.compile(r"(?<![a-z])n\.?\s*º", re.IGNORECASE)
_NUMERO_NO = re.compile(r"(?<![a-z])no\.?[\s_]*(?=\d)")


def class_words(value: object) -> list[str]:
    """The words of a class text, lower case, without accents, singular for the class words
    (``Dragas grandes`` → ``draga``, ``grandes``); ``Nº`` / ``No.`` before a number is
    ``nro`` (``Draga Nº 5`` → ``draga``, ``nro``), not the negation ``no``."""
    text = _NUMERO_SIGN.sub("nro", str(value))
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = _NUMERO_NO.sub("nro ", plain)
    return [_singular(word) for word in re.split(r"[^a-z]+", plain) if word]


def _singular(word: str) -> str:
    """``dragas`` → ``draga``, ``barcazas`` → ``barcaza``, ``botes`` → ``bote``."""
    for end in ("es", "s"):
        if word.endswith(end) and word[: -len(end)] in {*DREDGE_WORDS, *BOAT_WORDS}:
            return word[: -len(end)]
    return word


def hand_classes(frame: pd.DataFrame, source: str | Path) -> tuple[pd.Series, list[str]]:
    """Classes of a table marked by hand: from a class column under a usual name (``Clase``,
    ``tipo``, ``objeto``, ``label``), read as :func:`class_of` reads a value, a blank being a
    dredge; else every row a dredge. A value that names no class is kept as written (it is
    left out of tracking as not a dredge class), with a note naming it."""
    column = first_named(frame.columns, CLASS_COLUMNS)
    if column is None:
        return pd.Series("dredge", index=frame.index), []
    # plain Python values: pandas' Arrow-backed strings could not map a column of blanks alone
    # ('Converting strings to null is not implemented')
    cells = [None if pd.isna(v) or not str(v).strip() else str(v).strip() for v in frame[column]]
    text = pd.Series(cells, index=frame.index, dtype=object)
    kinds = [class_of(v) if v is not None else None for v in cells]
    read = pd.Series(kinds, index=frame.index, dtype=object)
    classes = pd.Series(
        [k or v or "dredge" for k, v in zip(kinds, cells, strict=True)],
        index=frame.index,
        dtype=str,
    )
    notes = [f"{source}: classes read from the '{column}' column"]
    unknown = text[text.notna() & read.isna()]
    if len(unknown):
        listed = ", ".join(f"{n:,} {name!r}" for name, n in unknown.value_counts().items())
        notes.append(
            f"{source}: {listed} in '{column}' name no class this tool knows (a dredge: draga, "
            "dredge, barcaza, balsa; a boat: barco, bote, lancha): left out of the count — "
            "rename them, or leave the cell blank for a dredge"
        )
    return classes, notes


def count_column(frame: pd.DataFrame) -> str | None:
    """The column that says how many dredges each mark stands for, or None."""
    named = first_named(frame.columns, COUNT_COLUMNS)
    if named is not None:
        return named
    for column in frame.columns:
        words = set(re.split(r"[^a-z]+", plain_name(column)))
        if words & PLURAL_DREDGE_WORDS and words & COUNT_WORDS:
            return str(column)
    return None
