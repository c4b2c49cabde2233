"""A scheduler in its own process, for the tests that need real processes.

Registers target kind ``record`` (appends "trigger<TAB>key<TAB>pid" to a file, one
O_APPEND write per start, so lines from several processes never interleave; if a file
``die-once`` lies beside it, the first start deletes it and SIGKILLs the process), then:

    python _scheduler_process.py RECORD ticks ROOT DB_URL READY GO ISO [ISO ...]
        ticks a Scheduler once at each ISO time (its injected clock), after writing
        READY and waiting for GO to exist (so two processes start together); with
        LOCKSTEP=N in the environment, each tick waits until all N processes have
        finished the one before, so their clocks stay within one tick of each other
        as real schedulers' wall clocks do (a free-running pair on a busy machine
        drifted minutes apart and one took the other's live claim for a dead one's);
    python _scheduler_process.py RECORD cli ARG [ARG ...]
        runs the real `driftloop` command line with ARGs.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from driftloop.pipelines import Trigger, TriggerEvent, register_trigger_target


class _Record:
    def __init__(self, path: str) -> None:
        self.path = path

    def start(self, trigger: Trigger, event: TriggerEvent) -> str | None:
        die = Path(self.path).with_name("die-once")
        if die.exists():  # SIGKILL after claiming, before starting: a crash at the worst time
            die.unlink()
            os.kill(os.getpid(), signal.SIGKILL)
        line = f"{trigger.name}\t{event.event_key}\t{os.getpid()}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        return f"pid-{os.getpid()}"


def _ticks(root: str, db_url: str, ready: str, go: str, times: list[str]) -> None:
    import driftloop as dl
    from driftloop.pipelines import Scheduler

    moments = [datetime.fromisoformat(t) for t in times]
    now = [moments[0]]
    with dl.Workspace(root, db_url=db_url) as ws:
        scheduler = Scheduler(ws, clock=lambda: now[0], jobs=[])
        Path(ready).write_text(scheduler.id)
        deadline = time.monotonic() + 60
        while not Path(go).exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # a start line for two processes, not a wait for a result
        peers = int(os.environ.get("LOCKSTEP", "0"))
        for done, moment in enumerate(moments):
            if peers:
                _wait_for_peers(Path(go).parent, peers, done)
            now[0] = moment
            scheduler.tick()
            if peers:
                Path(go).parent.joinpath(f"{os.getpid()}.ticked").write_text(str(done + 1))


def _wait_for_peers(folder: Path, peers: int, done: int) -> None:
    """Block until ``peers`` processes have each finished ``done`` ticks."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = [int(f.read_text() or 0) for f in folder.glob("*.ticked")]
        if done == 0 or (len(counts) >= peers and min(counts) >= done):
            return
        time.sleep(0.005)
    raise TimeoutError(f"peers did not finish tick {done} in 120 s")


def main() -> None:
    record, mode, *rest = sys.argv[1:]
    register_trigger_target("record", lambda _ws: _Record(record))
    if mode == "ticks":
        root, db_url, ready, go, *times = rest
        _ticks(root, db_url, ready, go, times)
        return
    from driftloop.cli import main as cli

    sys.argv = ["driftloop", *rest]
    cli()


if __name__ == "__main__":
    main()
