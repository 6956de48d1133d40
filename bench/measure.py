#!/usr/bin/python3
"""infx-exec benchmarks, the measuring half: start-up latency, start-up by
trust store, size, memory, instructions, many starts.

    bench/run.sh [--smoke]          (installs what is missing, measures, renders)
    /usr/bin/python3 bench/measure.py [--smoke] [--bin build/infx-exec]
                                      [--runs N] [--results FILE]

Writes every number, the machine, and the targets (limit, measured value,
met or missed) to a results file: bench/out/results.json, or
bench/out/results-smoke.json with --smoke. bench/render.py turns a results
file into the report (docs/benchmarks.md, bench/out/benchmarks-smoke.md)
through the template bench/report.md.in; nothing here writes prose.

--smoke: tiny sizes, a few runs, exits 0 unless the harness itself or
infx-exec breaks. A missed target is a measurement, never an error.
Everything runs against the project's own test server (tests/infisical_server.py,
in a separate process, bench/server.py) on 127.0.0.1, with generated data.
Work files go to bench/out/ (git-ignored).
"""
import argparse
import collections
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

from common import (BENCH, MISSING_COMMAND, OUT, PYTHON, ROOT, SYSTEM_BUNDLE, BenchError,
                    Runner, first_line, log, ratio, sh, which)
import costs
import sizes
import startup

sys.path.insert(0, os.path.join(ROOT, "tests"))
import certs  # noqa: E402  (tests/certs.py: throwaway CA and server cert)

SCHEMA = 1

# The targets: limits only; what they mean is in bench/report.md.in.
LIMITS = {
    "floor_http": 1.00,         # infx-exec median / floor median, at most
    "floor_https_ca": 1.00,
    "vs_node": 20.0,            # node median / infx-exec median, at least
    "vs_script": 3.0,           # script median / infx-exec median, at least
    "trust_bundle": 1.10,       # (b) / (a), at most (issue 9)
    "trust_dir": 1.10,          # (c) / (a)
    "trust_builtin": 1.10,      # (d) / (a'), the same failure
    "binary": 3 * 1000 * 1000,  # bytes, stripped
    "rss_http": 4 * 1024,       # KiB at 1,000 secrets (issue 9)
    "rss_https_system": 5 * 1024,
    "ir": 30_000_000,           # per 1,000 secrets, response -> environment (issue 9)
    "herd": 2.0,                # requests <= 2x the minimum, none failed
}


# The whole-run column (bench/costs.py) that runs what each trust row runs.
TRUST_IR_COLUMNS = {
    "trust-a": "HTTPS, private CA", "trust-b": "HTTPS, full bundle",
    "trust-c": "HTTPS, hashed CA dir", "trust-system": "HTTPS, system store",
    "trust-a-fail": "HTTPS, one unrelated root (to the failure)",
    "trust-d": "HTTPS, built-in roots (to the failure)",
}


# --------------------------------------------------------------------------- setup

def pem_blocks(text):
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)


def hashed_dir(path, blocks):
    """One file per root, then OpenSSL's hash links (openssl rehash)."""
    os.makedirs(path, exist_ok=True)
    for i, blk in enumerate(blocks):
        with open(os.path.join(path, "root-%03d.pem" % i), "w") as fh:
            fh.write(blk + "\n")
    sh(["openssl", "rehash", path])


