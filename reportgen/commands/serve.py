"""`reportgen serve DIR`: preview a built report over HTTP, on this machine only (127.0.0.1).

The site works from file:// as well; a server helps browsers that restrict local files. Responses say
`Cache-Control: no-store`, so reloading after a rebuild shows the new report. Ctrl-C stops it (exit 0).
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from reportgen.errors import ReportgenError

HOST = "127.0.0.1"  # never reachable from other machines: a report may hold private texts


class _NoStoreHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def make_server(directory: str | Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for the report folder on 127.0.0.1:`port` (0: any free port), not yet serving."""
    root = Path(directory)
    if not root.is_dir():
        raise ReportgenError(f"{directory}: no such folder; give the folder a build wrote (output.dir)")
    if not (root / "index.html").is_file():
        raise ReportgenError(f"{directory}: no index.html here; build the report first (reportgen build SPEC)")
    if not 0 <= port <= 65535:
        raise ReportgenError(f"--port {port}: a port is a number from 1 to 65535 (0 picks a free one)")
    handler = partial(_NoStoreHandler, directory=str(root.resolve()))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise ReportgenError(f"--port {port}: cannot listen on {HOST} ({exc.strerror or exc}); "
                             "choose another port") from None


def run(directory: str, *, port: int = 8000) -> int:
    server = make_server(directory, port)
    url = f"http://{HOST}:{server.server_address[1]}/"
    from reportgen.textsafe import terminal_safe

    print(f"serving {terminal_safe(directory)} at {url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0
