"""Proxies: the variables, no_proxy as the official CLI (Go's net/http)
reads it, proxies that refuse, proxy URLs that cannot be parsed. A proxy
setting that cannot work is a configuration error: 125 at once, never the
opt-in fallback."""
import base64

import pytest

import certs
from conftest import (ENV0, InfisicalServer, base_env, child_env,
                      fails_closed, run, timing)
from proxies import Proxy

NAME = "infisical.internal.invalid"	# only the proxy can reach it


def port_of(server):
    return int(server.url.rsplit(":", 1)[1])


@pytest.fixture
def named_tls_server(data, pki):
    """An HTTPS server whose certificate names NAME (and not localhost):
    reached through a CONNECT tunnel."""
    cert, key = certs.make_server_cert(pki["dir"], pki["ca_pair"],
                                       names=[NAME], name="named")
    srv = InfisicalServer(data, tls=(str(cert), str(key)))
    srv.start()
    yield srv
    srv.stop()


def test_proxy_variables_are_honoured(shim, server):
    with Proxy(port_of(server)) as proxy:
        api = f"http://{NAME}:{port_of(server)}"
        env = base_env(server, INFISICAL_API_URL=api, http_proxy=proxy.url,
                       INFX_TIMEOUT="3")
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
        assert [s[1].split("?")[0] for s in proxy.seen] == [
            api + "/api/v1/auth/universal-auth/login",
            api + "/api/v4/secrets"]
        proxy.seen.clear()
        p = run(shim, ENV0, dict(env, no_proxy=NAME))
        assert p.returncode == 125 and proxy.seen == []


def test_https_through_a_connect_tunnel_with_credentials(
        shim, named_tls_server, pki):
    """https_proxy with a user and a percent-encoded password: the tunnel
    is asked for once, with Basic credentials, and TLS is end to end."""
    port = port_of(named_tls_server)
    with Proxy(port, auth=("svc", "p@ss:w/rd")) as proxy:
        env = base_env(named_tls_server,
                       INFISICAL_API_URL=f"https://{NAME}:{port}",
                       INFISICAL_CA_CERT_FILE=str(pki["ca"]),
                       https_proxy="http://svc:p%40ss%3Aw%2Frd@127.0.0.1:"
                       + str(proxy.port))
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
        basic = "Basic " + base64.b64encode(b"svc:p@ss:w/rd").decode()
        assert proxy.seen == [("CONNECT", f"{NAME}:{port}", basic)]


@timing
@pytest.mark.parametrize("how, status", [("wrong-password", 407),
                                         ("refused", 403)])
def test_proxy_refusing_the_tunnel_is_a_configuration_error(
        shim, named_tls_server, pki, tmp_path, how, status):
    port = port_of(named_tls_server)
    proxy = Proxy(port, auth=("svc", "right"), refuse=None if status == 407
                  else 403)
    marker = tmp_path / "ran"
    try:
        env = base_env(named_tls_server,
                       INFISICAL_API_URL=f"https://{NAME}:{port}",
                       INFISICAL_CA_CERT_FILE=str(pki["ca"]),
                       https_proxy="http://svc:wrong-pw@127.0.0.1:%d"
                       % proxy.port, INFX_ON_UNAVAILABLE="run",
                       INFX_TIMEOUT="30")
        p = run(shim, ["--", "touch", str(marker)], env)
        line = fails_closed(p, marker, golden=f"proxy-{how}")
        assert f"HTTP {status}" in line and "https_proxy" in line
        assert "wrong-pw" not in p.stderr.decode()
        assert "svc:***@127.0.0.1" in line
        # Not retried: one CONNECT, and no fallback to running without
        # secrets.
        assert [s[0] for s in proxy.seen] == ["CONNECT"]
    finally:
        proxy.stop()


def test_plain_http_proxy_asking_for_credentials(shim, server, tmp_path):
    with Proxy(port_of(server), auth=("svc", "right")) as proxy:
        marker = tmp_path / "ran"
        env = base_env(server, INFISICAL_API_URL=f"http://{NAME}:"
                       f"{port_of(server)}", http_proxy=proxy.url,
                       INFX_ON_UNAVAILABLE="run")
        line = fails_closed(run(shim, ["--", "touch", str(marker)], env),
                            marker, golden="proxy-http-407")
        assert "HTTP 407" in line and "http_proxy" in line
        assert len(proxy.seen) == 1


