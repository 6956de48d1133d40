"""Peak memory (ru_maxrss, massif) and instructions (callgrind: the response
-> environment step through bench/parse_driver.c, and whole runs of the
shim), plus the small helpers they need, built into bench/out/.

Each bench_* function returns plain data for bench/out/results.json.
"""
import bisect
import collections
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from common import (BENCH, MISSING_COMMAND, OUT, ROOT, BenchError, Server, fetch, log, sh,
                    shim_env, which, write_data)
from sizes import origin_of, parse_map, short_origin

ALLOC_RX = re.compile(r"malloc|free|get_meta|alloc_slot|alloc_group|enframe|alloc_meta|calloc|"
                      r"realloc|activate_group|try_avail|step_seq|size_to_class|get_stride|"
                      r"memset|explicit_bzero|_int_|unlink_chunk|tcache")

# Inclusive cost of these in a whole run, when present (besides every
# function of src/ that takes 2% or more of some run).
WHOLE_RUN_FUNCTIONS = [
    "curl_global_init", "http_global_init", "http_new", "config_load", "credentials_load",
    "fetch_secrets", "auth_get_token", "http_request", "curl_easy_perform", "answer_secrets",
    "environment_build", "kvset_free", "exec_command",
    "OPENSSL_init_ssl", "OPENSSL_init_crypto", "SSL_CTX_new", "SSL_CTX_new_ex",
    "ossl_connect_common", "ossl_connect_step1", "ossl_connect_step2", "SSL_do_handshake",
    "SSL_CTX_load_verify_locations", "X509_STORE_load_file", "X509_STORE_load_locations",
    "X509_load_cert_crl_file_ex", "X509_load_cert_crl_file", "PEM_X509_INFO_read_bio_ex",
    "X509_STORE_add_cert", "PEM_read_bio_ex", "x509_pubkey_ex_d2i_ex",
    "OSSL_DECODER_CTX_new_for_pkey", "X509_LOOKUP_ctrl", "X509_STORE_CTX_get_by_subject",
    "X509_STORE_CTX_get1_issuer", "get_cert_by_subject", "X509_verify_cert",
]


# --------------------------------------------------------------------------- helpers

def library_sources():
    """The library part of src/: every .c but the programs' mains."""
    src = os.path.join(ROOT, "src")
    return sorted(os.path.join(src, f) for f in os.listdir(src)
                  if f.endswith(".c") and not re.search(
                      r"^int\s+main\s*\(", open(os.path.join(src, f)).read(), re.M))


def build_static_tool(name, built, errors):
    """bench/NAME.c -> bench/out/NAME, static with musl."""
    cc = which("musl-gcc")
    out = os.path.join(OUT, name)
    try:
        if not cc:
            raise BenchError("musl-gcc not installed")
        sh([cc, "-static", "-O2", "-Wall", "-Wextra", "-o", out, os.path.join(BENCH, name + ".c")])
        built[name] = out
    except BenchError as exc:
        errors[name] = str(exc)


