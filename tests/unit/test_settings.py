"""Settings read from the environment: the city's time zone (CITYGATE_TIMEZONE), checked when read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from streams.cli import main
from streams.cli.common import parse_city_time
from streams.settings import Settings, SettingsError


def test_the_city_zone_defaults_to_china_standard_time() -> None:
    zone = Settings.from_env({}).city_zone()
    assert str(zone) == "Asia/Shanghai"
    assert datetime(2026, 7, 1, 12, tzinfo=zone).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "Asia", "../../etc/passwd", "+08:00", "Asia/Shanghai "]
)
def test_an_unknown_zone_is_one_line(name: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"CITYGATE_TIMEZONE": name})
    assert str(refused.value).startswith(f"CITYGATE_TIMEZONE={name!r} is not a time zone")
    assert "\n" not in str(refused.value)


def test_an_unknown_zone_stops_a_command_in_one_line() -> None:
    done = CliRunner().invoke(main, ["topics", "list"], env={"CITYGATE_TIMEZONE": "Yangzhou"})
    assert done.exit_code == 1 and len(done.output.strip().splitlines()) == 1
    assert done.output.startswith("Error: CITYGATE_TIMEZONE='Yangzhou' is not a time zone")


def test_a_time_without_an_offset_is_the_citys(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_city_time("2026-12-01T08:00").utcoffset() == timedelta(hours=8)
    assert parse_city_time("2026-12-01T08:00+00:00").utcoffset() == timedelta(0)  # an offset wins
    monkeypatch.setenv("CITYGATE_TIMEZONE", "Europe/Berlin")
    assert parse_city_time("2026-12-01T08:00").utcoffset() == timedelta(hours=1)
    assert parse_city_time("2026-07-01T08:00").utcoffset() == timedelta(hours=2)  # the zone's rules, DST


def test_simulates_start_is_read_in_the_city_zone() -> None:
    from streams.cli.simulate import simulate

    context = simulate.make_context("simulate", ["--start", "2026-12-01T08:00"], resilient_parsing=False)
    assert context.params["start"].utcoffset() == timedelta(hours=8)
