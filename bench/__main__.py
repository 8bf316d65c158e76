"""`python -m bench [--quick]`: Loket against a bare relay, measured in the same run."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import botbench, report, scenarios, servers, storebench

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("capacity", "idle", "bot", "store")

FULL = {
    "capacity": scenarios.CapacityPlan(),
    "idle": scenarios.IdlePlan(),
    "bot_sizes": (100, 1000, 10_000, 100_000),
    "bot_seconds": 5.0,
    "store_seconds": 5.0,
}
QUICK = {
    "capacity": scenarios.CapacityPlan(
        agents=5, generators=1, step_seconds=1.0, growth=2.0, max_steps=7, refine_steps=0,
        latency_seconds=1.5,
    ),
    "idle": scenarios.IdlePlan(
        counts=(200, 500), hold_target=1000, hold_seconds=3.0, message_interval=2.0, generators=1
    ),
    "bot_sizes": (100, 1000),
    "bot_seconds": 0.5,
    "store_seconds": 0.5,
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of under a minute")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}"
    )
    parser.add_argument("--servers", default="loket,baseline", help="loket, baseline or both")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other parts' figures from the results file (with --only)",
    )
    args = parser.parse_args(argv)
    plan: dict[str, Any] = QUICK if args.quick else FULL
    parts = [p for p in args.only.split(",") if p]
    kinds = [k for k in args.servers.split(",") if k]
    unknown = [p for p in parts if p not in PARTS] + [
        k for k in kinds if k not in scenarios.SERVERS
    ]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")

    started = time.monotonic()
    earlier: dict[str, Any] = {}
    if args.merge and args.results.exists():
        earlier = json.loads(args.results.read_text(encoding="utf-8"))
    results: dict[str, Any] = {
        **{part: earlier[part] for part in PARTS if part in earlier and part not in parts},
        "mode": "quick" if args.quick else "full",
        "command": "python -m bench" + (" --quick" if args.quick else ""),
        "parts_measured_now": parts,
        "machine": report.machine(),
        "versions": report.versions(),
        "fd_limit": servers.fd_limit(),
    }
    kept = [part for part in PARTS if part in earlier and part not in parts]
    if kept:
        # Which figures come from which run: the table says so.
        results["kept_from"] = {"parts": kept, "finished": earlier.get("finished", "?")}
    print(f"Loket benchmark ({results['mode']}): {', '.join(parts)}", flush=True)
    log = _log
    if "capacity" in parts:
        results["capacity"] = {k: scenarios.capacity(k, plan["capacity"], log) for k in kinds}
    if "idle" in parts:
        results["idle"] = {k: scenarios.idle(k, plan["idle"], log) for k in kinds}
    if "bot" in parts:
        results["bot"] = botbench.bot(plan["bot_sizes"], plan["bot_seconds"], log)
    if "store" in parts:
        results["store"] = storebench.store_writes(plan["store_seconds"], log)
    results["seconds"] = time.monotonic() - started
    results["finished"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")

    print()
    print(report.table(results))
    report.write_json(args.results, results)
    print(f"\nresults: {args.results}")
    if not args.no_docs:
        report.write_docs(args.docs, results)
        print(f"figures: {args.docs}")
    return 0


def _log(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
