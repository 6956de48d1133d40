"""HTTPS: private CAs, the trust order, host names, the built-in roots."""
import subprocess

import certs

from conftest import (ENV0, InfisicalServer, base_env, child_env, run, fails_closed)


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
