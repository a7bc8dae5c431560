"""A stand-in server for the supervisor's tests (standard library only).

    python stub_server.py MARKER --port P [--workers N] [--ignore-term] [--slow-stop S] [--load-seconds S]
                                        [--crash-after S] [--exit-code C]

Answers HTTP GET with 200 on P once loaded; its workers (forked, same process group, holding the listening
socket as Sanic's workers do) only sleep. MARKER is only there to find the processes in /proc.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("marker")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--slow-stop", type=float, default=0.0)
    parser.add_argument("--load-seconds", type=float, default=0.0)
    parser.add_argument("--crash-after", type=float, default=0.0)
    parser.add_argument("--exit-code", type=int, default=3)
    args = parser.parse_args()

    def on_term(*_: object) -> None:
        if args.ignore_term:
            return
        time.sleep(args.slow_stop)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    time.sleep(args.load_seconds)  # "loading the model"
    server = HTTPServer(("127.0.0.1", args.port), Ok)
    for _ in range(args.workers):
        if os.fork() == 0:
            while True:
                time.sleep(1)
    if args.crash_after:
        threading.Timer(args.crash_after, lambda: os._exit(args.exit_code)).start()
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
