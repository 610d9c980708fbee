"""Find gold-mining dredges on Amazonian rivers in satellite scenes.

Importing this package configures ultralytics to stay offline (see :mod:`detector.offline`);
every module that uses ultralytics imports it through :func:`detector.offline.import_ultralytics`.
"""

from detector.offline import configure_offline

__version__ = "0.1.0"

configure_offline()

__all__ = ["__version__"]
