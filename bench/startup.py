"""Start-up latency (infx-exec against a curl floor, a shell script, the Node
SDK), start-up by trust store (issue 9's rows), and many starts at once.

Each bench_* function returns plain data (dicts, lists, numbers, strings)
for bench/out/results.json; nothing here writes the report.
"""
import collections
import gc
import os
import random
import re
import statistics
import subprocess
import time

from common import (BASE_ENV, BENCH, MISSING_COMMAND, SYSTEM_BUNDLE, SYSTEM_CA_DIR, Server,
                    fetch, list_query, log, login_body, pct, secrets_of, make_data, sh,
                    shim_env, which, write_data)


class Contender:
    """One row of a timing table: a chain of commands, timed as one."""

    def __init__(self, key, label, chain, group, check_cmd=None, transport="HTTP",
                 note="", tag=None, reference=None, expect=None, where="host"):
        self.key = key
        self.label = label
        self.chain = chain          # [(argv, env, expected exit code)]
        self.group = group          # "shim", "floor", "script", "node", "ref", "trust"
        self.check_cmd = check_cmd  # argv prefix + env for the environment check
        self.transport = transport
        self.note = note
        self.tag = tag              # trust rows: "a", "b"...
        self.reference = reference  # trust rows: key of the row they are compared with
        self.expect = expect        # trust rows: "secrets" or "verification failure"
        self.where = where          # trust rows: which root they run in
        self.times = []
        self.cpu = []
        self.failures = 0
        self.requests = None
        self.connections = None
        self.paths = None
        self.error = None
        self.stderr = None

    def median(self):
        return statistics.median(self.times) if self.times else None

    def to_json(self):
        return {
            "key": self.key, "label": self.label, "group": self.group,
            "transport": self.transport, "note": self.note, "tag": self.tag,
            "reference": self.reference, "expect": self.expect, "where": self.where,
            "median": self.median(), "p95": pct(self.times, 95) if self.times else None,
            "cpu": statistics.median(self.cpu) if self.cpu else None,
            "ok": len(self.times), "runs": len(self.times) + self.failures,
            "failures": self.failures, "requests": self.requests,
            "connections": self.connections, "error": self.error, "stderr": self.stderr,
            "exit": self.chain[-1][2], "times": self.times, "cpu_times": self.cpu,
        }


def curl_floor(curl, url, token, extra):
    """curl: the login, then the list on the same connection (--next)."""
    return [curl, "-fsS", "-o", "/dev/null"] + extra + [
        "-H", "Content-Type: application/json", "-d", login_body(),
        url + "/api/v1/auth/universal-auth/login",
        "--next", "-fsS", "-o", "/dev/null"] + extra + [
        "-H", "Authorization: Bearer " + token,
        url + "/api/v4/secrets?" + list_query()]


