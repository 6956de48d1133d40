"""A local forward proxy for tests (Python standard library only).

    proxy = Proxy(target_port, auth=None, refuse=None, tls=None)
    proxy.url, proxy.seen, proxy.stop()

- Absolute-form requests (GET http://host:port/path, for http:// URLs) are
  sent on to 127.0.0.1:target_port whatever host they name, so that a name
  no resolver knows can be reached only through the proxy.
- CONNECT host:port (for https:// URLs) opens a tunnel to
  127.0.0.1:target_port and copies bytes both ways.
- auth=("user", "password"): anything without that Proxy-Authorization
  (Basic) gets 407 Proxy Authentication Required.
- refuse=403 (or any status): every request and CONNECT gets it.
- tls=(certfile, keyfile): the proxy itself speaks TLS (an https:// proxy).

seen lists (method, target, Proxy-Authorization or None) in arrival order.
"""
import base64
import http.client
import http.server
import select
import socket
import ssl
import threading


class Proxy:
    def __init__(self, target_port, auth=None, refuse=None, tls=None):
        proxy = self
        self.seen = []
        self.target_port = target_port
        expected = None
        if auth:
            expected = "Basic " + base64.b64encode(
                ("%s:%s" % auth).encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _refusal(self):
                given = self.headers.get("proxy-authorization")
                proxy.seen.append((self.command, self.path, given))
                if refuse:
                    return refuse
                if expected and given != expected:
                    return 407
                return None

            def _refuse(self, status):
                body = b"<html><body>refused</body></html>"
                self.send_response(status)
                if status == 407:
                    self.send_header("Proxy-Authenticate",
                                     'Basic realm="proxy"')
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_CONNECT(self):
                status = self._refusal()
                if status:
                    self._refuse(status)
                    return
                upstream = socket.create_connection(
                    ("127.0.0.1", proxy.target_port))
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                _pipe(self.connection, upstream)
                self.close_connection = True

            def _forward(self):
                status = self._refusal()
                if status:
                    self._refuse(status)
                    return
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else None
                path = "/" + self.path.split("/", 3)[3]
                c = http.client.HTTPConnection("127.0.0.1",
                                               proxy.target_port)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection",
                                                "proxy-authorization")}
                c.request(self.command, path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
            scheme = "https"
        self.port = self.httpd.server_address[1]
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _pipe(a, b):
    """Copy bytes both ways until one side closes."""
    socks = [a, b]
    try:
        while True:
            ready, _, _ = select.select(socks, [], [], 30)
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()
