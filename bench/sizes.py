"""The size of the static binary: where its bytes come from (a relink with a
linker map, nm), the binaries built per architecture, the embedded roots.

Also the link-map reader that costs.py uses to attribute instructions.
"""
import base64
import bisect
import collections
import os
import re
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from common import OUT, ROOT, BenchError, log, sh, which

# The binaries the size table lists: (architecture, path under the tree).
ARCH_BINARIES = [("x86_64", "build/infx-exec"), ("arm64", "build/arm64/infx-exec")]

ORIGINS = ["OpenSSL libcrypto", "OpenSSL libssl", "libcurl", "c-ares", "zlib", "cJSON", "musl libc",
           "infx-exec (src/*.o)", "embedded CA bundle (infx_ca_bundle)", "libgcc / crt",
           "linker padding, other"]
NOBITS = (".bss", ".tbss")
SKIP_OUT = (".debug", ".comment", ".note.GNU-stack", ".gnu.attributes", ".stab")
PEM_RX = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def parse_map(path):
    """GNU ld -Map: [(output section, input section, start, size, origin file)]
    of the memory map (discarded sections left out)."""
    items = []
    in_map = False
    out_sec = None
    pending = None
    rx_full = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    rx_cont = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    rx_out = re.compile(r"^(\.\S+|COMMON)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+))?")
    with open(path, errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not in_map:
                if line.startswith("Linker script and memory map"):
                    in_map = True
                continue
            if line.startswith("LOAD ") or line.startswith("OUTPUT("):
                continue
            m = rx_out.match(line)
            if m and not line.startswith(" "):
                out_sec = m.group(1)
                pending = None
                continue
            if pending is not None:
                m = rx_cont.match(line)
                if m:
                    items.append((out_sec, pending, int(m.group(1), 16), int(m.group(2), 16),
                                  m.group(3).strip()))
                pending = None
                continue
            m = rx_full.match(line)
            if m:
                name = m.group(1)
                if name.startswith("*(") or name == "*fill*":
                    if name == "*fill*":
                        items.append((out_sec, "*fill*", int(m.group(2), 16), int(m.group(3), 16), "*fill*"))
                    continue
                items.append((out_sec, name, int(m.group(2), 16), int(m.group(3), 16), m.group(4).strip()))
                continue
            m = re.match(r"^ (\.\S+)$", line)
            if m:
                pending = m.group(1)
    return items


def origin_of(path):
    p = path
    if "libcrypto.a" in p:
        return "OpenSSL libcrypto"
    if "libssl.a" in p:
        return "OpenSSL libssl"
    if "libcurl.a" in p:
        return "libcurl"
    if "libcjson.a" in p:
        return "cJSON"
    if "libcares.a" in p:
        return "c-ares"
    if "libz.a" in p:
        return "zlib"
    if "ca_bundle.o" in p:
        return "embedded CA bundle (infx_ca_bundle)"
    if "x86_64-linux-musl" in p or "/musl/" in p:
        return "musl libc"
    if "libgcc" in p or "crtbegin" in p or "crtend" in p:
        return "libgcc / crt"
    if "/static/" in p and p.endswith(".o"):
        return "infx-exec (src/*.o)"
    return "linker padding, other"


def short_origin(o):
    return {"infx-exec (src/*.o)": "infx-exec", "embedded CA bundle (infx_ca_bundle)": "CA bundle",
            "linker padding, other": "other"}.get(o, o)


def section_kind(out_sec):
    if out_sec in NOBITS:
        return "bss"
    if out_sec in (".text", ".init", ".fini", ".plt", ".iplt"):
        return "text"
    if out_sec.startswith(".rodata"):
        return "rodata"
    if out_sec in (".eh_frame", ".gcc_except_table", ".eh_frame_hdr"):
        return "eh_frame"
    return "data"


def relink_command(out_bin, map_file):
    """The Makefile's final link of build/infx-exec, without -s, into bench/out."""
    dry = subprocess.run(["make", "-n", "-W", "build/static/main.o", "build/infx-exec"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    text = dry.stdout.replace("\\\n", " ")
    for line in text.splitlines():
        words = shlex.split(line)
        if "-o" in words and "build/infx-exec" in words and "-static" in words:
            stale = [w for w in text.splitlines() if " -c " in w]
            words = [w for w in words if w != "-s"]
            i = words.index("-o")
            words[i + 1] = out_bin
            missing = [w for w in words if w.endswith(".o") and not os.path.exists(os.path.join(ROOT, w))]
            if missing:
                raise BenchError("objects not built yet: %s (run make first)" % " ".join(missing))
            return words + ["-Wl,-Map=" + map_file], len(stale)
    raise BenchError("no static link command for build/infx-exec in `make -n` output "
                     "(is build/deps.prefix there? run make first)")


def own_link(out_bin, map_file, jobs):
    """When build/static/ does not hold what the Makefile would link (a new
    module not compiled yet, stale objects): the Makefile's own commands for
    build/infx-exec (make -n -B), run with build/ moved to bench/out/build/,
    the final link without -s and with -Wl,-Map. Returns the link command."""
    dry = subprocess.run(["make", "-n", "-B", "-o", "build/deps.prefix", "build/infx-exec"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if dry.returncode != 0:
        raise BenchError("make -n failed: %s" % dry.stderr.strip()[-500:])
    lines = [l.strip() for l in dry.stdout.replace("\\\n", " ").splitlines() if l.strip()]
    moved = [re.sub(r"(?<![\w./-])build/", "bench/out/build/", l) for l in lines]
    link = [l for l in moved if " -o bench/out/build/infx-exec " in l + " " and " -static" in l]
    if not link:
        raise BenchError("no static link command for build/infx-exec in `make -n -B` output")
    compiles = [l for l in moved if " -c " in l]
    for l in moved:
        if l not in compiles and l not in link:
            sh(["sh", "-c", l], cwd=ROOT)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for f in [pool.submit(sh, ["sh", "-c", l], cwd=ROOT) for l in compiles]:
            f.result()
    words = [w for w in shlex.split(link[-1]) if w != "-s"]
    words[words.index("-o") + 1] = out_bin
    cmd = words + ["-Wl,-Map=" + map_file]
    sh(cmd, cwd=ROOT)
    return cmd


def embedded_roots(path):
    """(count, PEM bytes, DER bytes) of the PEM certificates a binary holds;
    (0, 0, 0) when it embeds its roots in another form."""
    with open(path, "rb") as fh:
        blob = fh.read()
    count = pem = der = 0
    for m in PEM_RX.finditer(blob):
        count += 1
        pem += len(m.group(0)) + 1
        try:
            der += len(base64.b64decode(b"".join(m.group(1).split())))
        except ValueError:
            pass
    return count, pem, der


def arch_binaries(snapshot, bin_name):
    """One row per architecture: the file, its size, or "not built"."""
    rows = []
    for arch, rel in ARCH_BINARIES:
        path = snapshot if rel == bin_name else os.path.join(ROOT, rel)
        row = {"arch": arch, "path": rel, "built": os.path.isfile(path)}
        if row["built"]:
            row["bytes"] = os.path.getsize(path)
            row["file"] = sh(["file", "-b", path]).strip() if which("file") else ""
        rows.append(row)
    return rows


def link_with_map(args, unstripped, map_file):
    """Relink (or compile and link) build/infx-exec with a map: (how, command)."""
    try:
        cmd, stale = relink_command(unstripped, map_file)
        if stale:
            raise BenchError("%d objects in build/static/ are older than their sources" % stale)
        sh(cmd, cwd=ROOT)
        return "relinked", cmd
    except BenchError as exc:
        if args.smoke:
            raise BenchError("%s; the smoke run does not compile its own copy" % exc)
        log("size: %s; compiling the Makefile's objects into bench/out/build/" % exc)
        return "compiled", own_link(unstripped, map_file, os.cpu_count() or 2)


def by_origin(items):
    """Bytes per origin and kind, the largest members, address ranges."""
    by = collections.OrderedDict((o, collections.Counter()) for o in ORIGINS)
    members = collections.Counter()
    ranges = []
    for out_sec, in_sec, start, size, path in items:
        if out_sec is None or out_sec.startswith(SKIP_OUT) or size == 0 or start == 0:
            continue
        origin = "linker padding, other" if path == "*fill*" else origin_of(path)
        kind = section_kind(out_sec)
        by[origin][kind] += size
        if kind != "bss":
            members[path] += size
        ranges.append((start, start + size, origin, path))
    ranges.sort()
    return by, members, ranges


def nm_symbols(unstripped, ranges):
    """Every sized symbol of the unstripped link, attributed by address."""
    starts = [r[0] for r in ranges]
    nm_by = collections.Counter()
    syms = []
    for line in sh(["nm", "--size-sort", "-S", unstripped]).splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        addr, size, typ, name = int(parts[0], 16), int(parts[1], 16), parts[2], parts[3]
        if typ.lower() == "b":
            continue
        i = bisect.bisect_right(starts, addr) - 1
        origin = ranges[i][2] if i >= 0 and addr < ranges[i][1] else "linker padding, other"
        nm_by[origin] += size
        syms.append((size, name, typ, origin))
    syms.sort(reverse=True)
    return nm_by, syms[:15]


def member_name(p):
    if "(" in p:
        return os.path.basename(p)
    return os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p)


def bench_size(args, tmp):
    b = os.path.getsize(args.bin)
    f = sh(["size", args.bin]).splitlines()[1].split()
    count, pem, der = embedded_roots(args.bin)
    res = {"binary": args.bin_name, "bytes": b, "text": int(f[0]), "data": int(f[1]),
           "bss": int(f[2]), "size_output": sh(["size", args.bin]).strip().replace(args.bin, args.bin_name),
           "file": sh(["file", "-b", args.bin]).strip() if which("file") else "",
           "arch": arch_binaries(args.bin, args.bin_name),
           "roots": {"count": count, "pem_bytes": pem, "der_bytes": der},
           "map": None, "map_error": None}
    unstripped = os.path.join(OUT, "infx-exec.unstripped")
    map_file = os.path.join(OUT, "infx-exec.map")
    try:
        how, cmd = link_with_map(args, unstripped, map_file)
    except BenchError as exc:
        res["map_error"] = str(exc)
        return res, None
    stripped_copy = os.path.join(tmp, "infx-exec.restripped")
    shutil.copy(unstripped, stripped_copy)
    sh(["strip", "-s", stripped_copy])
    by, members, ranges = by_origin(parse_map(map_file))
    nm_by, top_syms = nm_symbols(unstripped, ranges)
    rows, tot = [], collections.Counter()
    for o, c in by.items():
        fileb = c["text"] + c["rodata"] + c["data"] + c["eh_frame"]
        tot.update(c)
        if fileb or c["bss"]:
            rows.append({"origin": o, "short": short_origin(o), "file_bytes": fileb,
                         "share": fileb / b, "text": c["text"], "rodata": c["rodata"],
                         "data": c["data"], "eh_frame": c["eh_frame"], "bss": c["bss"],
                         "nm": nm_by.get(o, 0)})
    fb = tot["text"] + tot["rodata"] + tot["data"] + tot["eh_frame"]
    res["map"] = {
        "how": how, "relink": " ".join(shlex.quote(w) for w in cmd),
        "stripped_bytes": os.path.getsize(stripped_copy),
        "same_as_built": os.path.getsize(stripped_copy) == b,
        "unstripped_bytes": os.path.getsize(unstripped),
        "origins": rows,
        "total": {"file_bytes": fb, "share": fb / b, "text": tot["text"], "rodata": tot["rodata"],
                  "data": tot["data"], "eh_frame": tot["eh_frame"], "bss": tot["bss"],
                  "nm": sum(nm_by.values())},
        "rest_bytes": b - fb,
        "top_members": [{"member": member_name(p), "bytes": n} for p, n in members.most_common(14)],
        "top_symbols": [{"name": name, "type": typ, "bytes": sz, "origin": short_origin(o)}
                        for sz, name, typ, o in top_syms],
    }
    return res, unstripped