@pytest.mark.parametrize("url, why", [
    ("http://svc:p@ss@proxy.invalid:3128", "bad-at"),
    ("http://svc:pa#ss@proxy.invalid:3128", "bad-hash"),
    ("ftp://proxy.invalid:21", "bad-scheme"),
])
def test_unparsable_proxy_url_is_a_configuration_error(shim, server,
                                                       tmp_path, url, why):
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_API_URL=f"http://{NAME}:8080",
                   http_proxy=url, INFX_ON_UNAVAILABLE="run")
    p = run(shim, ["--", "touch", str(marker)], env)
    line = fails_closed(p, marker, golden=f"proxy-url-{why}")
    assert "http_proxy=" in line
    assert "p@ss" not in line and "pa#ss" not in line
    assert server.requests == []


@timing
def test_proxy_host_that_does_not_resolve_is_retried(shim, server, tmp_path):
    """Like the server's own name in a compose network: it may appear."""
    env = base_env(server, INFISICAL_API_URL=f"http://{NAME}:8080",
                   http_proxy="http://svc:pw-123@no-such-proxy.invalid:3128",
                   INFX_TIMEOUT="2")
    p = run(shim, ENV0, env)
    fails_closed(p)
    text = p.stderr.decode()
    assert "Could not resolve proxy" in text and "pw-123" not in text
    assert "infx-exec: warning: " in text
    p = run(shim, ENV0, dict(env, INFX_ON_UNAVAILABLE="run"))
    assert p.returncode == 0 and b"WITHOUT ITS SECRETS" in p.stderr


def test_loopback_is_never_proxied(shim, server):
    """As Go's ProxyFromEnvironment: localhost and 127.0.0.0/8 go direct."""
    with Proxy(port_of(server)) as proxy:
        for host in ("localhost", "127.0.0.1"):
            env = base_env(server, INFISICAL_API_URL=f"http://{host}:"
                           f"{port_of(server)}", http_proxy=proxy.url,
                           HTTP_PROXY=proxy.url, all_proxy=proxy.url)
            p = run(shim, ENV0, env)
            assert p.returncode == 0, p.stderr
        assert proxy.seen == []


# Proxied: the request reaches the proxy, which hands it to the server.
# Bypassed: infx-exec connects directly to a host that cannot be reached
# (a .invalid name, an unroutable address), and fails.
@timing
@pytest.mark.parametrize("no_proxy, host, proxied", [
    ("svc.invalid", "svc.invalid", False),
    ("svc.invalid", "api.svc.invalid", False),
    ("svc.invalid", "badsvc.invalid", True),
    (".svc.invalid", "svc.invalid", True),
    (".svc.invalid", "api.svc.invalid", False),
    ("*.svc.invalid", "svc.invalid", True),
    ("*.svc.invalid", "api.svc.invalid", False),
    ("svc.invalid:1", "svc.invalid", True),
    ("svc.invalid:PORT", "svc.invalid", False),
    ("10.255.255.1", "10.255.255.1", False),
    ("10.0.0.0/8", "10.255.255.1", False),
    ("192.168.0.0/16", "10.255.255.1", True),
    ("*", "svc.invalid", False),
    ("other.invalid, ,svc.invalid", "svc.invalid", False),
])
def test_no_proxy_forms(shim, server, no_proxy, host, proxied):
    port = port_of(server)
    with Proxy(port) as proxy:
        env = base_env(server, INFISICAL_API_URL=f"http://{host}:{port}",
                       HTTP_PROXY=proxy.url, INFX_TIMEOUT="1",
                       NO_PROXY=no_proxy.replace("PORT", str(port)))
        p = run(shim, ENV0, env)
        if proxied:
            assert p.returncode == 0, p.stderr
            assert len(proxy.seen) == 2
        else:
            assert p.returncode == 125 and proxy.seen == []
