"""The operators' web console (`citygate web`): a live map of rings, points, units and alerts for the desk,
an ordinary consumer of the public topics in a process of its own (docs/web.md)."""
