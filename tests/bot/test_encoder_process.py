"""The sentence encoder in a child process: same vectors, and it survives its child's death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from loket.bot.encoder_process import EncoderProcess
from loket.bot.semantic import DIMENSIONS, CpuBudget, Encoder, shared_encoder

TEXTS = ["hoe kan ik betalen", "where is my parcel", "wanneer wordt mijn bestelling bezorgd"]


@pytest.fixture(scope="module")
def remote() -> Iterator[Encoder]:
    encoder = Encoder(separate_process=True)
    encoder.load()
    try:
        yield encoder
    finally:
        encoder.close()


def _child(encoder: Encoder) -> int:
    model = encoder._model  # the EncoderProcess
    assert model is not None
    pid: int = model.pid
    return pid


def test_the_child_gives_the_vectors_the_thread_gives(remote: Encoder) -> None:
    local = shared_encoder().encode(TEXTS)
    far = remote.encode(TEXTS)
    assert far.shape == local.shape == (3, 512)
    assert np.allclose(far, local, atol=1e-5)
    assert _child(remote) != os.getpid()


def test_questions_from_many_threads_share_the_child(remote: Encoder) -> None:
    texts = [f"wanneer wordt bestelling {n} bezorgd" for n in range(30)]
    alone = remote.encode(texts)
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(remote.encode_question, texts))
    for one, other in zip(alone, together, strict=True):
        assert other is not None and float(np.dot(one, other)) > 0.999


def test_the_budget_is_charged_with_the_childs_cpu_time(remote: Encoder) -> None:
    budget = CpuBudget(0.0001, clock=lambda: 0.0)  # 0.2 ms in the bucket
    assert remote.encode_question("mag ik mijn jas ruilen voor een andere maat", budget) is not None
    assert not budget.available()
    assert remote.encode_question("mag ik mijn jas ruilen", budget) is None


def test_ctrl_c_in_the_terminal_leaves_the_child_to_the_server(remote: Encoder) -> None:
    pid = _child(remote)
    os.kill(pid, signal.SIGINT)
    assert remote.encode_question(TEXTS[1]) is not None
    assert _child(remote) == pid


def test_a_dead_child_is_replaced(remote: Encoder) -> None:
    before = remote.encode(TEXTS[:1])
    old = _child(remote)
    os.kill(old, signal.SIGKILL)
    vector = remote.encode_question(TEXTS[0])
    assert vector is not None and float(np.dot(vector, before[0])) > 0.999
    assert _child(remote) != old


def test_close_ends_the_child() -> None:
    encoder = Encoder(separate_process=True)
    encoder.load()
    pid = _child(encoder)
    encoder.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_start_leaves_the_child_loading_and_the_first_encoding_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server starts its encoder first and goes on starting while the model loads."""
    waited: list[float] = []
    real_wait = EncoderProcess.wait_ready

    def timed(process: EncoderProcess) -> None:
        began = time.monotonic()
        real_wait(process)
        waited.append(time.monotonic() - began)

    monkeypatch.setattr(EncoderProcess, "wait_ready", timed)
    # Without the model's cache the child takes most of a second to load it.
    monkeypatch.setenv("LOKET_CACHE_DIR", "")
    encoder = Encoder(separate_process=True)
    try:
        began = time.monotonic()
        encoder.start()
        started = time.monotonic() - began
        # A process started, its model not waited for (nor said to be there).
        assert encoder.processes_started == 1 and encoder.process_id is None
        assert not waited
        encoder.start()  # a second call starts no second process
        assert encoder.processes_started == 1
        assert encoder.encode(TEXTS[:1]).shape == (1, DIMENSIONS)
        assert len(waited) == 1 and encoder.process_id is not None
        # The first encoding waited for the load that start() did not.
        assert started < 0.3 < waited[0] + started
        encoder.encode(TEXTS[1:])  # ready once, ready for good
        assert encoder.processes_started == 1
    finally:
        encoder.close()


def test_the_child_ends_with_a_server_killed_while_it_loads(tmp_path: Path) -> None:
    """A server killed while its encoder still loads the model takes the encoder with it at
    once, without a broken-pipe traceback from the child once it has loaded."""
    errors = tmp_path / "child.err"
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys, time\n"
            "child = subprocess.Popen(\n"
            "    [sys.executable, '-m', 'loket.bot.encoder_process', str(os.getpid())],\n"
            "    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(sys.argv[1], 'wb'))\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(60)\n",
            str(errors),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    child = int(server.stdout.readline())
    server.kill()
    server.wait()
    killed = time.monotonic()
    while _alive(child) and time.monotonic() - killed < 10:
        time.sleep(0.05)
    assert not _alive(child)
    # Gone before the model could load, so it never wrote to the pipe.
    assert time.monotonic() - killed < 1.0
    assert "Traceback" not in errors.read_text()


def _alive(pid: int) -> bool:
    """Running, not ended (a zombie waiting for a parent that reaps it counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