def inroot_works(inroot):
    """Whether the helper can chroot here (root, CAP_SYS_CHROOT)."""
    p = subprocess.run([inroot, "--root", "/", "/bin/true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    return None if p.returncode == 0 else p.stderr.decode(errors="replace").strip()


def build_helpers(args):
    """bench/out/maxrss, bench/out/inroot (static musl), the parse drivers and,
    for massif, a glibc build of the shim. Returns (paths, errors)."""
    built, errors = {}, {}
    build_static_tool("maxrss", built, errors)
    build_static_tool("inroot", built, errors)
    if "inroot" in built:
        why = inroot_works(built["inroot"])
        if why:
            errors["inroot"] = why
            del built["inroot"]
    srcs = library_sources()
    common = ["-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-g", "-iquote", os.path.join(ROOT, "src"),
              "-DINFX_VERSION=\"bench\""]
    driver = os.path.join(BENCH, "parse_driver.c")

    def musl():
        """As shipped: musl, static, the same libcurl/OpenSSL/cJSON as build/infx-exec."""
        prefix = open(os.path.join(ROOT, "build", "deps.prefix")).read().strip()
        if not which("musl-gcc"):
            raise BenchError("musl-gcc not installed")
        out = os.path.join(OUT, "parse_driver.musl")
        sh([which("musl-gcc")] + common + [
            "-ffunction-sections", "-fdata-sections", "-I" + prefix + "/include", "-static",
            "-Wl,--gc-sections", "-Wl,-Map=" + out + ".map", "-o", out, driver] + srcs +
           ["-L" + prefix + "/lib", "-lcurl", "-lcares", "-lssl", "-lcrypto", "-lz", "-lcjson"])
        return out

    def glibc():
        """glibc gcc against Debian's libcjson-dev."""
        pc = sh(["pkg-config", "--cflags", "--libs", "libcurl", "libcjson"]).split()
        out = os.path.join(OUT, "parse_driver.glibc")
        sh(["gcc"] + common + ["-o", out, driver] + srcs + pc)
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {name: pool.submit(f) for name, f in (("driver_musl", musl), ("driver_glibc", glibc))}
    for name, job in jobs.items():
        try:
            built[name] = job.result()
        except (OSError, BenchError) as exc:
            errors[name] = str(exc)[-700:]
    # For massif (which cannot see malloc in a static binary): the Makefile's
    # glibc build without sanitizers, against Debian's libcurl and libcjson.
    if not args.smoke:
        try:
            sh(["make", "build/plain/infx-exec"], cwd=ROOT)
            out = os.path.join(OUT, "infx-exec.glibc")
            shutil.copy2(os.path.join(ROOT, "build", "plain", "infx-exec"), out)
            built["shim_glibc"] = out
        except (OSError, BenchError) as exc:
            errors["shim_glibc"] = str(exc)[-700:]
    return built, errors


# --------------------------------------------------------------------------- valgrind output

def parse_massif(path, min_share=0.02):
    """The peak snapshot of a massif output: (heap B, extra B, [(depth, bytes, what)])."""
    lines = open(path, errors="replace").read().splitlines()
    i = next((k for k, l in enumerate(lines) if l == "heap_tree=peak"), None)
    if i is None:
        return None
    heap = extra = 0
    for l in lines[max(0, i - 6):i]:
        if l.startswith("mem_heap_B="):
            heap = int(l.split("=")[1])
        if l.startswith("mem_heap_extra_B="):
            extra = int(l.split("=")[1])
    rows = []
    for l in lines[i + 2:]:
        if not l.startswith(" "):
            break
        depth = len(l) - len(l.lstrip(" "))
        if depth > 2:
            continue
        m = re.match(r"\s*n\d+: (\d+) (.*)$", l)
        if not m:
            continue
        b, what = int(m.group(1)), m.group(2)
        if heap and b < min_share * heap:
            continue
        if depth == 2 and what.startswith("???"):
            continue    # inside a stripped library: says nothing
        what = re.sub(r"^0x[0-9A-Fa-f]+: ", "", what)
        what = what.replace(ROOT + "/", "")
        rows.append((depth, b, what))
    return heap, extra, rows


def callgrind(cmd, out_file, env=None, toggle=None, prefix=()):
    """Run cmd under callgrind (prefix: what runs valgrind, e.g. inroot)."""
    vg = list(prefix) + [which("valgrind"), "--tool=callgrind", "--callgrind-out-file=" + out_file]
    if toggle:
        vg.append("--toggle-collect=" + toggle)
    p = subprocess.run(vg + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=600)
    total = None
    if os.path.exists(out_file):
        for line in open(out_file, errors="replace"):
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    return total, p


def annotate(out_file, inclusive=False):
    """[(Ir, function, source file, object)] from callgrind_annotate."""
    cmd = ["callgrind_annotate", "--threshold=100"]
    if inclusive:
        cmd.append("--inclusive=yes")
    txt = sh(cmd + [out_file])
    rows = []
    rx = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S+?):(.+?)(?:\s+\[(.*)\])?$")
    started = False
    for line in txt.splitlines():
        if "file:function" in line:
            started = True
            continue
        if not started:
            continue
        m = rx.match(line)
        if m:
            rows.append((int(m.group(1).replace(",", "")), m.group(3).strip(), m.group(2),
                         m.group(4) or ""))
    return rows


def callgrind_lines(path):
    """Self cost per (source file, line) from a callgrind output file, inlined
    code included (fi=/fe= switch the file inside a function). The cost line
    after a calls= line is the call's inclusive cost and is not self cost."""
    names = {}
    cost = collections.Counter()
    cur_file = None
    last = 0
    skip = False
    rx_name = re.compile(r"^(fl|fi|fe|fn|cfi|cfl|cfn|ob|cob)=\((\d+)\)(?: (.*))?$")
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        c = line[0]
        if c.isdigit() or c in "+-*":
            parts = line.split()
            tok = parts[0]
            if tok == "*":
                pos = last
            elif tok[0] in "+-":
                pos = last + int(tok)
            else:
                pos = int(tok)
            last = pos
            if skip:
                skip = False
                continue
            if len(parts) > 1 and cur_file:
                cost[(cur_file, pos)] += int(parts[1])
            continue
        if line.startswith("calls="):
            skip = True
            continue
        m = rx_name.match(line)
        if m:
            kind, ident, name = m.groups()
            key = (kind in ("fl", "fi", "fe", "cfi", "cfl") and "file") or kind
            if name:
                names[(key, ident)] = name
            if kind in ("fl", "fi", "fe"):
                cur_file = names.get(("file", ident))
    return cost


def source_functions(path):
    """[(first line, last line, name)] of the function definitions of a C file
    (K&R layout as in src/: signature at column 0, body from "{" to "}")."""
    out = []
    lines = open(path, errors="replace").read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(", lines[i])
        if m and not lines[i].rstrip().endswith(";") and not lines[i].startswith("typedef"):
            j = i
            while j < len(lines) and j < i + 8 and lines[j] != "{":
                if lines[j].rstrip().endswith(";"):
                    break
                j += 1
            if j < len(lines) and lines[j] == "{":
                k = j
                while k < len(lines) and lines[k] != "}":
                    k += 1
                out.append((i + 1, k + 1, m.group(1)))
                i = k + 1
                continue
        i += 1
    return out


def ours_by_function(cg_file):
    """Self cost of the project's own code by source function (src/*.c),
    inlined static functions under their own names: {"name (file.c)": Ir}."""
    ranges = {}
    res = collections.Counter()
    for (f, ln), c in callgrind_lines(cg_file).items():
        if not f.endswith(".c"):
            continue
        full = f if os.path.isabs(f) else os.path.join(ROOT, f)
        if os.path.dirname(full) != os.path.join(ROOT, "src"):
            continue
        if full not in ranges:
            ranges[full] = source_functions(full)
        name = next((n for a, b, n in ranges[full] if a <= ln <= b), "?")
        res["%s (%s)" % (name, os.path.basename(full))] += c
    return res


class MapIndex(dict):
    """function name -> origin, from a link map (section names .text.NAME
    with -ffunction-sections, and the symbol lines); .lookup(name) also
    resolves callgrind's "0x..." names (code without a symbol) by address,
    to the archive member that holds it."""

    def __init__(self):
        super().__init__()
        self.ranges = []
        self.starts = []

    def lookup(self, fn):
        if fn in self:
            return self[fn], fn
        if fn.startswith("0x") and self.starts:
            addr = int(fn, 16)
            i = bisect.bisect_right(self.starts, addr) - 1
            if i >= 0 and addr < self.ranges[i][1]:
                member = self.ranges[i][3]
                m = re.search(r"\(([^)]+)\)$", member)
                return self.ranges[i][2], "%s (%s)" % (fn, m.group(1) if m else os.path.basename(member))
        return "other", fn


def map_symbols(map_file):
    names = MapIndex()
    if not os.path.exists(map_file):
        return names
    for out_sec, in_sec, start, size, path in parse_map(map_file):
        if in_sec.startswith(".text."):
            names.setdefault(in_sec[6:], origin_of(path))
        if out_sec in (".text", ".init", ".fini") and size and path != "*fill*":
            names.ranges.append((start, start + size, origin_of(path), path))
    names.ranges.sort()
    names.starts = [r[0] for r in names.ranges]
    cur = None
    for line in open(map_file, errors="replace"):
        m = re.match(r"^\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+(\S+)$", line)
        if m:
            cur = origin_of(m.group(1))
            continue
        m = re.match(r"^\s+0x[0-9a-f]+\s+([A-Za-z_][\w.]*)$", line)
        if m and cur:
            names.setdefault(m.group(1), cur)
    return names


def shares(counter, total, limit=None, key="name"):
    """[{key, ir, share}] of a Counter, largest first."""
    return [{key: k, "ir": v, "share": v / total if total else None}
            for k, v in counter.most_common(limit)]


# --------------------------------------------------------------------------- memory

RSS_COLUMNS = ["HTTP", "HTTPS, private CA", "HTTPS, full bundle", "HTTPS, hashed CA dir",
               "HTTPS, system store"]


def rss_runs(args, maxrss, inroot, pki, urls, n):
    """Peak RSS (KiB, largest of rss_runs) per column at n secrets."""
    out = {}
    for col in RSS_COLUMNS:
        cmd = [args.bin, "--", MISSING_COMMAND]
        extra = {}
        url = urls["HTTPS"]
        if col == "HTTP":
            url = urls["HTTP"]
        elif col == "HTTPS, private CA":
            extra = {"INFISICAL_CA_CERT_FILE": pki["ca"]}
        elif col == "HTTPS, full bundle":
            extra = {"SSL_CERT_FILE": pki["bundle"]}
        elif col == "HTTPS, hashed CA dir":
            extra = {"SSL_CERT_DIR": pki["certdir"]}
        elif inroot:
            cmd = [inroot, "--root", pki["store_root"], "/infx-exec", "--", MISSING_COMMAND]
        else:
            out[col] = None
            continue
        env = shim_env(url, INFX_MAX_SECRETS=str(max(n * 2, 10000)), **extra)
        vals = []
        for _ in range(args.rss_runs):
            got = sh([maxrss] + cmd, env=env).split()
            if int(got[1]) != 127:
                raise BenchError("infx-exec exited %s (not 127) at %d secrets, %s" % (got[1], n, col))
            vals.append(int(got[0]))
        out[col] = max(vals)
    return out


def bench_memory(args, tmp, pki, helpers):
    """Peak RSS per size and trust store; saves the list bodies for callgrind."""
    sizes = sorted(set(args.rss_sizes) | set(args.ir_sizes))
    maxrss, inroot = helpers.get("maxrss"), helpers.get("inroot")
    res = {"measured": bool(maxrss), "runs": args.rss_runs, "columns": RSS_COLUMNS, "rows": [],
           "base": {}, "bodies": {}}
    if maxrss:
        for key, argv in (("true", ["/bin/true"]), ("version", [args.bin, "--version"])):
            res["base"][key] = max(int(sh([maxrss] + argv).split()[0]) for _ in range(3))
    for n in sizes:
        data_file = write_data(n, tmp)
        with Server(data_file) as s1, Server(data_file, tls=(pki["cert"], pki["key"])) as s2:
            _, body = fetch(s1.url)
            path = os.path.join(OUT, "body-%d.json" % n)
            with open(path, "wb") as fh:
                fh.write(body)
            res["bodies"][str(n)] = {"path": path, "bytes": len(body)}
            if n not in args.rss_sizes or not maxrss:
                continue
            kib = rss_runs(args, maxrss, inroot, pki, {"HTTP": s1.url, "HTTPS": s2.url}, n)
            res["rows"].append({"secrets": n, "body_bytes": len(body),
                                "values": [kib[c] for c in RSS_COLUMNS]})
    return res


def bench_massif(args, tmp, pki, helpers, n=1000):
    """The heap at its peak (massif, glibc build) over HTTP, HTTPS with the
    bundle file and HTTPS with the system store (the store root's /etc/ssl
    mounted over /etc/ssl)."""
    shim, inroot = helpers.get("shim_glibc"), helpers.get("inroot")
    if not shim or not which("valgrind"):
        return {"measured": False}
    runs = []
    data_file = write_data(n, tmp)
    with Server(data_file) as s1, Server(data_file, tls=(pki["cert"], pki["key"])) as s2:
        for key, url, extra, prefix in (
                ("HTTP", s1.url, {}, []),
                ("HTTPS, full bundle", s2.url, {"SSL_CERT_FILE": pki["bundle"]}, []),
                ("HTTPS, system store", s2.url, {},
                 [inroot, "--etc-ssl", pki["store_etc_ssl"]] if inroot else None)):
            if prefix is None:
                runs.append({"name": key, "error": "bench/inroot.c cannot run here"})
                continue
            out_file = os.path.join(OUT, "massif.%d.%s" % (n, re.sub(r"\W+", "-", key)))
            p = subprocess.run(prefix + [which("valgrind"), "--tool=massif",
                                         "--massif-out-file=" + out_file, "--detailed-freq=1",
                                         "--max-snapshots=400", "--threshold=1.0",
                                         shim, "--", MISSING_COMMAND],
                               env=shim_env(url, INFX_MAX_SECRETS=str(max(2 * n, 10000)), **extra),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            parsed = parse_massif(out_file) if os.path.exists(out_file) else None
            if p.returncode != 127 or not parsed:
                runs.append({"name": key, "error": "exit %d: %s" % (
                    p.returncode, p.stderr.decode(errors="replace")[-300:])})
                continue
            heap, extra, rows = parsed
            runs.append({"name": key, "heap": heap, "extra": extra,
                         "rows": [{"depth": d, "bytes": b, "share": b / heap if heap else None,
                                   "what": w} for d, b, w in rows]})
    return {"measured": True, "secrets": n, "runs": runs}


# --------------------------------------------------------------------------- instructions

def origin_in_driver(flavor, src, obj, fn, names):
    if src.startswith("src/") or src.startswith(os.path.join(ROOT, "src")) or \
            src.startswith("bench/") or src.startswith(BENCH):
        return "infx-exec", fn
    if flavor == "driver_glibc":
        return ("cJSON" if "libcjson" in obj else "glibc" if "libc.so" in obj
                else os.path.basename(obj) or "other"), fn
    o, fn = names.lookup(fn)
    return short_origin(o), fn


def driver_profile(flavor, drv, n, body, total):
    """Where the step's instructions go at n secrets, and the what-ifs."""
    out_file = os.path.join(OUT, "callgrind.%s.%d" % (flavor, n))
    names = map_symbols(drv + ".map") if flavor == "driver_musl" else MapIndex()
    by_origin, by_fn = collections.Counter(), collections.Counter()
    for irc, fn, src, obj in annotate(out_file):
        o, base_fn = origin_in_driver(flavor, src, obj, fn.split("'")[0], names)
        by_origin[o] += irc
        by_fn[(base_fn, o)] += irc
    ours = ours_by_function(out_file)
    alloc = sum(v for (fn, o), v in by_fn.items() if o in ("musl libc", "glibc") and ALLOC_RX.search(fn))
    whatif = {}
    for mode, toggle in (("arena", "bench_step"), ("nulscan", "bench_nulscan")):
        wf = os.path.join(OUT, "callgrind.%s.%d.%s" % (flavor, n, mode))
        t, p = callgrind([drv, body, mode], wf, toggle=toggle)
        if p.returncode == 0:
            whatif[mode] = t
            words = p.stdout.decode().split()
            if mode == "arena" and len(words) == 2:
                whatif["tree_bytes"] = int(words[1])
    if "arena" in whatif:
        whatif["arena_delta"] = (whatif["arena"] - total) / total
        whatif["arena_per_1000"] = whatif["arena"] / n * 1000
    prescan = sum(v for k, v in ours.items() if k.startswith("prescan "))
    if "nulscan" in whatif:
        whatif["prescan"] = prescan
        whatif["nulscan_per_1000"] = whatif["nulscan"] / n * 1000
        whatif["prescan_per_1000"] = prescan / n * 1000
        whatif["nulscan_delta"] = (whatif["nulscan"] - prescan) / total
    return {"secrets": n, "total": total,
            "by_origin": shares(by_origin, total, key="origin"),
            "top": [{"function": fn, "origin": o, "ir": v, "share": v / total}
                    for (fn, o), v in by_fn.most_common(12)],
            "ours": shares(ours, total, 8, key="function"),
            "alloc_share": alloc / total, "whatif": whatif}


def bench_instructions(args, mem, helpers):
    flavors, errors = [], []
    if not which("valgrind"):
        return {"flavors": [], "errors": ["valgrind not installed"]}
    for flavor, name in (("driver_musl", "musl static"), ("driver_glibc", "glibc + Debian cJSON")):
        drv = helpers.get(flavor)
        if not drv:
            continue
        rows = []
        for n in args.ir_sizes:
            body = mem["bodies"][str(n)]
            out_file = os.path.join(OUT, "callgrind.%s.%d" % (flavor, n))
            total, p = callgrind([drv, body["path"]], out_file, toggle="bench_step")
            if p.returncode != 0 or p.stdout.decode().strip() != str(n + 8) or not total:
                # The driver calls the project's internal API, which may have
                # moved on: report, do not fail the run.
                err = "%s on %d secrets: exit %d, printed %r (expected %d variables): %s" % (
                    os.path.basename(drv), n, p.returncode, p.stdout.decode().strip(), n + 8,
                    p.stderr.decode(errors="replace").strip()[-300:])
                log(err)
                errors.append(err)
                rows = None
                break
            rows.append({"secrets": n, "body_bytes": body["bytes"], "ir": total,
                         "per_1000": total / n * 1000, "per_byte": total / body["bytes"]})
        if not rows:
            continue
        fl = {"key": flavor, "name": name, "rows": rows, "growth": None}
        if len(rows) >= 2:
            a, b = rows[-2], rows[-1]
            fl["growth"] = {"from": a["secrets"], "to": b["secrets"], "ratio": b["ir"] / a["ir"],
                            "factor": b["secrets"] / a["secrets"],
                            "per_secret": (b["ir"] / b["secrets"]) / (a["ir"] / a["secrets"])}
        pick = rows[-1] if 1000 not in args.ir_sizes else next(r for r in rows if r["secrets"] == 1000)
        fl["profile"] = driver_profile(flavor, drv, pick["secrets"],
                                       mem["bodies"][str(pick["secrets"])]["path"], pick["ir"])
        flavors.append(fl)
    table = [{"secrets": r["secrets"], "body_bytes": r["body_bytes"],
              "cells": [f["rows"][i] for f in flavors]}
             for i, r in enumerate(flavors[0]["rows"])] if flavors else []
    return {"flavors": flavors, "table": table, "errors": errors}


def whole_run_columns(pki, urls, inroot):
    """(name, url, environment additions, prefix, expected exit)."""
    cols = [("HTTP", urls["HTTP"], {}, [], 127),
            ("HTTPS, private CA", urls["HTTPS"], {"INFISICAL_CA_CERT_FILE": pki["ca"]}, [], 127),
            ("HTTPS, full bundle", urls["HTTPS"], {"SSL_CERT_FILE": pki["bundle"]}, [], 127),
            ("HTTPS, hashed CA dir", urls["HTTPS"], {"SSL_CERT_DIR": pki["certdir"]}, [], 127)]
    if inroot:
        cols.append(("HTTPS, system store", urls["HTTPS"], {},
                     [inroot, "--etc-ssl", pki["store_etc_ssl"]], 127))
        cols.append(("HTTPS, one unrelated root (to the failure)", urls["HTTPS"],
                     {"INFISICAL_CA_CERT_FILE": pki["other_ca"]},
                     [inroot, "--etc-ssl", pki["empty_etc_ssl"]], 125))
        cols.append(("HTTPS, built-in roots (to the failure)", urls["HTTPS"], {},
                     [inroot, "--etc-ssl", pki["empty_etc_ssl"]], 125))
    return cols


def bench_whole_run(args, tmp, pki, unstripped, helpers):
    """callgrind of one complete run of the unstripped static link: where the
    shim's own instructions go (the server's time is not in it)."""
    if not unstripped or not which("valgrind"):
        return {"measured": False}
    data_file = write_data(args.latency_secrets, tmp)
    names = map_symbols(os.path.join(OUT, "infx-exec.map"))
    cols = []
    with Server(data_file) as s1, Server(data_file, tls=(pki["cert"], pki["key"])) as s2:
        for key, url, extra, prefix, want in whole_run_columns(
                pki, {"HTTP": s1.url, "HTTPS": s2.url}, helpers.get("inroot")):
            out_file = os.path.join(OUT, "callgrind.whole.%s" % re.sub(r"\W+", "-", key))
            total, p = callgrind([unstripped, "--", MISSING_COMMAND], out_file,
                                 env=shim_env(url, **extra), prefix=prefix)
            if p.returncode != want or not total:
                cols.append({"name": key, "error": "exit %d: %s" % (
                    p.returncode, p.stderr.decode(errors="replace")[-300:])})
                continue
            incl = {}
            ours = set()
            for irc, fn, src, obj in annotate(out_file, inclusive=True):
                fn = fn.split("'")[0]
                if fn not in incl:
                    incl[fn] = irc
                    if "/src/" in src or src.startswith("src/"):
                        ours.add(fn)
            by_origin = collections.Counter()
            for irc, fn, src, obj in annotate(out_file):
                if "/src/" in src or src.startswith("src/"):
                    by_origin["infx-exec"] += irc
                else:
                    by_origin[short_origin(names.lookup(fn.split("'")[0])[0])] += irc
            cols.append({"name": key, "total": total, "inclusive": incl, "ours": sorted(ours),
                         "by_origin": dict(by_origin)})
    return whole_run_table(args, cols)


def whole_run_table(args, cols):
    """The columns as rows: listed functions, then src/ functions >= 1%."""
    ok = [c for c in cols if "total" in c]
    fns = [f for f in WHOLE_RUN_FUNCTIONS if any(f in c["inclusive"] for c in ok)]
    for c in ok:
        for f in c["ours"]:
            if f not in fns and f != "main" and c["inclusive"][f] >= 0.02 * c["total"]:
                fns.append(f)
    rows = [{"function": f, "values": [c["inclusive"].get(f, 0) for c in ok]} for f in fns]
    rows.sort(key=lambda r: -max(r["values"]))
    origins = []
    for c in ok:
        for o in sorted(c["by_origin"], key=lambda o: -c["by_origin"][o]):
            if o not in origins:
                origins.append(o)
    return {
        "measured": True, "secrets": args.latency_secrets,
        "columns": [c["name"] for c in ok], "totals": [c["total"] for c in ok],
        "errors": [{"name": c["name"], "error": c["error"]} for c in cols if "error" in c],
        "functions": rows,
        "origins": [{"origin": o, "values": [{"ir": c["by_origin"].get(o, 0),
                                              "share": c["by_origin"].get(o, 0) / c["total"]}
                                             for c in ok]} for o in origins],
        "by_column": {c["name"]: {"total": c["total"],
                                  "functions": {f: c["inclusive"].get(f, 0) for f in fns},
                                  "by_origin": c["by_origin"]} for c in ok},
    }
