"""What a damaged or unreachable raster raises while it is opened or read, as one line.

rasterio, GDAL and PROJ raise their own errors (:data:`READ_ERRORS`) from a file cut short, a
damaged header or a server that stops answering; :func:`file_read_errors` turns each into one
:class:`~detector.errors.InputError` that names the file and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyproj.exceptions import ProjError
from rasterio._err import CPLE_BaseError  # GDAL errors rasterio raises as they are
from rasterio.errors import RasterioError

from detector.errors import InputError, first_line
from detector.remote_reads import network_read_error

FIX_CORRUPT = "the file may be truncated or corrupt; download or export it again"
# What a damaged file can raise from rasterio, GDAL and PROJ: each becomes one InputError line
READ_ERRORS = (RasterioError, CPLE_BaseError, ProjError, UnicodeDecodeError)


def innermost_line(exc: BaseException) -> str:
    """First line of the innermost GDAL message ("Read failed" hides the real cause)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return first_line(exc)


@contextmanager
def file_read_errors(path: str, *, remote: bool = False) -> Iterator[None]:
    """Turn GDAL read failures into one clear InputError naming the file (``remote``: one
    that says it could not be read over the network)."""
    try:
        yield
    except READ_ERRORS as exc:
        if remote:
            raise network_read_error(path, innermost_line(exc)) from None
        raise InputError(path, f"cannot be read ({innermost_line(exc)})", FIX_CORRUPT) from None