def make_roots(pki, tmp, binary):
    """The roots the trust rows run in (bench/inroot.c):
    store root: /infx-exec, /ca.pem, and /etc/ssl/certs as a system store
      whose admin added the test CA (the bundle with it appended, and the
      same roots hashed);
    empty root: /infx-exec and /other-ca.pem only (a FROM scratch image);
    an empty directory to mount over /etc/ssl for valgrind runs."""
    store = os.path.join(tmp, "root-store")
    certdir = os.path.join(store, "etc", "ssl", "certs")
    os.makedirs(certdir)
    shutil.copy(pki["bundle"], os.path.join(certdir, os.path.basename(SYSTEM_BUNDLE)))
    hashed_dir(certdir, pem_blocks(open(pki["bundle"]).read()))
    shutil.copy(pki["ca"], os.path.join(store, "ca.pem"))
    shutil.copy2(binary, os.path.join(store, "infx-exec"))
    empty = os.path.join(tmp, "root-empty")
    os.makedirs(empty)
    shutil.copy(pki["other_ca"], os.path.join(empty, "other-ca.pem"))
    shutil.copy2(binary, os.path.join(empty, "infx-exec"))
    pki.update({"store_root": store, "store_etc_ssl": os.path.join(store, "etc", "ssl"),
                "empty_root": empty, "empty_etc_ssl": os.path.join(tmp, "empty-etc-ssl")})
    os.makedirs(pki["empty_etc_ssl"])


def make_pki(tmp):
    """A test CA and its server certificate, an unrelated CA, the system
    bundle with the test CA appended and the same roots as a hashed
    directory (what /etc/ssl/certs is on Debian)."""
    ca = certs.make_ca(tmp)
    cert, key = certs.make_server_cert(tmp, ca, names=["127.0.0.1", "localhost"])
    other = certs.make_unrelated_ca(tmp)
    pki = {"ca": ca[0], "cert": cert, "key": key,
           "other_ca": other[0] if isinstance(other, (tuple, list)) else other,
           "bundle": os.path.join(tmp, "bundle-with-test-ca.pem"),
           "certdir": os.path.join(tmp, "certdir")}
    with open(pki["bundle"], "w") as out, open(SYSTEM_BUNDLE) as a, open(pki["ca"]) as b:
        out.write(a.read() + b.read())
    blocks = pem_blocks(open(pki["bundle"]).read())
    pki["bundle_certs"] = len(blocks)
    hashed_dir(pki["certdir"], blocks)
    return pki


def machine_info(args):
    cpu = "?"
    try:
        for line in sh(["lscpu"]).splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except BenchError:
        pass
    dpkg = lambda p: first_line(["dpkg-query", "-W", "-f=${Version}\\n", p])  # noqa: E731
    version = subprocess.run([args.bin, "--version"], stdout=subprocess.PIPE, text=True).stdout
    rows = [
        ("CPU", "%s, %d online CPUs" % (cpu, os.cpu_count())),
        ("Kernel", "%s %s" % (platform.system(), platform.release())),
        ("OS", "Debian " + (open("/etc/debian_version").read().strip()
                            if os.path.exists("/etc/debian_version") else "?")),
        ("infx-exec", version.strip().replace("\n", "; ")),
        ("curl", first_line(["curl", "--version"])),
        ("jq", first_line(["jq", "--version"])),
        ("sh", "dash " + dpkg("dash")),
        ("Node.js", args.node_version or "not installed"),
        ("@infisical/sdk", args.sdk_version or "not installed"),
        ("Python (test server)", first_line([PYTHON, "--version"])),
        ("valgrind", first_line(["valgrind", "--version"])),
        ("musl", dpkg("musl")),
        ("gcc", first_line(["gcc", "--version"])),
        ("Load average at start (1, 5, 15 min)", "%.2f %.2f %.2f" % os.getloadavg()),
    ]
    return [{"name": k, "value": v} for k, v in rows]


# --------------------------------------------------------------------------- targets

def target(limit, value, at_most=True, **detail):
    met = None if value is None else (value <= limit if at_most else value >= limit)
    d = {"limit": limit, "value": value, "met": met}
    d.update(detail)
    return d


def trust_steadier(res):
    """Beside each trust row's wall-clock ratio, two that a loaded machine
    moves less: CPU time, and the instructions of the same run under
    callgrind (whole run), each against the row's reference."""
    rows = {r["key"]: r for r in res["trust"]["rows"]}
    cols = res["whole_run"].get("by_column", {})
    for r in rows.values():
        ref = rows.get(r["reference"])
        col = cols.get(TRUST_IR_COLUMNS.get(r["key"]))
        r["ir"] = col["total"] if col else None
        r["cpu_vs_reference"] = ratio(r["cpu"], ref["cpu"]) if ref else None
        r["ir_vs_reference"] = None
    for r in rows.values():
        ref = rows.get(r["reference"])
        if ref:
            r["ir_vs_reference"] = ratio(r["ir"], ref["ir"])


