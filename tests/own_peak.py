"""Run a command as a grandchild of the test session and write down its own peak memory.

A child's `ru_maxrss` keeps the high-water mark of the address space it was forked from (the kernel carries it
across `exec`), so a command started straight from a large pytest process reports pytest's size, not its own.
Forked from this small interpreter instead, the command's peak is its own, give or take this launcher's few MB.

Usage: own_peak.py PEAK_FILE COMMAND [ARG...]; exits as the command did.
"""

import os
import signal
import sys
from pathlib import Path


def main() -> int:
    peak_file, *command = sys.argv[1:]
    pid = os.fork()
    if pid == 0:
        os.execv(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    Path(peak_file).write_text(str(usage.ru_maxrss / 1024), "utf-8")
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
