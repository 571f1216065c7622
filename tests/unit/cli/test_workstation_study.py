"""`citygate scenario workstations`: the study's table, with no broker."""

from __future__ import annotations

from click.testing import CliRunner

from streams.cli import main


def test_the_study_prints_every_precinct_the_precincts_together_and_the_verdict() -> None:
    done = CliRunner().invoke(main, ["scenario", "workstations", "--calls", "120", "--seed", "5"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    areas = [line.split()[0] for line in lines if line.startswith(("WS-", "outside", "precincts", "all"))]
    assert areas[-2:] == ["precincts", "all"] and any(a.startswith("WS-") for a in areas)
    assert "min sooner with their units (the seed reports 3-5 min)" in lines[-1]
    again = CliRunner().invoke(main, ["scenario", "workstations", "--calls", "120", "--seed", "5"])
    assert again.output.splitlines()[1:] == lines[1:]  # the same seed, the same figures
