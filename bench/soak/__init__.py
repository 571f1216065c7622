"""The soak (`make soak`): two workers at the design peak for tens of minutes; see bench/README.md."""
