"""citygate's rules, pure: standard library only, time passed in, state in → (state, events) out.

- `matching/`: a plate read against the watchlists (plates, OCR equivalence, hits, the index, alerts,
  dedup, retro-match, bulk CSV, operators' reviews);
- `incidents/`: calls, radio reports, the lockdown planner, the incident and lockdown lifecycle,
  correlation of reports, sightings and the trajectory ahead;
- `geography/`: rings and points (the topology), distances, the synthetic Yangzhou layout.

What both use sits here: `commands` (operators' commands), `audit`, `fields` (the readers that mirror the
schemas), `deadletters` and `exceptions` (`InvalidInput` and its reason codes).
"""
