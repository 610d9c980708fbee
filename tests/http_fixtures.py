"""A local HTTP server of scene files for the tests of scenes read by URL, with faults.

GDAL reads a URL in parts (HTTP Range requests, answered 206), which Python's own
``http.server`` does not serve; this one does. A URL's first folder may name a fault:

- ``/status=404/…``, ``/status=403/…``: that answer;
- ``/stall/…``: the connection is accepted and nothing is sent (for :data:`STALL_S`, then
  it is closed, so that a test without a time limit ends too);
- ``/data-<fault>/…``: the header (the first and last 16 KiB) is served and the fault hits
  the image data only: ``data-stall``, ``data-drop`` (a third of it, then the connection is
  closed), ``data-status=500``;
- ``/no-range/…``: whole files only, as some servers and proxies send them;
- ``/flaky/…``: each request answered 503 the first time it is made.

The query string (``?token=…``) is ignored. The server runs in a process of its own (GDAL
holds Python's GIL through some of its requests, which a server thread of the test's process
would never answer) on a free port, and :func:`serving` ends it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

HEADER_BYTES = 16384  # GDAL's first read of a URL, and of its end where the IFD may lie
STALL_S = 8.0  # a stalled answer is closed after this, so a test never hangs on it
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = Path(".")
    seen: ClassVar[set[str]] = set()  # requests made (the flaky fault answers each once with a 503)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _answer(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve(self, body: bool) -> None:
        path = self.path.split("?", 1)[0].lstrip("/")
        fault, _, rest = path.partition("/")
        if not re.fullmatch(r"(data-)?(status=\d+|stall|drop)|no-range|flaky", fault):
            fault, rest = "", path
        file = self.root / rest
        if not file.is_file():
            self._answer(404)
            return
        data = file.read_bytes()
        found = _RANGE.match(self.headers.get("Range") or "")
        start = int(found.group(1)) if found else 0
        if fault.startswith("data-"):
            in_data = found is not None and HEADER_BYTES <= start < len(data) - HEADER_BYTES
            fault = fault[5:] if in_data else ""
        if fault == "flaky":
            key = f"{self.command} {self.path} {self.headers.get('Range')}"
            if key not in self.seen:
                self.seen.add(key)
                self._answer(503)
                return
        if fault.startswith("status="):
            self._answer(int(fault.split("=")[1]))
            return
        if fault == "stall":
            time.sleep(STALL_S)
            self.close_connection = True
            return
        if found and fault != "no-range":
            end = min(int(found.group(2) or len(data) - 1), len(data) - 1)
            part = data[start : end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            part = data
            self.send_response(200)
        if fault != "no-range":
            self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(part)))
        self.send_header("Content-Type", "image/tiff")
        self.end_headers()
        if not body:
            return
        if fault == "drop":
            self.wfile.write(part[: len(part) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(part)


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """Serve the files under ``root``; yields the base URL, ``http://127.0.0.1:PORT``."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.http_fixtures", str(root)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        assert port.isdigit(), f"the test server did not start: {port!r}"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait()


def main(root: str) -> None:
    """Serve ``root`` until killed; print the port first."""
    handler = type("Handler", (_Handler,), {"root": Path(root)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
