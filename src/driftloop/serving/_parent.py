"""A worker of ``driftloop serve --workers N`` stops when its parent dies, however it died.

The parent stops its workers on SIGTERM or SIGINT, but a SIGKILL (or the OOM killer)
gives it no chance: orphaned workers would go on answering on the shared port, from a
process nobody supervises, and a new ``driftloop serve`` could not bind it. So each worker
asks for SIGTERM when its parent goes, which stops it as a normal SIGTERM does (its
prediction log drained first):

- on Linux the kernel sends it (``prctl(PR_SET_PDEATHSIG)``), at once;
- everywhere, a daemon thread polls ``os.getppid()``: a worker's parent never changes
  while it lives, so a new one (init or a subreaper adopted the worker) means it died.
  It also covers the parent dying before the ``prctl`` call. The thread lives exactly as
  long as the worker, which is why nobody stops it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def exit_with_parent(parent: int, poll_s: float = 0.5) -> None:
    """SIGTERM this process when process ``parent`` (the one that started it) dies.

    Example::

        exit_with_parent(parent_pid)  # first thing in a worker
    """
    ask_kernel_for_sigterm()
    watcher = threading.Thread(
        target=watch_parent, args=(parent, poll_s), name="driftloop-parent-watch", daemon=True
    )
    watcher.start()


def ask_kernel_for_sigterm() -> bool:
    """On Linux, have the kernel send SIGTERM when the parent exits; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent: int, poll_s: float) -> None:
    """Return once ``parent`` is no longer this process's parent, after sending SIGTERM."""
    while os.getppid() == parent:
        time.sleep(poll_s)
    os.kill(os.getpid(), signal.SIGTERM)