def host_contenders(args, pki, urls, tokens):
    """The rows of the start-up table: infx-exec, the curl floor, the script
    and the Node launcher per transport, then process-start references."""
    curl, jq, node = which("curl"), which("jq"), which("node")
    true = "/bin/true"
    B = args.bin
    bundle, certs = pki["bundle"], pki["bundle_certs"]
    variants = [
        ("http", "HTTP", urls["HTTP"], {}, []),
        ("https-ca", "HTTPS, private CA file (1 root)", urls["HTTPS"],
         {"INFISICAL_CA_CERT_FILE": pki["ca"]}, ["--cacert", pki["ca"]]),
        ("https-bundle", "HTTPS, system CA bundle + test CA (%d roots)" % certs,
         urls["HTTPS"], {"SSL_CERT_FILE": bundle}, ["--cacert", bundle]),
        ("https-dir", "HTTPS, the same %d roots as a hashed directory" % certs,
         urls["HTTPS"], {"SSL_CERT_DIR": pki["certdir"]}, ["--capath", pki["certdir"]]),
    ]
    cs = []
    entry = os.path.join(BENCH, "entrypoint.sh")
    launcher = os.path.join(BENCH, "sdk-launcher.js")
    for vkey, vlabel, url, shim_extra, curl_extra in variants:
        scheme = "HTTPS" if url.startswith("https") else "HTTP"
        env = shim_env(url, **shim_extra)
        cs.append(Contender("shim-" + vkey, "infx-exec (static) -- /bin/true",
                            [([B, "--", true], env, 0)], "shim",
                            check_cmd=([B, "--"], env), transport=vlabel))
        # Debian's curl always loads its built-in bundle as well, even with
        # --capath: no floor of its own for the directory.
        if curl and vkey != "https-dir":
            cs.append(Contender(
                "floor-" + vkey, "floor: curl login --next list (1 connection), then /bin/true",
                [(curl_floor(curl, url, tokens[scheme], curl_extra), dict(BASE_ENV), 0),
                 ([true], dict(BASE_ENV), 0)], "floor", transport=vlabel))
        if curl and jq and vkey in ("http", "https-bundle"):
            senv = dict(env)
            if vkey == "https-bundle":
                senv["CURL_CA_BUNDLE"] = bundle
            cs.append(Contender("script-" + vkey, "sh + curl + jq entrypoint (bench/entrypoint.sh)",
                                [(["/bin/sh", entry, true], senv, 0)], "script",
                                check_cmd=(["/bin/sh", entry], senv), transport=vlabel))
        if node and args.sdk_version and vkey in ("http", "https-bundle"):
            nenv = dict(env)
            if vkey == "https-bundle":
                nenv.pop("SSL_CERT_FILE", None)
                nenv["NODE_EXTRA_CA_CERTS"] = pki["ca"]
            cs.append(Contender("node-" + vkey, "Node %s + @infisical/sdk %s launcher (bench/sdk-launcher.js)"
                                % (args.node_version, args.sdk_version),
                                [([node, launcher, true], nenv, 0)], "node",
                                check_cmd=([node, launcher], nenv), transport=vlabel,
                                note="Node's own roots + NODE_EXTRA_CA_CERTS" if vkey == "https-bundle" else ""))
    cs.append(Contender("true", "the command alone: /bin/true", [([true], dict(BASE_ENV), 0)],
                        "ref", transport="none"))
    cs.append(Contender("shim-version", "infx-exec --version (process start only)",
                        [([B, "--version"], dict(BASE_ENV), 0)], "ref", transport="none"))
    if curl:
        cs.append(Contender("curl-version", "curl --version (process start only)",
                            [([curl, "--version"], dict(BASE_ENV), 0)], "ref", transport="none"))
    if node and args.sdk_version:
        sdk = os.path.join(BENCH, "node_modules", "@infisical", "sdk")
        cs.append(Contender("node-sdk-load", "node -e \"require('@infisical/sdk')\" (start + SDK load only)",
                            [([node, "-e", "require('%s')" % sdk], dict(BASE_ENV), 0)], "ref",
                            transport="none"))
    return cs, variants


def trust_contenders(pki, url, inroot):
    """Issue 9's rows: the same start-up with each trust store, every row run
    through bench/inroot.c in a root of its own (so that no store of the
    machine is seen): the store root holds the binary, the one-root CA file
    and /etc/ssl/certs (the system bundle with the test CA appended, and the
    same roots hashed); the empty root only the binary and a CA file of an
    unrelated CA."""
    if not inroot:
        return []
    store, empty = pki["store_root"], pki["empty_root"]
    env = lambda **kw: shim_env(url, **kw)  # noqa: E731
    rows = [
        ("trust-a", "a", store, {"INFISICAL_CA_CERT_FILE": "/ca.pem"},
         "INFISICAL_CA_CERT_FILE=/ca.pem (the test CA: 1 root)", None, "secrets"),
        ("trust-b", "b", store, {"SSL_CERT_FILE": SYSTEM_BUNDLE},
         "SSL_CERT_FILE=%s (%d roots)" % (SYSTEM_BUNDLE, pki["bundle_certs"]), "trust-a", "secrets"),
        ("trust-c", "c", store, {"SSL_CERT_DIR": SYSTEM_CA_DIR},
         "SSL_CERT_DIR=%s (the same roots, hashed)" % SYSTEM_CA_DIR, "trust-a", "secrets"),
        ("trust-system", "s", store, {},
         "no variable: the system store (%s and its hashed links)" % SYSTEM_BUNDLE, "trust-a", "secrets"),
        ("trust-a-fail", "a'", empty, {"INFISICAL_CA_CERT_FILE": "/other-ca.pem"},
         "INFISICAL_CA_CERT_FILE=/other-ca.pem (1 unrelated root)", None, "verification failure"),
        ("trust-d", "d", empty, {}, "no variable, no store: the built-in roots", "trust-a-fail",
         "verification failure"),
    ]
    out = []
    for key, tag, root, extra, label, ref, expect in rows:
        want = 127 if expect == "secrets" else 125
        argv = [inroot, "--root", root, "/infx-exec", "--", MISSING_COMMAND]
        out.append(Contender(key, label, [(argv, env(**extra), want)], "trust",
                             transport="HTTPS", tag=tag, reference=ref, expect=expect,
                             where="store root" if root == store else "empty root"))
    return out


