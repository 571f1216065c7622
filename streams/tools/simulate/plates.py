"""Number plates: synthetic registrations in the shares seen on Yangzhou's roads (GA 36-2018 valid, one per
vehicle for the run), and how a camera reads one (OCR noise, top-N candidates, the gateway's spelling)."""
# ruff: noqa: S311 - `random` models traffic here, it guards no secret

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from streams.domain.matching.equivalence import CONFUSABLE_MATES
from streams.domain.matching.plates import is_valid_plate
from streams.tools.simulate.records import SimulatedVehicle, TrafficConfig

# Plates: (province, letters and weights, share of all vehicles, share of them living in the city).
_REGISTRATIONS: tuple[tuple[str, str, float, float], ...] = (
    ("苏", "K", 78.0, 1.0),
    ("苏", "AAAMMHHLLDEBFJCNG", 12.0, 0.4),
    ("皖", "ABCDEFHJKLMNPRS", 3.5, 0.15),
    ("沪", "ABCDEFGHJKLMN", 1.8, 0.15),
    ("浙", "ABCDEFGHJKL", 1.8, 0.15),
    ("鲁", "ABCDEFGHJKLMNPQRSU", 1.0, 0.15),
    ("豫", "ABCDEFGHJKLMNPQRSU", 0.5, 0.15),
    ("粤", "ABCDEFGHJKLMNPQRSTUVWXY", 0.3, 0.1),
    ("京", "ABCEFGHJKLMNPQ", 0.3, 0.1),
    ("鄂", "ABCDEFGHJKLMNPQRS", 0.3, 0.1),
    ("赣", "ABCDEFGHJKLM", 0.2, 0.1),
    ("闽", "ABCDEFGHJK", 0.2, 0.1),
    ("川", "ABCDEFHJKLMQRSTUVWXYZ", 0.2, 0.1),
    ("冀", "ABCDEFGHJRT", 0.2, 0.1),
)
_REGISTRATION_WEIGHTS = tuple(accumulate(r[2] for r in _REGISTRATIONS))
_SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36-2018: never I or O
_DIGITS = "0123456789"
_VEHICLE_COLOURS = (
    ("白色", 35),
    ("黑色", 22),
    ("银色", 15),
    ("灰色", 12),
    ("红色", 5),
    ("蓝色", 5),
    ("棕色", 3),
)
_COLOUR_WEIGHTS = tuple(accumulate(w for _, w in _VEHICLE_COLOURS))
# How gateways spell a plate: plain, with the middle dot after the authority letter, or full-width.
_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def new_vehicle(rng: random.Random, number: int, taken: set[str], config: TrafficConfig) -> SimulatedVehicle:
    """Vehicle `number`: a registration drawn by its share of the roads, and a plate of a kind that fits it
    (new-energy, police, driving school, truck, ordinary), not yet in `taken` (it is added there)."""
    province, letters, _, resident_share = _REGISTRATIONS[
        bisect_right(_REGISTRATION_WEIGHTS, rng.random() * _REGISTRATION_WEIGHTS[-1])
    ]
    resident = rng.random() < resident_share
    local = province + letters == "苏K"
    while True:
        authority = rng.choice(letters)
        roll = rng.random()
        special = False
        if roll < config.new_energy_share * 0.94:
            serial = rng.choice("DDDF") + rng.choice(_SERIAL_LETTERS + _DIGITS) + _digits(rng, 4)
            colour, kind = "green", _pick(rng, (("car", 70), ("suv", 24), ("taxi", 6)))
        elif roll < config.new_energy_share:
            serial = _digits(rng, 5) + rng.choice("DF")
            colour, kind = "yellow_green", _pick(rng, (("bus", 70), ("truck", 30)))
        elif local and roll > 0.995:
            special = True  # police (0.2%) and driving-school (0.3%) cars
            marker = "警" if roll > 0.998 else "学"
            serial = _digits(rng, 4) + marker
            colour, kind = ("white", "suv") if marker == "警" else ("yellow", "car")
        elif roll > 0.9:
            serial = _ordinary_serial(rng)
            colour, kind = "yellow", _pick(rng, (("truck", 75), ("bus", 25)))
        else:
            serial = _ordinary_serial(rng)
            colour, kind = "blue", _pick(rng, (("car", 68), ("suv", 23), ("van", 5), ("taxi", 4)))
        plate = province + authority + serial
        if plate not in taken and is_valid_plate(plate):
            break
    taken.add(plate)
    body = "白色" if special and colour == "white" else _pick(rng, _VEHICLE_COLOURS, _COLOUR_WEIGHTS)
    return SimulatedVehicle(f"V{number:07d}", plate, colour, kind, body, resident, special)