def compute_targets(res):
    """Every target: its limit, the measured value, met / missed / null."""
    rows = {r["key"]: r for r in res["startup"]["rows"]}
    trows = {r["key"]: r for r in res["trust"]["rows"]}
    med = lambda k: rows[k]["median"] if k in rows else None  # noqa: E731
    tmed = lambda k: trows[k]["median"] if k in trows else None  # noqa: E731
    t = collections.OrderedDict()
    for tid, key in (("floor_http", "http"), ("floor_https_ca", "https-ca")):
        s, f = med("shim-" + key), med("floor-" + key)
        t[tid] = target(LIMITS[tid], ratio(s, f), measured=s, reference=f)
    s = med("shim-http")
    for tid, key in (("vs_node", "node-http"), ("vs_script", "script-http")):
        o = med(key)
        t[tid] = target(LIMITS[tid], ratio(o, s), at_most=False, measured=s, reference=o)
    for tid, key, ref in (("trust_bundle", "trust-b", "trust-a"), ("trust_dir", "trust-c", "trust-a"),
                          ("trust_builtin", "trust-d", "trust-a-fail")):
        row = trows.get(key, {})
        t[tid] = target(LIMITS[tid], ratio(tmed(key), tmed(ref)), measured=tmed(key),
                        reference=tmed(ref), cpu_ratio=row.get("cpu_vs_reference"),
                        ir_ratio=row.get("ir_vs_reference"))
    t["binary"] = target(LIMITS["binary"], res["size"]["bytes"])
    at1000 = next((r for r in res["memory"]["rows"] if r["secrets"] == 1000), None)
    cols = res["memory"]["columns"]
    for tid, col in (("rss_http", "HTTP"), ("rss_https_system", "HTTPS, system store")):
        t[tid] = target(LIMITS[tid], at1000["values"][cols.index(col)] if at1000 else None,
                        secrets=1000)
    fl = (res["instructions"]["flavors"] or [None])[0]
    big = fl["rows"][-1] if fl else None
    t["ir"] = target(LIMITS["ir"], big["per_1000"] if big else None,
                     secrets=big["secrets"] if big else None, flavor=fl["name"] if fl else None)
    runs = res["herd"]["runs"]
    r = max(runs, key=lambda x: x["count"]) if runs else None
    t["herd"] = target(LIMITS["herd"], r["vs_minimum"] if r else None, count=r and r["count"],
                       failures=r and r["failures"], requests=r and r["requests"],
                       minimum=r and r["minimum"])
    if r and r["failures"]:
        t["herd"]["met"] = False
    return t


# --------------------------------------------------------------------------- derived numbers

def fn_of(col, *names):
    f = col.get("functions", {})
    return next((f[n] for n in names if f.get(n)), 0)


def derive_trust(res):
    """The numbers the trust paragraph quotes."""
    trows = {r["key"]: r for r in res["trust"]["rows"] if r["median"]}
    if "trust-a" not in trows:
        return None
    a = trows["trust-a"]["median"]
    d = {"a": a, "bundle_certs": res["trust"]["bundle_certs"]}
    for k, key in (("b", "trust-b"), ("c", "trust-c"), ("s", "trust-system")):
        if key in trows:
            d[k] = trows[key]["median"]
            d[k + "_extra"] = trows[key]["median"] - a
            d[k + "_ratio"] = trows[key]["median"] / a
    if "trust-d" in trows and "trust-a-fail" in trows:
        d["d"], d["a_fail"] = trows["trust-d"]["median"], trows["trust-a-fail"]["median"]
        d["d_extra"] = d["d"] - d["a_fail"]
        d["d_ratio"] = d["d"] / d["a_fail"]
    bc = res["whole_run"].get("by_column", {})
    for k, col in (("bundle", "HTTPS, full bundle"), ("builtin", "HTTPS, built-in roots (to the failure)"),
                   ("dir", "HTTPS, hashed CA dir"), ("system", "HTTPS, system store"),
                   ("one", "HTTPS, private CA")):
        c = bc.get(col)
        if not c:
            continue
        tot = c["total"]
        load = fn_of(c, "X509_STORE_load_file", "X509_load_cert_crl_file_ex")
        blob = fn_of(c, "PEM_X509_INFO_read_bio_ex")
        dec = fn_of(c, "OSSL_DECODER_CTX_new_for_pkey")
        d[k + "_ir"] = tot
        d[k + "_load_share"] = load / tot
        d[k + "_load_ir"] = load
        d[k + "_blob_share"] = blob / tot
        d[k + "_decoder_share"] = dec / tot
        d[k + "_musl_share"] = c["by_origin"].get("musl libc", 0) / tot
    return d


