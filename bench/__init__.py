"""Benchmarks of Loket against a bare WebSocket relay."""
