"""Benchmark harness: Pushpin fan-out vs embedded streams, 1 s polling and a Redis pub/sub view.

``python -m bench [--quick]`` starts real processes on loopback (Pushpin, Django under uvicorn,
redis-server, a publisher and an asyncio viewer process), sweeps viewers x update rates per
mode, runs the publisher and render micro-benchmarks and writes ``bench/results/``.
"""