def derive_size(res):
    m = res["size"].get("map")
    if not m:
        return None
    b = res["size"]["bytes"]
    o = {r["origin"]: r["file_bytes"] for r in m["origins"]}
    g = lambda k: o.get(k, 0)  # noqa: E731
    roots = res["size"]["roots"]
    ca = g("embedded CA bundle (infx_ca_bundle)")
    der_saves = ca - roots["der_bytes"] if roots["count"] else 0
    eh = m["total"]["eh_frame"]
    return {"bytes": b, "openssl": g("OpenSSL libcrypto") + g("OpenSSL libssl"),
            "libcrypto_share": g("OpenSSL libcrypto") / b, "libssl_share": g("OpenSSL libssl") / b,
            "libcurl_share": g("libcurl") / b, "roots_share": ca / b, "musl_share": g("musl libc") / b,
            "own_share": (g("cJSON") + g("infx-exec (src/*.o)")) / b, "eh_frame": eh,
            "der_saves": der_saves, "without_both": b - eh - der_saves}


def massif_body(rows):
    """Bytes of the response buffer at the heap's peak: the allocation sites
    (depth 1) in the body buffer's code, or called from it (depth 2)."""
    body, parent = 0, False
    for r in rows:
        hit = "wbuf" in r["what"] or "on_data" in r["what"]
        if r["depth"] == 1:
            parent = hit
            body += r["bytes"] if hit else 0
        elif hit and not parent:
            body += r["bytes"]
    return body


def derive_rss(res):
    mem = res["memory"]
    by_n = {r["secrets"]: dict(zip(mem["columns"], r["values"])) for r in mem["rows"]}
    if 1000 not in by_n or 10 not in by_n:
        return None
    h1, h10 = by_n[1000]["HTTP"], by_n[10]["HTTP"]
    b1000, b10 = mem["bodies"]["1000"]["bytes"], mem["bodies"]["10"]["bytes"]
    r10 = by_n[10]
    d = {"http_1000": h1, "http_10": h10, "per_secret_kib": (h1 - h10) / 990.0,
         "per_json_byte": (h1 - h10) * 1024.0 / (b1000 - b10), "json_per_secret": b1000 / 1000.0,
         "tls_kib": r10["HTTPS, private CA"] - r10["HTTP"],
         "bundle_kib": r10["HTTPS, full bundle"] - r10["HTTPS, private CA"],
         "dir_kib": r10["HTTPS, hashed CA dir"] - r10["HTTP"],
         "system_kib": (r10["HTTPS, system store"] - r10["HTTP"]) if r10["HTTPS, system store"] else None,
         "system_1000": by_n[1000]["HTTPS, system store"],
         "bundle_certs": res["startup"]["bundle_certs"]}
    runs = {r["name"]: r for r in res["memory"]["massif"].get("runs", []) if "heap" in r}
    ms = runs.get("HTTP")
    if ms:
        # cJSON's tree lives on answer.c's arena (tree_malloc); any block
        # cJSON allocates elsewhere counts too.
        cj = sum(r["bytes"] for r in ms["rows"] if r["depth"] == 1 and
                 ("cjson" in r["what"].lower() or "tree_malloc" in r["what"]))
        d.update({"massif_cjson": cj, "massif_cjson_share": cj / ms["heap"],
                  "massif_body": massif_body(ms["rows"]), "body_1000": b1000})
        d["massif_body_share"] = d["massif_body"] / ms["heap"]
    prof = (res["instructions"]["flavors"] or [{}])[0].get("profile") or {}
    if prof.get("secrets") == 1000 and prof["whatif"].get("tree_bytes"):
        d["arena_tree_bytes"] = prof["whatif"]["tree_bytes"]
    return d


