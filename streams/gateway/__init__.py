"""`citygate gateway`: the HTTP front door of the sensor side, for cameras that do not speak Kafka.

A stateless aiohttp process (run as many as needed behind a load balancer): it follows the camera registry
and the gateways' keys (`follower`), maps each post to canonical hits (streams/domain/gateway/, `intake`),
produces them with acks=all from an idempotent producer and answers 2xx only once the brokers have them
(`publisher`). Never imports Faust, the worker, the tools or the CLI (tests/unit/test_layout.py).
"""
