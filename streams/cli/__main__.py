"""`python -m streams.cli`: the `citygate` command without the console script (tests and bench use it)."""

from streams.cli import main

# Guarded: the retro scan's spawned processes import the main module again (as __mp_main__), and must not
# run a second command.
if __name__ == "__main__":
    main()