def derive_ir(res):
    fls = res["instructions"]["flavors"]
    if not fls or fls[0]["key"] != "driver_musl":
        return None
    p = fls[0]["profile"]
    n, tot = p["secrets"], p["total"]
    body = res["memory"]["bodies"][str(n)]["bytes"]
    o = {r["origin"]: r["ir"] for r in p["by_origin"]}
    return {"per_1000": tot / n * 1000, "per_byte": tot / body, "alloc_share": p["alloc_share"],
            "cjson_share": o.get("cJSON", 0) / tot, "ours_share": o.get("infx-exec", 0) / tot,
            "top_ours": p["ours"][:3], "target_per_byte": LIMITS["ir"] / (body * 1000.0 / n),
            "whatif": p["whatif"]}


def derive_herd(res):
    rate = res["herd"]["rate"]
    runs = res["herd"]["runs"]
    r = max(runs, key=lambda x: x["count"]) if runs else None
    if not r or r["count"] <= rate["secrets"]:
        return None
    q = rate["secrets"]
    waves = -(-r["count"] // q)
    lists = next((x["count"] for x in r["routes"] if x["route"] == "list"), 0)
    return {"count": r["count"], "requests": r["requests"], "vs_minimum": r["vs_minimum"],
            "refused_again": r["count"] - q, "list_requests": lists,
            "waves": " + ".join(str(r["count"] - k * q) for k in range(waves)),
            "independent": r["count"] + (r["count"] - q)}


# --------------------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "infx-exec"))
    ap.add_argument("--runs", type=int)
    ap.add_argument("--results", help="results file (default bench/out/results.json, "
                                      "smoke: bench/out/results-smoke.json)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if args.smoke:
        args.runs, args.warmup = args.runs or 5, 1
        args.latency_secrets = 100
        args.rss_sizes, args.ir_sizes, args.herd_sizes = [10], [10, 100], [10]
        args.rss_runs = 1
    else:
        args.runs, args.warmup = args.runs or 60, 5
        args.latency_secrets = 100
        args.rss_sizes, args.ir_sizes = [10, 1000, 10000], [10, 100, 1000, 10000]
        args.herd_sizes = [50, 200]
        args.rss_runs = 3
    args.results = args.results or os.path.join(
        OUT, "results-smoke.json" if args.smoke else "results.json")
    node = which("node")
    args.node_version = first_line([node, "--version"]) if node else None
    sdk_pkg = os.path.join(BENCH, "node_modules", "@infisical", "sdk", "package.json")
    args.sdk_version = json.load(open(sdk_pkg))["version"] if os.path.exists(sdk_pkg) else None
    return args


def prepare(args):
    """bench/out/run-*/: a private copy of the binary, the PKI, the roots."""
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.startswith("run-"):
            shutil.rmtree(os.path.join(OUT, old), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="run-", dir=OUT)
    # A rebuild of build/ during the run must not pull the binary from under
    # the measurements.
    args.bin_name = os.path.relpath(args.bin, ROOT)
    snapshot = os.path.join(tmp, "infx-exec")
    shutil.copy2(args.bin, snapshot)
    args.bin = snapshot
    logdir = os.path.join(tmp, "logs")
    os.makedirs(logdir)
    pki = make_pki(tmp)
    make_roots(pki, tmp, snapshot)
    return tmp, logdir, pki


def measure(args):
    t_start = time.time()
    if not args.sdk_version:
        log("@infisical/sdk is not installed (bench/install.sh): the Node rows are skipped")
    for tool in ("curl", "jq", "valgrind"):
        if not which(tool):
            log("%s is not installed (bench/install.sh): its rows are skipped" % tool)
    tmp, logdir, pki = prepare(args)
    runner = Runner(logdir)
    machine = machine_info(args)
    log("helpers (maxrss, inroot, parse drivers)")
    helpers, helper_errors = costs.build_helpers(args)
    for k, v in helper_errors.items():
        log("could not build or use %s: %s" % (k, v))
    if "inroot" not in helpers:
        pki["roots_error"] = helper_errors.get("inroot", "bench/inroot.c not built")
    count, _, _ = sizes.embedded_roots(args.bin)
    pki["builtin_certs"] = count or None
    log("start-up latency")
    cs, trust, rt = startup.bench_latency(args, tmp, pki, runner, helpers.get("inroot"))
    log("size")
    size, unstripped = sizes.bench_size(args, tmp)
    log("peak memory")
    mem = costs.bench_memory(args, tmp, pki, helpers)
    log("instructions")
    ins = costs.bench_instructions(args, mem, helpers)
    whole, massif = {"measured": False}, {"measured": False}
    if not args.smoke:
        log("whole-run profile")
        whole = costs.bench_whole_run(args, tmp, pki, unstripped, helpers)
        log("heap profile (massif)")
        massif = costs.bench_massif(args, tmp, pki, helpers)
    mem["massif"] = massif
    log("many starts")
    herd = startup.bench_herd(args, tmp, runner)
    machine.append({"name": "Load average at end", "value": "%.2f %.2f %.2f" % os.getloadavg()})

    res = collections.OrderedDict()
    res["schema"] = SCHEMA
    res["mode"] = "smoke" if args.smoke else "full"
    res["units"] = {"times": "seconds", "rss": "KiB", "sizes": "bytes", "instructions": "Ir",
                    "shares": "fraction of 1"}
    res["command"] = "bench/run.sh --smoke" if args.smoke else "bench/run.sh"
    res["generated"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    res["params"] = {"runs": args.runs, "warmup": args.warmup, "latency_secrets": args.latency_secrets,
                     "rss_sizes": args.rss_sizes, "ir_sizes": args.ir_sizes,
                     "herd_sizes": args.herd_sizes, "rss_runs": args.rss_runs,
                     "cpus": os.cpu_count(), "bin": args.bin_name, "missing_command": MISSING_COMMAND,
                     "node_version": args.node_version, "sdk_version": args.sdk_version}
    res["machine"] = machine
    res["helper_errors"] = [{"helper": k, "error": v} for k, v in helper_errors.items()]
    body = mem["bodies"].get(str(args.latency_secrets), {}).get("bytes")
    res.update(startup.startup_results(args, pki, cs, trust, rt, body))
    res["size"] = size
    res["memory"] = mem
    res["instructions"] = ins
    res["whole_run"] = whole
    res["herd"] = herd
    trust_steadier(res)
    res["targets"] = compute_targets(res)
    res["analysis"] = {"trust": derive_trust(res), "size": derive_size(res), "rss": derive_rss(res),
                       "ir": derive_ir(res), "herd": derive_herd(res)}
    res["elapsed_s"] = time.time() - t_start
    return res, cs + trust


def main():
    args = parse_args()
    if not os.access(args.bin, os.X_OK):
        log("%s is not built: run make first" % args.bin)
        return 1
    res, rows = measure(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(res, fh, indent=1)
        fh.write("\n")
    os.replace(args.results + ".tmp", args.results)
    log("results written to %s (%.0f s)" % (os.path.relpath(args.results, ROOT), res["elapsed_s"]))
    failed = [c for c in rows if c.group in ("shim", "trust") and (c.error or c.failures)]
    if failed:
        log("infx-exec itself failed: %s" % ", ".join(
            "%s %s" % (c.key, c.error or "%d failures" % c.failures) for c in failed))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        log(str(exc))
        sys.exit(1)