def check_environment(c, expected):
    """Run a launcher once with env -0 as its command: every secret there?"""
    prefix, env = c.check_cmd
    p = subprocess.run(prefix + ["/usr/bin/env", "-0"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    got = {}
    for entry in p.stdout.split(b"\0"):
        if entry:
            k, _, v = entry.partition(b"=")
            got[k.decode(errors="replace")] = v.decode(errors="replace")
    missing = [k for k, v in expected.items() if got.get(k) != v]
    if p.returncode != 0 or missing:
        c.error = "exit %d, %d of %d secrets wrong or missing; %s" % (
            p.returncode, len(missing), len(expected),
            p.stderr.decode(errors="replace").strip()[-300:])


def check_trust_row(c, srv):
    """A trust row once: the expected exit status, and the requests that go
    with it (login and list; none when the handshake fails)."""
    argv, env, want = c.chain[0]
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
    line = p.stderr.decode(errors="replace").strip().splitlines()
    c.stderr = re.sub(r":\d+/", ":PORT/", line[-1])[:300] if line else ""
    st = srv.stats()
    c.requests, c.connections = st["total"], st["connections"]
    need = 2 if c.expect == "secrets" else 0
    if p.returncode != want or st["total"] != need:
        c.error = "exit %d (expected %d), %d requests (expected %d): %s" % (
            p.returncode, want, st["total"], need, c.stderr)


def time_rounds(args, active, runner):
    """Rounds, each running every contender once in a shuffled order."""
    rnd = random.Random(42)
    rounds = args.warmup + args.runs
    log("start-up: %d rows x %d runs (+%d warm-up)" % (len(active), args.runs, args.warmup))
    gc.disable()
    try:
        for r in range(rounds):
            order = list(active)
            rnd.shuffle(order)
            for c in order:
                dt, cpu, rc = runner.run_chain(c.chain, c.key)
                if r < args.warmup:
                    continue
                if rc != 0:
                    c.failures += 1
                    continue
                c.times.append(dt)
                c.cpu.append(cpu)
    finally:
        gc.enable()


def curl_round_trips(args, variants, tokens):
    """Where the floor's time goes: curl's own timers for each request."""
    curl = which("curl")
    rt = []
    if not curl:
        return rt
    fmt = "%{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}\\n"
    for vkey, vlabel, url, _, curl_extra in variants:
        if vkey == "https-dir":
            continue
        scheme = "HTTPS" if url.startswith("https") else "HTTP"
        argv = curl_floor(curl, url, tokens[scheme], curl_extra)
        i = argv.index("--next")        # -w after each URL: one line per request
        argv = argv[:i] + ["-w", fmt] + argv[i:] + ["-w", fmt]
        login_t, list_t, conn_t = [], [], []
        for _ in range(max(5, args.runs // 2)):
            vals = [float(x) for x in sh(argv, env=dict(BASE_ENV)).split()]
            login_t.append(vals[3])
            conn_t.append(vals[1] if scheme == "HTTPS" else vals[0])
            list_t.append(vals[7])      # -w times are per transfer
        rt.append({"key": vkey, "label": vlabel, "login": statistics.median(login_t),
                   "connect": statistics.median(conn_t), "list": statistics.median(list_t)})
    return rt


def bench_latency(args, tmp, pki, runner, inroot):
    n = args.latency_secrets
    data_file = write_data(n, tmp)
    expected = secrets_of(make_data(n))
    srv_http = Server(data_file)
    srv_tls = Server(data_file, tls=(pki["cert"], pki["key"]))
    servers = {"HTTP": srv_http, "HTTPS": srv_tls}
    try:
        urls = {"HTTP": srv_http.url, "HTTPS": srv_tls.url}
        tokens = {"HTTP": fetch(srv_http.url)[0],
                  "HTTPS": fetch(srv_tls.url, cafile=pki["ca"])[0]}
        cs, variants = host_contenders(args, pki, urls, tokens)
        trust = trust_contenders(pki, srv_tls.url, inroot)

        # 1. Correctness and requests: each row once, with its requests counted.
        for c in cs + trust:
            srv = servers["HTTPS" if c.transport.startswith("HTTPS") else "HTTP"]
            srv.clear()
            if c.group == "trust":
                check_trust_row(c, srv)
            else:
                if c.check_cmd:
                    check_environment(c, expected)
                else:
                    _, _, rc = runner.run_chain(c.chain, c.key)
                    if rc != 0:
                        c.error = "exit %d" % rc
                if c.transport != "none":
                    st = srv.stats()
                    c.requests, c.connections, c.paths = st["total"], st["connections"], st["paths"]
            if c.error:
                log("%s (%s): %s" % (c.label, c.transport, c.error))

        # 2. Timing, host and trust rows interleaved.
        time_rounds(args, [c for c in cs + trust if not c.error], runner)

        # 3. Where the floor's time goes.
        rt = curl_round_trips(args, variants, tokens)
    finally:
        srv_http.close()
        srv_tls.close()
    return cs, trust, rt


def startup_results(args, pki, cs, trust, rt, body_bytes):
    """The start-up and trust tables as data."""
    by = {c.key: c for c in cs}
    floors = {c.transport: c for c in cs if c.group == "floor" and c.times}
    # Debian's curl loads its built-in bundle even with --capath: the
    # hashed-directory row is compared with the one-root floor.
    if "shim-https-dir" in by and "floor-https-ca" in by and by["floor-https-ca"].times:
        floors[by["shim-https-dir"].transport] = by["floor-https-ca"]
    rows = []
    for c in cs:
        if not c.times and not c.error:
            continue
        d = c.to_json()
        fl = floors.get(c.transport)
        d["vs_floor"] = d["median"] / fl.median() if fl and d["median"] else None
        rows.append(d)
    for r in rt:
        fl, shim = by.get("floor-" + r["key"]), by.get("shim-" + r["key"])
        both = r["login"] + r["list"]
        r["floor_median"] = fl.median() if fl else None
        r["floor_rest"] = fl.median() - both if fl and fl.times else None
        r["shim_rest"] = shim.median() - both if shim and shim.times else None
    sdk = [c for c in cs if c.group == "node" and c.paths]
    tby = {c.key: c for c in trust}
    trows = []
    for c in trust:
        d = c.to_json()
        ref = tby.get(c.reference)
        d["vs_reference"] = d["median"] / ref.median() if ref and ref.times and d["median"] else None
        d["reference_tag"] = ref.tag if ref else None
        trows.append(d)
    return {
        "startup": {
            "secrets": args.latency_secrets, "body_bytes": body_bytes,
            "bundle_certs": pki["bundle_certs"], "runs": args.runs, "warmup": args.warmup,
            "rows": rows,
            "sdk_paths": [{"path": k.split("?")[0], "count": v}
                          for k, v in sorted(sdk[0].paths.items())] if sdk else [],
            "round_trips": rt, "round_trip_runs": max(5, args.runs // 2),
        },
        "trust": {
            "measured": bool(trust), "skipped": pki.get("roots_error"),
            "bundle_certs": pki["bundle_certs"], "builtin_certs": pki.get("builtin_certs"),
            "rows": trows,
        },
    }


# --------------------------------------------------------------------------- many starts

def bench_herd(args, tmp, runner):
    data_file = write_data(args.latency_secrets, tmp)
    rate = {"window": 2, "write": 200, "secrets": 40}
    res = {"rate": rate, "runs": []}
    for count in args.herd_sizes:
        with Server(data_file, rate=rate) as srv:
            env = shim_env(srv.url)
            name = "herd-%d" % count
            open(os.path.join(runner.logdir, name + ".stderr"), "w").close()
            pending = {}
            t0 = time.perf_counter()
            for _ in range(count):
                pid = runner.spawn([args.bin, "--", "/bin/true"], env, name)
                pending[pid] = None
            spawned = time.perf_counter() - t0
            done = []
            failures = 0
            codes = collections.Counter()
            while pending:
                pid, status, _ = os.wait4(-1, 0)
                if pid not in pending:
                    continue
                del pending[pid]
                rc = os.waitstatus_to_exitcode(status)
                codes[rc] += 1
                if rc != 0:
                    failures += 1
                done.append(time.perf_counter() - t0)
            st = srv.stats()
            errs = collections.Counter()
            for line in open(os.path.join(runner.logdir, name + ".stderr"), errors="replace"):
                errs[re.sub(r"\d+", "N", line.strip())[:160]] += 1
            res["runs"].append({
                "count": count, "spawn_s": spawned, "last_s": max(done),
                "median_s": statistics.median(done), "failures": failures,
                "codes": {str(k): v for k, v in codes.items()}, "requests": st["total"],
                "routes": [{"route": k, "count": v} for k, v in sorted(st["routes"].items())],
                "connections": st["connections"], "minimum": 2 * count,
                "vs_minimum": st["total"] / (2.0 * count),
                "lower_bound_s": (-(-count // rate["secrets"]) - 1) * rate["window"],
                "stderr": [{"line": l, "count": k} for l, k in errs.most_common(4)]})
            log("many starts: %d shims, last done after %.2f s, %d requests, %d failures"
                % (count, max(done), st["total"], failures))
    return res
