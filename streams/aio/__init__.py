"""Kafka with asyncio for the processes that run an event loop: `partitions` (aiokafka only: the worker,
the web console and the gateway) and `following` (group-less readers of whole topics, with mode: the worker
and the web console). Imports neither side, nor the tools or the CLI (tests/unit/test_layout.py)."""
