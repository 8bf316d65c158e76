"""The `loket faq ...` commands."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the FAQ commands to the `loket` parser."""
