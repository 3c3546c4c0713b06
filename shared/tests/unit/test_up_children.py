"""`ptfc up`'s children do not outlive it: a `ptfc up` killed with -9 left services holding their
ports and spinning on a vanished bus, which the next `make up` then met as "port in use"."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")

# Stands in for `ptfc up`: spawns a long-lived child as up.py does, prints its pid, then waits.
PARENT = textwrap.dedent(
    """
    import sys, time
    from ptfc.dev.up import _spawn
    child = _spawn([sys.executable, "-c", "import time; time.sleep(120)"])
    print(child.pid, flush=True)
    time.sleep(120)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its reaper is dead for this purpose.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_child_dies_when_ptfc_up_is_killed_outright():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the service outlived `ptfc up`"
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
