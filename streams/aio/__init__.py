"""Kafka with asyncio (aiokafka, mode) for the processes that run an event loop: the worker and the web
console. Imports neither side, nor the tools or the CLI (tests/unit/test_layout.py)."""
