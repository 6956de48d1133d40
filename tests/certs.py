"""Test certificates made with the openssl command line tool.

    ca = make_ca(tmpdir)                                   # (ca_cert, ca_key)
    cert, key = make_server_cert(tmpdir, ca)               # SAN IP:127.0.0.1, DNS:localhost
    other_ca = make_unrelated_ca(tmpdir)                   # a CA that signed nothing we serve
    cert, key = make_self_signed(tmpdir)                   # self-signed server cert
    inter = make_intermediate(tmpdir, ca)                  # (cert, key) of a sub-CA
    cert, key = make_expired_server_cert(tmpdir, ca)       # expired in 2020

All functions return file paths (str).  Keys are unencrypted, mode 0600.
key_type is "rsa" (2048 bit, the most widely supported) or "ec" (P-256).
"""

import ipaddress
import os
import secrets
import subprocess

__all__ = ["make_ca", "make_server_cert", "make_unrelated_ca", "make_self_signed", "san_entries",
           "make_intermediate", "make_expired_server_cert"]


def _openssl(*args):
    proc = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s" % (" ".join(args),
                                                      proc.stderr.decode("utf-8", "replace")))
    return proc.stdout


def _newkey_args(key_type):
    if key_type == "rsa":
        return ["-newkey", "rsa:2048"]
    if key_type == "ec":
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    raise ValueError("key_type must be 'rsa' or 'ec'")


def _write(path, text):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def san_entries(names):
    """["127.0.0.1", "localhost"] -> "IP:127.0.0.1,DNS:localhost"."""
    out = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            out.append("IP:%s" % name)
        except ValueError:
            out.append("DNS:%s" % name)
    return ",".join(out)


def _paths(dir, name):
    """The folder (made if missing) and the .pem, .key and .csr paths of
    name in it."""
    dir = str(dir)
    os.makedirs(dir, exist_ok=True)
    return (dir,) + tuple(os.path.join(dir, name + ext) for ext in (".pem", ".key", ".csr"))


def make_ca(dir, name="ca", cn="infx-exec test CA", key_type="rsa", days=3650):
    """Create a self-signed CA: returns (ca_cert, ca_key)."""
    dir, cert, key, _ = _paths(dir, name)
    cfg = _write(os.path.join(dir, name + ".cnf"), (
        "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n"
        "[dn]\nCN = %s\n"
        "[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n") % cn)
    _openssl("req", "-x509", "-new", *_newkey_args(key_type), "-nodes", "-sha256",
             "-days", str(days), "-config", cfg, "-keyout", key, "-out", cert)
    os.chmod(key, 0o600)
    return cert, key


def make_server_cert(dir, ca, names=("127.0.0.1", "localhost"), name="server", cn=None,
                     key_type="rsa", days=825):
    """Create a server certificate signed by ca=(ca_cert, ca_key): returns (cert, key)."""
    dir, cert, key, csr = _paths(dir, name)
    names = list(names)
    ca_cert, ca_key = ca
    cfg = _write(os.path.join(dir, name + ".cnf"),
                 "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = %s\n"
                 % (cn or names[0]))
    ext = _write(os.path.join(dir, name + ".ext"), (
        "basicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid,issuer\n"
        "subjectAltName = %s\n") % san_entries(names))
    _openssl("req", "-new", *_newkey_args(key_type), "-nodes", "-config", cfg,
             "-keyout", key, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-set_serial", "0x" + secrets.token_hex(16), "-days", str(days), "-sha256",
             "-extfile", ext, "-out", cert)
    os.chmod(key, 0o600)
    # a chain file (leaf + CA) is handy for servers that must send the chain
    with open(cert, encoding="utf-8") as a, open(ca_cert, encoding="utf-8") as b:
        _write(os.path.join(dir, name + "-chain.pem"), a.read() + b.read())
    return cert, key


def make_unrelated_ca(dir, name="unrelated-ca", key_type="rsa"):
    """A second, independent CA (for "unknown CA" tests): returns (ca_cert, ca_key)."""
    return make_ca(dir, name=name, cn="Unrelated test CA", key_type=key_type)


def make_self_signed(dir, names=("127.0.0.1", "localhost"), name="selfsigned", key_type="rsa",
                     days=825):
    """A self-signed server certificate (no CA): returns (cert, key)."""
    dir, cert, key, _ = _paths(dir, name)
    names = list(names)
    cfg = _write(os.path.join(dir, name + ".cnf"), (
        "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3\n"
        "[dn]\nCN = %s\n"
        "[v3]\nbasicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth\nsubjectAltName = %s\n") % (names[0], san_entries(names)))
    _openssl("req", "-x509", "-new", *_newkey_args(key_type), "-nodes", "-sha256",
             "-days", str(days), "-config", cfg, "-keyout", key, "-out", cert)
    os.chmod(key, 0o600)
    return cert, key


def make_intermediate(dir, ca, name="intermediate", cn="infx-exec test intermediate CA"):
    """A CA certificate signed by ca=(ca_cert, ca_key): returns (cert, key)."""
    dir, cert, key, csr = _paths(dir, name)
    ca_cert, ca_key = ca
    cfg = _write(os.path.join(dir, name + ".cnf"),
                 "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = %s\n" % cn)
    ext = _write(os.path.join(dir, name + ".ext"), (
        "basicConstraints = critical,CA:TRUE,pathlen:0\n"
        "keyUsage = critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid,issuer\n"))
    _openssl("req", "-new", *_newkey_args("rsa"), "-nodes", "-config", cfg,
             "-keyout", key, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-set_serial", "0x" + secrets.token_hex(16), "-days", "3650", "-sha256",
             "-extfile", ext, "-out", cert)
    os.chmod(key, 0o600)
    return cert, key


def make_expired_server_cert(dir, ca, names=("127.0.0.1", "localhost"), name="expired"):
    """A server certificate of ca that expired in 2020 (openssl ca, which
    takes explicit dates): returns (cert, key)."""
    dir, cert, key, csr = _paths(dir, name)
    ca_cert, ca_key = ca
    db = os.path.join(dir, name + ".db")
    _write(db, "")
    cfg = _write(os.path.join(dir, name + ".cnf"), (
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = %s\n"
        "[ca]\ndefault_ca = test\n"
        "[test]\ndatabase = %s\nnew_certs_dir = %s\nserial = %s\n"
        "default_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n"
        "[any]\ncommonName = supplied\n"
        "[ext]\nbasicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth\nsubjectAltName = %s\n")
        % (names[0], db, dir, os.path.join(dir, name + ".serial"), san_entries(names)))
    _write(os.path.join(dir, name + ".serial"), secrets.token_hex(8) + "\n")
    _openssl("req", "-new", *_newkey_args("rsa"), "-nodes", "-config", cfg,
             "-keyout", key, "-out", csr)
    _openssl("ca", "-batch", "-config", cfg, "-cert", ca_cert, "-keyfile", ca_key,
             "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
             "-extensions", "ext", "-notext", "-in", csr, "-out", cert)
    os.chmod(key, 0o600)
    return cert, key
