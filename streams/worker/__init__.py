"""What `citygate worker` runs: `app.build_app` wires the Faust app, the sensor side (`sensor/`), the
watchlist replica and checker (`watchlist/`), the command side (`command_side/`), health and metrics."""
