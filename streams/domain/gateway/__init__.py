"""The gateway's domain: what a camera's HTTP post means for `anpr.hits`, without any I/O.

- `cameras`: the camera registry (`cameras.registry`), which camera of which vendor is which checkpoint,
  lane and direction;
- `keys`: the gateways' API keys (`gateway.keys`), stored as digests, and how a presented key is judged;
- `vendors` (`openalpr`, `platerecognizer`) and `canonical`: a vendor's record mapped to canonical hits,
  every defect of a bad one named;
- `reading`: the lenient field reader those mappings share (it collects defects instead of stopping at the
  first, so a camera's integrator sees them all in one 400).

The adapter (streams/gateway/) decodes the body, checks each mapped hit against the `anpr.hits` Struct (the
same one the worker decodes with), produces and waits for the broker.
"""
