"""A stand-in server for the supervisor's tests (standard library only).

    python stub_server.py MARKER --port P [--workers N] [--ignore-term] [--slow-stop S] [--load-seconds S]
                                        [--crash-after S] [--exit-code C]

Answers HTTP GET with 200 on P once loaded (HTTP/1.1, connections kept alive as Sanic does), the body naming P;
its workers (forked, same process group, holding the listening socket as Sanic's workers do) only sleep. MARKER
is only there to find the processes in /proc.
Like engine.io's polling handshake with the `cookie` option (bot/rasa_ext/socketio_channel.py), a GET of
`/socket.io/...` without `sid` also opens a session: `Set-Cookie: io=<new sid>` and the body `P <sid>`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # connections kept alive, as Sanic's

    def do_GET(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        body = str(self.server.server_port)
        self.send_response(200)
        if url.path.startswith("/socket.io/") and "sid" not in urllib.parse.parse_qs(url.query):
            sid = uuid.uuid4().hex[:20]
            self.send_header("Set-Cookie", f"io={sid}; path=/; SameSite=Lax; HttpOnly")
            body += f" {sid}"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, *args) -> None:  # a health check that hangs up early
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
    server = Server(("127.0.0.1", args.port), Ok)
    for _ in range(args.workers):
        if os.fork() == 0:
            while True:
                time.sleep(1)
    if args.crash_after:
        threading.Timer(args.crash_after, lambda: os._exit(args.exit_code)).start()
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
