"""Labels that analysts drew, read into one table of labelled tiles.

Four kinds of label sets are read, each into :class:`~training.labels.table.LabelledTile`
objects (a tile's pixels, its boxes in the tile's pixels, the scene it came from and the label
set it came from):

- YOLO folders (:mod:`training.labels.yolo`): ``data.yaml`` (or ``classes.txt`` /
  ``obj.names``) with images and ``class x y w h`` label files;
- COCO JSON (:mod:`training.labels.coco`), as CVAT and Label Studio export it;
- Pascal VOC XML (:mod:`training.labels.voc`), as LabelImg, CVAT and Roboflow export it;
- boxes or points drawn over whole scenes in QGIS (:mod:`training.labels.vector`): GeoJSON,
  GeoPackage, Shapefile or GeoParquet, cut into tiles by the project's tiler.

:func:`training.labels.sources.read_label_sets` picks the reader for each path. Class names are
mapped to the model's classes by :class:`~training.labels.classes.ClassMap`.
"""

from training.labels.classes import ClassMap
from training.labels.sources import LabelSet, read_label_sets
from training.labels.table import Box, LabelledTile

__all__ = ["Box", "ClassMap", "LabelSet", "LabelledTile", "read_label_sets"]
