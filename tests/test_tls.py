"""HTTPS: private CAs, the trust order, host names, the built-in roots,
the messages of TLS failures, a TLS proxy."""
import os
import pathlib
import subprocess
import time

import pytest

import certs
from conftest import (ENV0, VALGRIND, InfisicalServer, base_env, child_env,
                      fails_closed, run, timing)


def tls_env(server, **extra):
    return base_env(server, **extra)


def test_https_with_private_ca(shim, tls_server, pki):
    env = tls_env(tls_server, SSL_CERT_FILE=str(pki["ca"]))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


def test_https_with_ca_directory(shim, tls_server, pki, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    (d / "ca.pem").write_bytes(open(pki["ca"], "rb").read())
    subprocess.run(["openssl", "rehash", str(d)], check=True)
    env = tls_env(tls_server, SSL_CERT_DIR=str(d))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr


def test_https_untrusted_server(shim, tls_server, tmp_path):
    marker = tmp_path / "ran"
    line = fails_closed(run(shim, ["--", "touch", str(marker)],
                            tls_env(tls_server)), marker)
    assert "certificate" in line
    assert tls_server.requests == []


def test_https_host_name_mismatch(shim, data, pki, tmp_path):
    """A certificate from the trusted CA, but for another name."""
    cert, key = certs.make_server_cert(tmp_path, pki["ca_pair"],
                                       names=["other.example"])
    srv = InfisicalServer(data, tls=(str(cert), str(key)))
    srv.start()
    try:
        marker = tmp_path / "ran"
        env = tls_env(srv, SSL_CERT_FILE=str(pki["ca"]), INFX_TIMEOUT="5")
        line = fails_closed(run(shim, ["--", "touch", str(marker)], env),
                            marker)
        assert "127.0.0.1" in line and "certificate" in line
        assert srv.requests == []
    finally:
        srv.stop()


def test_infisical_ca_cert_file_wins(shim, tls_server, pki, tmp_path):
    wrong = tmp_path / "wrong.pem"
    wrong.write_text("not a certificate\n")
    env = base_env(tls_server, INFISICAL_CA_CERT_FILE=str(pki["ca"]),
                   SSL_CERT_FILE=str(wrong))
    p = run(shim, ENV0, env)
    assert p.returncode == 0, p.stderr


def test_built_in_roots_are_embedded(static_shim):
    data = open(static_shim, "rb").read()
    assert data.count(b"-----BEGIN CERTIFICATE-----") >= 100


# -- the trust order and what each store holds -----------------------------

def in_private_mounts(shim, mounts, args, env):
    """Run the shim in a private mount namespace (unshare, as root) where
    each (source, target) of mounts is bind-mounted, or a fresh tmpfs when
    source is None: a machine set up as a user's would be, without touching
    this one's. Targets that do not exist here are left out."""
    mounts = [(s, t) for s, t in mounts if pathlib.Path(t).exists()]
    script = "set -e\n"
    for i, (source, target) in enumerate(mounts):
        script += ('mount -t tmpfs tmpfs "$%d"\n' % (i + 1) if source is None
                   else 'mount --bind "%s" "$%d"\n' % (source, i + 1))
    script += 'shift %d\nexec "$@"\n' % len(mounts)
    return run(shim, args, env,
               via=["unshare", "-m", "--propagation", "private", "sh", "-c",
                    script, "sh"] + [t for _, t in mounts])


def system_certs_dir(tmp_path, extra_pem=None):
    """A copy of /etc/ssl/certs: its hashed links, and its bundle with
    extra_pem appended without a rehash, as `cat corp-ca.pem >>
    ca-certificates.crt` in a Dockerfile does."""
    d = tmp_path / "etc-ssl-certs"
    d.mkdir()
    links = [str(p) for p in pathlib.Path("/etc/ssl/certs").glob("*.[0-9]")]
    subprocess.run(["cp", "-P", "--", *links, str(d)], check=True)
    bundle = open("/etc/ssl/certs/ca-certificates.crt", "rb").read()
    if extra_pem:
        bundle += open(extra_pem, "rb").read()
    (d / "ca-certificates.crt").write_bytes(bundle)
    return d


def test_a_ca_appended_to_the_system_bundle_is_trusted(shim, tls_server, pki,
                                                        tmp_path):
    """The bundle file and the hashed directory together, as curl and
    OpenSSL's defaults read them: the appended CA has no hashed link."""
    d = system_certs_dir(tmp_path, extra_pem=pki["ca"])
    p = in_private_mounts(shim, [(str(d), "/etc/ssl/certs")], ENV0,
                          tls_env(tls_server))
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


def test_untrusted_server_names_the_system_store(shim, tls_server, tmp_path):
    d = system_certs_dir(tmp_path)
    marker = tmp_path / "ran"
    p = in_private_mounts(shim, [(str(d), "/etc/ssl/certs")],
                          ["--", "touch", str(marker)], tls_env(tls_server))
    line = fails_closed(p, marker)
    assert ("the server's certificate does not chain to a CA of the system "
            "store (/etc/ssl/certs/ca-certificates.crt, /etc/ssl/certs): "
            "put the CA that signed it (PEM) in INFISICAL_CA_CERT_FILE") in line


def test_without_a_system_store_the_built_in_roots_are_used(
        shim, tls_server, tmp_path):
    """FROM scratch: no /etc/ssl at all. A private CA is not among the
    built-in roots, and the message says which store was used."""
    marker = tmp_path / "ran"
    p = in_private_mounts(shim, [(None, "/etc/ssl"), (None, "/etc/pki")],
                          ["--", "touch", str(marker)], tls_env(tls_server))
    line = fails_closed(p, marker)
    assert "does not chain to a CA of the roots built into infx-exec" in line
    assert tls_server.requests == []


@pytest.mark.parametrize("var, content, why", [
    ("INFISICAL_CA_CERT_FILE", None, "No such file or directory"),
    ("INFISICAL_CA_CERT_FILE", "not a certificate\n", "holds no certificate"),
    ("INFISICAL_CA_CERT_FILE", "", "holds no certificate"),
    ("SSL_CERT_FILE", None, "No such file or directory"),
    ("SSL_CERT_DIR", None, "is not a directory"),
])
def test_a_ca_setting_that_cannot_work_is_refused_before_any_request(
        shim, tls_server, tmp_path, var, content, why):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    marker = tmp_path / "ran"
    p = run(shim, ["--", "touch", str(marker)],
            tls_env(tls_server, **{var: str(path)}))
    line = fails_closed(p, marker)
    assert var in line and why in line
    assert tls_server.requests == []


# -- http:// and https:// to the wrong kind of server ------------------------

@timing
def test_https_url_to_a_plain_http_server(shim, server, tmp_path):
    marker = tmp_path / "ran"
    start = time.monotonic()
    p = run(shim, ["--", "touch", str(marker)],
            base_env(server, INFISICAL_API_URL=server.url.replace(
                "http://", "https://"), INFX_TIMEOUT="60"))
    line = fails_closed(p, marker)
    assert "answered the TLS handshake in plain HTTP" in line
    assert "http://" in line
    assert time.monotonic() - start < 30	# at once, not after 60 s


@timing
def test_http_url_to_a_tls_server(shim, tls_server, tmp_path):
    marker = tmp_path / "ran"
    start = time.monotonic()
    p = run(shim, ["--", "touch", str(marker)],
            base_env(tls_server, INFISICAL_API_URL=tls_server.url.replace(
                "https://", "http://"), INFX_TIMEOUT="60"))
    line = fails_closed(p, marker)
    assert "the server speaks TLS, not plain HTTP" in line
    assert "https://" in line
    assert time.monotonic() - start < 30	# at once, not after 60 s


# -- verification results: a matrix of good and bad chains ------------------

@pytest.fixture(scope="module")
def chains(tmp_path_factory, pki):
    """Servers' certificates, each as (cert file to serve, key)."""
    d = tmp_path_factory.mktemp("chains")
    inter = certs.make_intermediate(d, pki["ca_pair"])
    leaf, leaf_key = certs.make_server_cert(d, inter, name="via-inter")
    chain = d / "via-inter-full.pem"
    chain.write_bytes(open(leaf, "rb").read() + open(inter[0], "rb").read())
    expired = certs.make_expired_server_cert(d, pki["ca_pair"])
    ip_only = certs.make_server_cert(d, pki["ca_pair"], names=["127.0.0.1"],
                                     name="ip-only")
    root_and_inter = d / "root-and-inter.pem"
    root_and_inter.write_bytes(open(pki["ca"], "rb").read() +
                               open(inter[0], "rb").read())
    return {"leaf-only": (str(leaf), leaf_key),
            "leaf-and-intermediate": (str(chain), leaf_key),
            "expired": expired, "ip-only": ip_only,
            "root": pki["ca"], "root-and-intermediate": str(root_and_inter)}


@pytest.mark.parametrize("served, trusted, host, ok, words", [
    ("leaf-and-intermediate", "root", "127.0.0.1", True, None),
    ("leaf-only", "root", "127.0.0.1", False,
     "unable to get local issuer certificate"),
    ("leaf-only", "root-and-intermediate", "127.0.0.1", True, None),
    ("expired", "root", "127.0.0.1", False, "certificate has expired"),
    ("ip-only", "root", "127.0.0.1", True, None),
    ("ip-only", "root", "localhost", False, "not for this host name"),
])
@pytest.mark.parametrize("store", ["file", "directory"])
def test_verification_matrix(shim, data, chains, tmp_path, store, served,
                             trusted, host, ok, words):
    srv = InfisicalServer(data, tls=tuple(map(str, chains[served])))
    srv.start()
    try:
        if store == "file":
            trust = {"INFISICAL_CA_CERT_FILE": chains[trusted]}
        else:
            d = tmp_path / "dir"
            d.mkdir()
            pem = open(chains[trusted], "rb").read().split(b"-----END")
            for i, part in enumerate(pem[:-1]):
                (d / f"{i}.pem").write_bytes(part + b"-----END CERTIFICATE"
                                             b"-----\n")
            subprocess.run(["openssl", "rehash", str(d)], check=True)
            trust = {"SSL_CERT_DIR": str(d)}
        port = srv.url.rsplit(":", 1)[1]
        env = base_env(srv, INFISICAL_API_URL=f"https://{host}:{port}",
                       **trust)
        marker = tmp_path / "ran"
        p = run(shim, ["--", "touch", str(marker)], env)
        if ok:
            assert p.returncode == 0, p.stderr
            assert marker.exists()
        else:
            assert words in fails_closed(p, marker)
    finally:
        srv.stop()


# -- a TLS proxy ---------------------------------------------------------------

def test_https_proxy_with_a_private_ca(shim, data, pki, tmp_path):
    """The proxy is verified with the same trust as the server: one file
    holds the CA of both."""
    from proxies import Proxy
    name = "infisical.internal.invalid"
    cert, key = certs.make_server_cert(pki["dir"], pki["ca_pair"],
                                       names=[name], name="named-for-proxy")
    srv = InfisicalServer(data, tls=(str(cert), str(key)))
    srv.start()
    port = int(srv.url.rsplit(":", 1)[1])
    proxy = Proxy(port, tls=(str(pki["cert"]), str(pki["key"])))
    try:
        env = base_env(srv, INFISICAL_API_URL=f"https://{name}:{port}",
                       https_proxy=proxy.url,
                       INFISICAL_CA_CERT_FILE=str(pki["ca"]))
        p = run(shim, ENV0, env)
        assert p.returncode == 0, p.stderr
        assert [s[0] for s in proxy.seen] == ["CONNECT"]
        marker = tmp_path / "ran"
        other = certs.make_unrelated_ca(tmp_path)
        p = run(shim, ["--", "touch", str(marker)],
                dict(env, INFISICAL_CA_CERT_FILE=str(other[0])))
        line = fails_closed(p, marker)
        assert "the proxy's certificate does not chain" in line
    finally:
        proxy.stop()
        srv.stop()
