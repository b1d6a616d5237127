"""hello-python: a tiny WSGI service (served by waitress) used by the finalstage examples.

GET / answers with JSON, GET /healthz with "ok". `--version` prints the version; `--selftest`
serves on a loopback port, requests both routes, prints the replies and exits, so the image can
be checked in a container started with no network.
"""

from __future__ import annotations

import json
import platform
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterable

VERSION = "1.0.0"

StartResponse = Callable[[str, list[tuple[str, str]]], object]


def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI application."""
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    body = {"hello": "world", "version": VERSION, "python": platform.python_version()}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode() + b"\n"]


def selftest() -> None:
    """Serve on loopback in a thread, GET both routes, print the replies."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0)
    port = server.effective_port
    threading.Thread(target=server.run, daemon=True).start()
    for path in ("/", "/healthz"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            print(f"GET {path} -> {resp.status} {resp.read().decode()}", end="")
    server.close()


def main(argv: list[str]) -> int:
    if "--version" in argv:
        print(f"hello-python {VERSION}")
    elif "--selftest" in argv:
        selftest()
    else:
        from waitress import serve

        serve(app, host="0.0.0.0", port=8000)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
