"""The sentence encoder in a process of its own, so that encoding never holds the server's GIL.

The encoder runs in pure numpy: between its matrix products it runs Python, holding the
interpreter lock. In a worker thread of the server that meant the event loop waited for the
lock (up to the interpreter's 5 ms switch interval, many times a second) whenever a question
was being encoded: with 20,000 shoppers connected and a question a millisecond, message
acknowledgements waited 50-200 ms (measured). In its own process it shares nothing with
the event loop but a pipe, and runs at a lower priority than the server.

The protocol on the child's stdin and stdout, all integers big-endian:

- request: a 4-byte length, then that many bytes of a JSON list of texts;
- reply: a 4-byte count of vectors, an 8-byte float of the CPU seconds the encoding took,
  then count x DIMENSIONS float32 values.

Before its first reply the child writes one byte, `READY`, once the model is loaded. It
ends when its stdin closes (the server stopped or died), and on Linux as soon as the server
dies, also while the model is still loading.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import IO, Any

import numpy as np

from loket.bot.semantic import DIMENSIONS, Vectors, load_model

READY = b"R"
_REQUEST = struct.Struct("!I")
_REPLY = struct.Struct("!Id")
# Lower priority than the server: under load the event loop gets the CPU first.
NICENESS = 5
# The most a load may take (the model is read from the package on first use).
START_TIMEOUT = 120.0
# prctl(2): the signal the kernel sends this process when its parent ends.
PR_SET_PDEATHSIG = 1


class EncoderProcessError(RuntimeError):
    """The encoder process could not be started, or died."""


class EncoderProcess:
    """A child process that encodes texts; `encode` blocks the calling thread only (the GIL
    is released while it waits on the pipe). One caller at a time.

    Made, it loads its model while the caller goes on: the first `encode` (or
    `wait_ready`) waits for the load to end."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "loket.bot.encoder_process", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin: IO[bytes] = self._process.stdin
        self._stdout: IO[bytes] = self._process.stdout
        self._ready = False

    def wait_ready(self) -> None:
        """Wait until the child has loaded its model (the first `encode` does)."""
        if self._ready:
            return
        # A child that never says it is ready is killed.
        timer = threading.Timer(START_TIMEOUT, self._process.kill)
        timer.start()
        try:
            ready = self._stdout.read(1)
        finally:
            timer.cancel()
        if ready != READY:
            raise EncoderProcessError("the encoder process did not start")
        self._ready = True

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def ready(self) -> bool:
        """Whether the child said it loaded its model."""
        return self._ready

    def encode(self, texts: list[str]) -> tuple[Vectors, float]:
        """Vectors of `texts` (one row each), and the CPU seconds the child spent on them."""
        self.wait_ready()
        payload = json.dumps(texts).encode()
        try:
            self._stdin.write(_REQUEST.pack(len(payload)) + payload)
            self._stdin.flush()
            count, cpu = _REPLY.unpack(_read_exactly(self._stdout, _REPLY.size))
            data = _read_exactly(self._stdout, count * DIMENSIONS * 4)
        except (OSError, ValueError, struct.error) as exc:
            raise EncoderProcessError(f"the encoder process failed: {exc}") from exc
        if count != len(texts):
            raise EncoderProcessError(f"the encoder process sent {count} vectors for {len(texts)}")
        return np.frombuffer(data, dtype=np.float32).reshape(count, DIMENSIONS), cpu

    def close(self) -> None:
        """End the child (it ends by itself when its stdin closes)."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stdout.close()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EncoderProcessError("the encoder process ended")
    return data


def serve(requests: IO[bytes], replies: IO[bytes], model: Any) -> None:
    """Answer requests until `requests` ends."""
    replies.write(READY)
    replies.flush()
    while True:
        header = requests.read(_REQUEST.size)
        if len(header) < _REQUEST.size:
            return
        (length,) = _REQUEST.unpack(header)
        texts = json.loads(requests.read(length))
        started = time.thread_time()
        vectors = np.ascontiguousarray(model.encode(texts), dtype=np.float32)
        spent = time.thread_time() - started
        replies.write(_REPLY.pack(len(texts), spent))
        replies.write(vectors.reshape(len(texts), DIMENSIONS).tobytes())
        replies.flush()


def _end_with(parent: int) -> None:
    """Have the kernel end this process when `parent` (the server) ends.

    A closed stdin is only noticed between requests: a server killed while the model loads
    would leave this process loading for seconds, listening to nobody. Linux only; elsewhere
    the closed stdin ends it once loaded. (The kernel watches the thread that started this
    process: the event loop's, or a worker thread of the server's default executor when a
    dead encoder is replaced, which lives until the server stops.)
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        # The server ended before the request to the kernel was made.
        sys.exit(0)


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the server decides when this
    # child ends (by closing its stdin), not the keyboard.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if len(sys.argv) > 1:
        _end_with(int(sys.argv[1]))
    # The protocol owns the real stdout; anything printed goes to stderr instead.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    os.nice(NICENESS)
    try:
        serve(sys.stdin.buffer, replies, load_model())
    except BrokenPipeError:
        # The server is gone: nobody is left to answer (and nothing to flush at exit).
        with contextlib.suppress(OSError):
            replies.close()


if __name__ == "__main__":
    main()
