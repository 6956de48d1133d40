#!/usr/bin/python3
"""The test server (tests/infisical_server.py) in its own process, for
bench/measure.py.

A separate process keeps the server's threads and the timing loop from
sharing one GIL. Unlike the server's own CLI it exposes the rate-limit
options and the request log:

  bench/server.py --data FILE [--tls-cert F --tls-key F]
                  [--rate-limit --rate-window S --rate-write N --rate-secrets N]
                  [--no-nodelay]

prints the origin URL on stdout, then reads commands on stdin, one a line:

  stats    -> one JSON line: {"total": N, "routes": {route: N}, "connections": N,
              "paths": {"METHOD path": N}}
  clear    -> forget the requests seen so far; answers "ok"
  (EOF)    -> stop and exit 0
"""
import argparse
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import infisical_server  # noqa: E402
from infisical_server import InfisicalServer  # noqa: E402


def set_nodelay():
    """TCP_NODELAY on every accepted connection, as Node's http server (and
    so Infisical's Fastify) sets by default. Without it, Python's server
    writes a response's headers and body in separate send()s; over TLS the
    second one waits for the client's delayed ACK (~40 ms on Linux)."""
    import socket
    cls = infisical_server._HTTPServer
    orig = cls.get_request

    def get_request(self):
        sock, addr = orig(self)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        return sock, addr
    cls.get_request = get_request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--rate-limit", action="store_true")
    ap.add_argument("--rate-window", type=float, default=60)
    ap.add_argument("--rate-write", type=int, default=200)
    ap.add_argument("--rate-secrets", type=int, default=40)
    ap.add_argument("--no-nodelay", action="store_true",
                    help="leave Nagle's algorithm on (the test server as it is)")
    args = ap.parse_args()
    if not args.no_nodelay:
        set_nodelay()
    with open(args.data, encoding="utf-8") as fh:
        data = json.load(fh)
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    srv = InfisicalServer(data, tls=tls, rate_limit=args.rate_limit,
                          rate_window=args.rate_window,
                          rate_limits={"write": args.rate_write,
                                       "secrets": args.rate_secrets})
    srv.start()
    print(srv.url, flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "stats":
            reqs = list(srv.requests)
            routes = collections.Counter(r.get("route") or "?" for r in reqs)
            paths = collections.Counter("%s %s" % (r["method"], r["path"]) for r in reqs)
            conns = {tuple(r["client"]) for r in reqs if r.get("client")}
            print(json.dumps({"total": len(reqs), "routes": dict(routes),
                              "paths": dict(paths), "connections": len(conns)}),
                  flush=True)
        elif cmd == "clear":
            srv.clear_requests()
            print("ok", flush=True)
        else:
            print(json.dumps({"error": "unknown command %r" % cmd}), flush=True)
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
