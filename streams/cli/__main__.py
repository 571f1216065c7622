"""`python -m streams.cli`: the `citygate` command without the console script (tests and bench use it)."""

from streams.cli import main

main()
