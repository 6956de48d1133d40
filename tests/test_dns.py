"""Name resolution as in a Kubernetes pod, through the real binary: a
resolv.conf with a `search` list and `options ndots:5`, a name whose answer
is too large for UDP (truncated, then asked again over TCP), /etc/hosts, and
a nameserver that never answers.

The DNS server is tests/dns_stub.py on a loopback address; the test's own
resolv.conf and hosts are bind-mounted over the system's in a private mount
namespace (unshare -m), so nothing outside the test sees them. musl 1.2.3's
resolver has no TCP fallback: the static build resolves with c-ares
(scripts/build-deps.sh), the dev build with glibc."""
import os
import shutil
import time

import pytest

from conftest import ENV0, base_env, child_env, run
from dns_stub import DnsStub

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"),
    reason="needs root and unshare(1): a mount namespace and port 53")

SEARCH = ["app.svc.cluster.local", "svc.cluster.local", "cluster.local"]
SERVICE = "infisical.infisical"      # a service in another namespace
HEADLESS = "infisical-headless.infisical"
# 40 addresses: 660 bytes, more than a plain (non-EDNS) UDP answer holds.
# The test server listens on the first; nothing listens on the others.
HEADLESS_ADDRESSES = ["127.0.0.1"] + ["127.0.1.%d" % i for i in range(1, 40)]


@pytest.fixture
def dns():
    stub = DnsStub({
        SERVICE + ".svc.cluster.local": ["127.0.0.1"],
        HEADLESS + ".svc.cluster.local": HEADLESS_ADDRESSES,
    })
    stub.start()
    yield stub
    stub.stop()


def in_pod(tmp_path, dns, hosts=""):
    """Words that run a command with the pod's resolv.conf and hosts
    mounted over the system's, in a mount namespace of its own."""
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("search %s\nnameserver %s\noptions ndots:5\n"
                      % (" ".join(SEARCH), dns.address))
    etc_hosts = tmp_path / "hosts"
    etc_hosts.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost\n" + hosts)
    script = ('mount --bind "$1" /etc/resolv.conf && '
              'mount --bind "$2" /etc/hosts && shift 2 && exec "$@"')
    return ["unshare", "-m", "--", "sh", "-c", script, "sh", str(resolv),
            str(etc_hosts)]


def api_url(server, host):
    return "http://%s:%d" % (host, server.port)


def test_service_name_through_the_search_list(shim, server, dns, tmp_path):
    """ndots:5: a name with fewer dots is tried with each search domain
    first, in order; the second one holds it."""
    env = base_env(server, INFISICAL_API_URL=api_url(server, SERVICE))
    p = run(shim, ENV0, env, via=in_pod(tmp_path, dns))
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
    asked = dns.names_asked(qtype="A")
    assert asked[:2] == [SERVICE + "." + SEARCH[0], SERVICE + "." + SEARCH[1]]


def test_answer_too_large_for_udp_is_asked_again_over_tcp(shim, server, dns,
                                                          tmp_path):
    """A headless service with many endpoints: the UDP answer comes back
    truncated (TC, no records), the full one only over TCP."""
    env = base_env(server, INFISICAL_API_URL=api_url(server, HEADLESS),
                   INFX_TIMEOUT="10")
    p = run(shim, ENV0, env, via=in_pod(tmp_path, dns))
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"
    full = HEADLESS + ".svc.cluster.local"
    assert full in dns.names_asked("udp", "A")
    assert full in dns.names_asked("tcp", "A")


def test_etc_hosts_is_still_read(shim, server, dns, tmp_path):
    """A name only /etc/hosts knows (the DNS server answers NXDOMAIN)."""
    env = base_env(server, INFISICAL_API_URL=api_url(server, "infisical.local"),
                   INFX_TIMEOUT="10")
    via = in_pod(tmp_path, dns, hosts="127.0.0.1\tinfisical.local\n")
    p = run(shim, ENV0, env, via=via)
    assert p.returncode == 0, p.stderr
    assert child_env(p.stdout)[b"API_KEY"] == b"fake-api-key-123"


def test_silent_nameserver_ends_at_the_deadline(shim, server, dns, tmp_path):
    """A nameserver that never answers: the resolver's own timeouts
    (here 5 s a try, several tries per search domain) do not outlast
    INFX_TIMEOUT; the shim fails closed, naming the host."""
    dns.drop = True
    marker = tmp_path / "ran"
    env = base_env(server, INFISICAL_API_URL=api_url(server, SERVICE),
                   INFX_TIMEOUT="3")
    start = time.monotonic()
    p = run(shim, ["--", "touch", str(marker)], env,
            via=in_pod(tmp_path, dns), timeout=60)
    elapsed = time.monotonic() - start
    assert p.returncode == 125, p.stderr
    assert not marker.exists()
    lines = p.stderr.decode().splitlines()
    assert lines[-1].startswith("infx-exec: ") and SERVICE in lines[-1], lines
    assert dns.names_asked()
    # Slack for a loaded machine and emulation, far below the resolvers'
    # own give-up times (c-ares: 4 tries of 5, 10, 20, 40 s per name).
    assert elapsed < 3 + 10, elapsed
