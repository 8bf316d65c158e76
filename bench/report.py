"""The results: a table on stdout, bench/results.json, and the figures in docs/performance.md."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"

TARGETS = {
    "relayed": 14_000.0,
    "ratio": 0.20,
    "p99_half_ms": 5.0,
    "bytes_per_idle": 30 * 1024,
    "held": 20_000,
    "bot_p99_ms": 25.0,
    "bot_lag_ms": 5.0,
}


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) * 1024
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "kernel": platform.release(),
    }


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version}
    for package in ("aiohttp", "python-socketio", "python-engineio", "pydantic", "aiosqlite"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _f(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(loket: float | None, base: float | None) -> str:
    if not loket or not base:
        return "–"
    return f"{loket / base:.3f}"


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, Loket, bare relay, ratio, target, verdict) per line of the table."""
    out: list[tuple[str, str, str, str, str, str]] = []
    cap = results.get("capacity", {})
    lk, bl = cap.get("loket"), cap.get("baseline")

    def best(run: dict[str, Any] | None) -> float | None:
        return run["max_sustained"]["relayed_per_second"] if run and run["max_sustained"] else None

    if lk or bl:
        lr, br = best(lk), best(bl)
        ok = None if lr is None else lr >= TARGETS["relayed"]
        out.append(("relayed persisted messages/s (max sustained)", _f(lr, 0), _f(br, 0),
                    _ratio(lr, br), "≥ 14,000 and ≥ 0.20×", _verdict(ok)))  # fmt: skip
        for label, key in (("p50", "p50"), ("p99", "p99"), ("p99.9", "p999")):
            lv = lk["half_rate"]["to_agent_ms"][key] if lk and lk["half_rate"] else None
            bv = bl["half_rate"]["to_agent_ms"][key] if bl and bl["half_rate"] else None
            target = "< 5 ms" if key == "p99" else ""
            ok = None if lv is None or key != "p99" else lv < TARGETS["p99_half_ms"]
            out.append((f"shopper→agent {label} at half that rate (ms)", _f(lv, 2), _f(bv, 2),
                        _ratio(lv, bv), target, _verdict(ok)))  # fmt: skip
        lcpu = lk["max_sustained"]["server_cpu_us_per_message"] if lk and best(lk) else None
        bcpu = bl["max_sustained"]["server_cpu_us_per_message"] if bl and best(bl) else None
        out.append(("server CPU per relayed message (µs)", _f(lcpu, 0), _f(bcpu, 0),
                    _ratio(lcpu, bcpu), "", ""))  # fmt: skip
    idle = results.get("idle", {})
    li, bi = idle.get("loket"), idle.get("baseline")
    counts = [m["shoppers"] for m in (li or bi or {}).get("memory", [])]
    for count in counts:
        lv = next((m["bytes_per_shopper"] for m in li["memory"] if m["shoppers"] == count), None)
        bv = (
            next((m["bytes_per_shopper"] for m in bi["memory"] if m["shoppers"] == count), None)
            if bi
            else None
        )
        ok = None if lv is None else lv <= TARGETS["bytes_per_idle"]
        lk_kib = _f(lv / 1024 if lv else None)
        bl_kib = _f(bv / 1024 if bv else None)
        out.append((f"KiB per idle shopper at {count:,}", lk_kib, bl_kib, _ratio(lv, bv), "≤ 30",
                    _verdict(ok)))  # fmt: skip
    for name, run in (("loket", li), ("baseline", bi)):
        hold = run.get("hold") if run else None
        if hold and name == "loket":
            other = bi.get("hold") if bi else None
            ok = hold["held"] and hold["shoppers"] >= TARGETS["held"]
            out.append(("idle shoppers held (a message each 20 s)", f"{hold['shoppers']:,}",
                        f"{other['shoppers']:,}" if other else "–", "", "20,000",
                        _verdict(ok)))  # fmt: skip
            out.append(("  messages acknowledged by the end of the hold",
                        f"{hold['acks_ok']:,} of {hold['sent']:,}",
                        f"{other['acks_ok']:,} of {other['sent']:,}" if other else "–", "",
                        "all", _verdict(hold["acks_ok"] >= 0.99 * hold["sent"])))  # fmt: skip
            out.append(("  ack p99 of those acknowledged (ms)", _f(hold["ack_ms"]["p99"], 1),
                        _f(other["ack_ms"]["p99"], 1) if other else "–", "", "< 100",
                        _verdict(hold["ack_ms"]["p99"] < 100)))  # fmt: skip
    words = li.get("hold_words_alone") if li else None
    if words:
        ok = words["held"] and words["shoppers"] >= TARGETS["held"]
        out.append(("idle shoppers held, bot by words alone", f"{words['shoppers']:,}", "–", "",
                    "20,000", _verdict(ok)))  # fmt: skip
        out.append(("  messages acknowledged by the end of the hold",
                    f"{words['acks_ok']:,} of {words['sent']:,}", "–", "", "all",
                    _verdict(words["acks_ok"] >= 0.99 * words["sent"])))  # fmt: skip
        out.append(("  ack p99 of those acknowledged (ms)", _f(words["ack_ms"]["p99"], 1), "–",
                    "", "< 100", _verdict(words["ack_ms"]["p99"] < 100)))  # fmt: skip
    bot = results.get("bot", {})
    for size in bot.get("sizes", []):
        big = size["phrasings"] >= 100_000
        ok = (
            size["answer_ms"]["p99"] < TARGETS["bot_p99_ms"]
            and size["loop_lag_ms"]["p99"] < TARGETS["bot_lag_ms"]
            if big
            else None
        )
        out.append((f"bot at {size['phrasings']:,} phrasings: answer p50 / p99, loop lag p99 (ms)",
                    f"{_f(size['answer_ms']['p50'], 2)} / {_f(size['answer_ms']['p99'], 2)}, "
                    f"{_f(size['loop_lag_ms']['p99'], 2)}", "", "",
                    "< 25, lag < 5" if big else "", _verdict(ok)))  # fmt: skip
    if "skipped" in bot:
        out.append(("bot", bot["skipped"], "", "", "", ""))
    store = results.get("store", {})
    if "writes_per_second" in store:
        out.append(("store: committed message inserts/s", _f(store["writes_per_second"], 0),
                    "", "", "", ""))  # fmt: skip
    elif "skipped" in store:
        out.append(("store", store["skipped"], "", "", "", ""))
    return out


