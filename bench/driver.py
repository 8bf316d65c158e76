"""The parent's handle on the generator processes: start them, send commands, collect replies."""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bench.loadgen import worker_main


class GeneratorError(RuntimeError):
    """A generator process refused or failed a command."""


class Generators:
    """`count` generator processes aimed at one server."""

    def __init__(self, url: str, origin: str, count: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Connection] = []
        self._processes: list[BaseProcess] = []
        for worker in range(count):
            parent, child = context.Pipe()
            process = context.Process(
                target=worker_main, args=(child, worker, url, origin), daemon=True
            )
            process.start()
            child.close()
            self._pipes.append(parent)
            self._processes.append(process)

    def __len__(self) -> int:
        return len(self._pipes)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def send(self, worker: int, op: str, **args: Any) -> None:
        self._pipes[worker].send({"op": op, **args})

    def receive(self, worker: int, timeout: float) -> dict[str, Any]:
        pipe = self._pipes[worker]
        if not pipe.poll(timeout):
            raise GeneratorError(f"generator {worker} gave no answer within {timeout:.0f} s")
        reply: dict[str, Any] = pipe.recv()
        if not reply.get("ok"):
            raise GeneratorError(f"generator {worker}: {reply.get('error')}")
        return reply

    def call(self, worker: int, op: str, timeout: float = 120.0, **args: Any) -> dict[str, Any]:
        self.send(worker, op, **args)
        return self.receive(worker, timeout)

    def call_all(
        self, op: str, timeout: float = 120.0, per_worker: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Send `op` to every generator at once (with its own arguments), then collect."""
        for worker in range(len(self)):
            self.send(worker, op, **(per_worker[worker] if per_worker else {}))
        return [self.receive(worker, timeout) for worker in range(len(self))]

    def close(self) -> None:
        for worker, process in enumerate(self._processes):
            if process.is_alive():
                with contextlib.suppress(GeneratorError, OSError, EOFError):
                    self.call(worker, "close", timeout=60)
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
        for pipe in self._pipes:
            pipe.close()
