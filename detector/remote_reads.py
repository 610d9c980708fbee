"""Scenes read over HTTP (``https://…``, ``s3://…``, ``/vsicurl/…``): time limits and messages.

GDAL reads a URL with libcurl, which by default waits for ever: a server that accepts the
connection and then sends nothing (an overloaded order server, a proxy that swallowed the
request) held ``dredge run`` in one read for ever, and as the wait is inside GDAL, neither
Ctrl-C nor SIGTERM ended it. :func:`use_http_time_limits` sets GDAL's limits where the user
has not set them (their environment wins): a connection must open within
:data:`CONNECT_TIMEOUT_S`, and a transfer that sends less than a byte a second for
:data:`STALL_TIMEOUT_S` is given up. A server error such as 502/503 is retried
:data:`HTTP_RETRIES` times first.
"""

from __future__ import annotations

import os

from detector.errors import InputError

CONNECT_TIMEOUT_S = 30  # GDAL_HTTP_CONNECTTIMEOUT
STALL_TIMEOUT_S = 60  # GDAL_HTTP_LOW_SPEED_TIME, at GDAL_HTTP_LOW_SPEED_LIMIT of 1 byte/s
HTTP_RETRIES = 2  # GDAL_HTTP_MAX_RETRY: for 429 and 5xx answers, GDAL_HTTP_RETRY_DELAY apart
HTTP_DEFAULTS = {
    "GDAL_HTTP_CONNECTTIMEOUT": str(CONNECT_TIMEOUT_S),
    "GDAL_HTTP_LOW_SPEED_TIME": str(STALL_TIMEOUT_S),
    "GDAL_HTTP_LOW_SPEED_LIMIT": "1",
    "GDAL_HTTP_MAX_RETRY": str(HTTP_RETRIES),
    "GDAL_HTTP_RETRY_DELAY": "1",
}
FIX_REMOTE = (
    "check the network and the URL (a link that needs a login or an API key, such as a Planet "
    "download link, cannot be read: download the scenes and give the files)"
)


def use_http_time_limits() -> None:
    """Set GDAL's HTTP time limits and retries (:data:`HTTP_DEFAULTS`) in the environment,
    where they are not set: GDAL reads them there at each request, in every thread and in
    the worker processes started after."""
    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)


def stall_limit_s() -> str:
    """The stall limit in force (the user's GDAL_HTTP_LOW_SPEED_TIME, else ours)."""
    return os.environ.get("GDAL_HTTP_LOW_SPEED_TIME", str(STALL_TIMEOUT_S))


def connect_limit_s() -> str:
    """The connection limit in force (the user's GDAL_HTTP_CONNECTTIMEOUT, else ours)."""
    return os.environ.get("GDAL_HTTP_CONNECTTIMEOUT", str(CONNECT_TIMEOUT_S))


def network_read_error(path: str, cause: str) -> InputError:
    """The error for a scene URL whose header opened but whose image data could not be read:
    the connection failed, was dropped or stalled (GDAL tells only that bytes were missing:
    it was 'truncated or corrupt; download or export it again')."""
    limit = stall_limit_s()
    return InputError(
        path,
        f"could not be read over the network: part of its image data did not arrive (a server "
        f"error, a dropped connection, nothing received for {limit} s, or a file damaged on the "
        f"server: {cause})",
        "check the network and try again (GDAL_HTTP_LOW_SPEED_TIME=SECONDS waits longer on a "
        "slow link), or download the scenes and give the files",
    )


def network_open_error(path: str, cause: str) -> InputError:
    """The error for a scene URL that could not be opened (HTTP 404 or 403, no server, a
    server that does not serve parts of files, a stall, an s3:// URL without credentials)."""
    fix = FIX_REMOTE
    lowered = cause.lower()
    if "range downloading not supported" in lowered:
        fix = (
            "this server sends whole files only (no HTTP Range requests), which GDAL cannot "
            "read a scene from: download the scenes and give the files"
        )
    elif "aws_no_sign_request" in lowered:  # GDAL's words for an s3:// URL and no credentials
        fix = (
            "an s3:// URL is read with AWS credentials (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or ~/.aws/credentials); a public bucket, such as Sentinel-2's "
            "sentinel-cogs, with AWS_NO_SIGN_REQUEST=YES set in the environment, or by its "
            "https:// address"
        )
    elif "403" in cause and "?" in path:
        fix = (
            "a signed download link (one with a ?token or signature) that has expired is "
            "refused so: get fresh links, or download the scenes and give the files"
        )
    elif "connection timed out" in lowered or (
        "failed to connect" in lowered and "timeout" in lowered
    ):  # curl's words for GDAL_HTTP_CONNECTTIMEOUT: it was told as a stall of the data
        fix = (
            f"the server did not accept a connection within {connect_limit_s()} s: check the "
            "network and the URL and try again (GDAL_HTTP_CONNECTTIMEOUT=SECONDS waits longer), "
            "or download the scenes and give the files"
        )
    elif "too slow" in lowered or "timed out" in lowered or "timeout" in lowered:
        fix = (
            f"the server sent nothing for {stall_limit_s()} s: check the network and try "
            "again (GDAL_HTTP_LOW_SPEED_TIME=SECONDS waits longer on a slow link), or download "
            "the scenes and give the files"
        )
    return InputError(path, f"could not be read over the network ({cause})", fix)