@dataclass(frozen=True, slots=True)
class Read:
    """What a camera made of a plate."""

    noise: str  # none, confusable, dropped, low_confidence
    text: str  # as the gateway spells it
    confidence: float
    candidates: list[dict[str, object]]  # top-N texts with confidences, the true plate among them


def read_plate(rng: random.Random, plate: str, style: str, config: TrafficConfig) -> Read:
    """One camera read of `plate`, with the config's shares of noise, spelt in the gateway's `style`."""
    dropped, confusable = config.dropped_share, config.confusable_share
    roll = rng.random()
    swapped = _confusable_variant(rng, plate) if dropped <= roll < dropped + confusable else None
    if roll < dropped:
        noise, read, confidence = "dropped", _dropped_character(rng, plate), rng.uniform(0.35, 0.7)
    elif swapped is not None:
        noise, read, confidence = "confusable", swapped, rng.uniform(0.55, 0.85)
    elif dropped + confusable <= roll < dropped + confusable + config.low_confidence_share:
        noise, read, confidence = "low_confidence", plate, rng.uniform(0.3, 0.6)
    else:  # a clean read (also when a plate has no confusable character to swap)
        noise, read, confidence = "none", plate, rng.uniform(0.86, 0.99)
    confidence = round(confidence, 3)
    candidates: list[dict[str, object]] = [{"text": _spell(read, style), "confidence": confidence}]
    if read != plate:
        candidates.append({"text": _spell(plate, style), "confidence": round(confidence * 0.6, 3)})
    if noise != "none" or rng.random() < 0.3:
        variant = _confusable_variant(rng, plate)
        if variant is not None and variant != read:
            candidates.append(
                {"text": _spell(variant, style), "confidence": round(rng.uniform(0.02, 0.2), 3)}
            )
    return Read(noise, _spell(read, style), confidence, candidates)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(count))


def _ordinary_serial(rng: random.Random) -> str:
    """Five characters: digits only, one letter (most often first) or two letters in front."""
    roll = rng.random()
    if roll < 0.35:
        return _digits(rng, 5)
    if roll < 0.65:
        return rng.choice(_SERIAL_LETTERS) + _digits(rng, 4)
    if roll < 0.85:
        serial = list(_digits(rng, 5))
        serial[rng.randrange(1, 5)] = rng.choice(_SERIAL_LETTERS)
        return "".join(serial)
    return rng.choice(_SERIAL_LETTERS) + rng.choice(_SERIAL_LETTERS) + _digits(rng, 3)


def _pick(
    rng: random.Random, options: Sequence[tuple[str, int]], cumulative: Sequence[float] | None = None
) -> str:
    weights = cumulative if cumulative is not None else tuple(accumulate(w for _, w in options))
    return options[bisect_right(weights, rng.random() * weights[-1])][0]


def _confusable_variant(rng: random.Random, plate: str) -> str | None:
    """`plate` with one serial character swapped for one a camera confuses it with, still a valid plate."""
    options = [
        plate[:i] + mate + plate[i + 1 :]
        for i in range(2, len(plate))
        for mate in CONFUSABLE_MATES.get(plate[i], "")
    ]
    valid = [option for option in options if is_valid_plate(option)]
    return rng.choice(valid) if valid else None


def _dropped_character(rng: random.Random, plate: str) -> str:
    """`plate` missing one character, such that it is no plate at all (the worker dead-letters it). Dropping
    the province character always does; a new-energy plate missing one serial character would still read
    as a valid ordinary plate, so only positions that break the plate are chosen."""
    broken = [cut for cut in range(len(plate)) if not is_valid_plate(plate[:cut] + plate[cut + 1 :])]
    cut = rng.choice(broken or [0])
    return plate[:cut] + plate[cut + 1 :]


def _spell(plate: str, style: str) -> str:
    """How a gateway writes a normalised plate."""
    if style == "dot":
        return plate[:2] + "·" + plate[2:]
    if style == "fullwidth":
        return plate[0] + plate[1:].translate(_FULLWIDTH)
    return plate
