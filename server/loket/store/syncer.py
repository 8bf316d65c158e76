"""The store's WAL syncer: a child process that makes commits durable off the event loop.

Loket's writer commits with `synchronous=NORMAL`, which in WAL mode writes the
transaction to the WAL file without syncing it; `synchronous=FULL` differs only by
syncing the WAL file after each commit. This process does that sync, asked once per
committed batch, so the server acknowledges a write only once the disk has it, as with
FULL, while the sync waits in a process that shares no interpreter lock with the event
loop (a thread that waited for the sync then had to wait for the lock again to report
it: milliseconds on a busy loop, measured).

Run as a script, without importing Loket: `python -I syncer.py WAL_PATH`. The protocol
on stdin and stdout: each byte read is a request; after reading, the WAL file is synced
once (`fdatasync`) for every request read so far, and each is answered with a
little-endian 4-byte int, 0 or the `errno` of the failed sync. The process ends when its
stdin closes (the server stopped or died).
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import sys

REPLY = struct.Struct("<i")
# Where the platform has no fdatasync (macOS), fsync syncs as much and more.
_datasync = getattr(os, "fdatasync", os.fsync)


def serve(path: str, requests: int, replies: int) -> None:
    """Answer sync requests read from fd `requests` on fd `replies` until `requests` ends."""
    fd = -1
    while True:
        asked = os.read(requests, 4096)
        if not asked:
            break
        try:
            # The WAL file lives as long as the server's connections; should it have been
            # removed and made anew, sync the new one.
            if fd >= 0 and os.fstat(fd).st_nlink == 0:
                os.close(fd)
                fd = -1
            if fd < 0:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            _datasync(fd)
            error = 0
        except OSError as exc:
            error = exc.errno or -1
            if fd >= 0:
                os.close(fd)
                fd = -1
        os.write(replies, REPLY.pack(error) * len(asked))
    if fd >= 0:
        os.close(fd)


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group, and a service manager's stop
    # every process of the service: the server decides when this process ends (its stdin
    # closes when the server ends, however it ends), so that its last writes are synced.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):
        serve(sys.argv[1], 0, 1)


if __name__ == "__main__":
    main()