def table(results: dict[str, Any]) -> str:
    header = ("figure", "Loket", "bare relay", "ratio", "target", "")
    lines = [header, *rows(results)]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in lines
    )


def _kept(results: dict[str, Any]) -> str:
    """For a run with `--merge`: what it measured, and which figures an earlier run gave."""
    kept = results.get("kept_from")
    if not kept:
        return ""
    now = ", ".join(results.get("parts_measured_now", []))
    return f": {now} measured now; {', '.join(kept['parts'])} from the run of {kept['finished']}"


def markdown(results: dict[str, Any]) -> str:
    m, v = results["machine"], results["versions"]
    lines = [
        BEGIN,
        "",
        f"Measured {results['finished']} with `{results['command']}`"
        f" ({results['mode']} run, {results['seconds']:.0f} s){_kept(results)}.",
        "",
        "| figure | Loket | bare relay | ratio | target | |",
        "|---|---:|---:|---:|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows(results)],
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_bytes'] / 2**30:.1f} GiB,"
        f" Linux {m['kernel']}; open-file limit {results['fd_limit']:,}.",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in v.items()) + ".",
        "",
        END,
    ]
    return "\n".join(lines)


def write_docs(path: Path, results: dict[str, Any]) -> None:
    """Replace the figures between the markers (or append them) in `path`."""
    block = markdown(results)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, results: dict[str, Any]) -> None:
    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    path.write_text(json.dumps(clean(results), indent=1) + "\n", encoding="utf-8")
