"""Proxies: the variables, no_proxy as the official CLI reads it, proxies
that refuse."""
import threading

from conftest import (ENV0, base_env, child_env, run)


class _Proxy:
    """A minimal forward HTTP proxy: absolute-form requests are sent on to
    the test server, whatever host name they carry."""

    def __init__(self, target_port):
        import http.client
        import http.server
        import threading

        proxy = self
        self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _forward(self):
                proxy.seen.append(self.path)
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else None
                path = "/" + self.path.split("/", 3)[3]
                c = http.client.HTTPConnection("127.0.0.1", target_port)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection",)}
                c.request(self.command, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_proxy_variables_are_honoured(shim, server):
    port = int(server.url.rsplit(":", 1)[1])
    proxy = _Proxy(port)
    try:
        # A name no resolver knows: only the proxy can reach it.
        api = f"http://infisical.internal.invalid:{port}"
        env = base_env(server, INFISICAL_API_URL=api, http_proxy=proxy.url,
                       INFX_TIMEOUT="3")
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
        assert [s.split("?")[0] for s in proxy.seen] == [
            api + "/api/v1/auth/universal-auth/login",
            api + "/api/v4/secrets"]
        proxy.seen.clear()
        p = run(shim, ENV0, dict(env, no_proxy="infisical.internal.invalid"))
        assert p.returncode == 125 and proxy.seen == []
    finally:
        proxy.stop()
