"""gdb script: stop the program at its first execve(2) (the command's) and
report whether any of the strings in the file named by $INFX_SCAN_FILE
(one per line; kept out of the environment, which the program copies) is
still somewhere in its writable memory. Prints "FOUND <n>" or "CLEAN".

    gdb -batch -nx -x tests/tools/scan_at_exec.py --args SHIM -- /bin/true
"""
import os

import gdb  # noqa: provided by gdb

gdb.execute("set startup-with-shell off")
gdb.execute("set pagination off")
gdb.execute("catch syscall execve")
gdb.execute("run")

with open(os.environ["INFX_SCAN_FILE"], "rb") as f:
    needles = [n for n in f.read().split(b"\n") if n]
inferior = gdb.selected_inferior()
found = set()
with open("/proc/%d/maps" % inferior.pid) as maps:
    for line in maps:
        fields = line.split()
        if "w" not in fields[1]:
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        try:
            mem = bytes(inferior.read_memory(start, end - start))
        except gdb.MemoryError:
            continue
        for i, n in enumerate(needles):
            if n in mem:
                found.add(i)
print("FOUND %s" % sorted(found) if found else "CLEAN")
gdb.execute("kill")
