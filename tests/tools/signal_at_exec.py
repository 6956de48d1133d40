"""gdb script: send the program SIGTERM at the last moment before its
execve(2): when it starts handing the inherited signal dispositions back
(its first sigaction(2) called from signals_release, or signals_restore
in older builds), after its last look at the stop signals it caught.
Then let it run. A shim that loses that signal execs the command anyway.

    gdb -batch -nx -x tests/tools/signal_at_exec.py --args SHIM -- CMD...
"""
import gdb  # noqa: provided by gdb

gdb.execute("set startup-with-shell off")
gdb.execute("set pagination off")
gdb.execute("set breakpoint pending on")
gdb.execute("handle SIGTERM nostop noprint pass")

HANDOVER = ("signals_release", "signals_restore")


class AtHandover(gdb.Breakpoint):
    def stop(self):
        caller = gdb.selected_frame().older()
        if caller is None or caller.name() not in HANDOVER:
            return False
        gdb.execute("call (int)raise(15)")
        print("SENT SIGTERM in", caller.name())
        self.enabled = False
        return False


AtHandover("sigaction")
gdb.execute("run")
