"""Every vector of ../shared/reference/gatt/vectors.json, through the decoders and the CLI."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from app.cli import main
from device.ble.decoders import GattDecodeError
from device.ble.describe import describe


def _expected(vector: dict[str, Any]) -> tuple[dict[str, Any], float]:
    expected = dict(vector["expected"])
    expected.update(vector.get("expected_derived", {}))
    tolerance = float(expected.pop("tolerance", 1e-3))
    return expected, tolerance


def _close(got: Any, want: Any, tol: float) -> bool:
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return got == want
    if isinstance(want, (int, float)):
        return (
            isinstance(got, (int, float))
            and not isinstance(got, bool)
            and math.isclose(got, want, abs_tol=tol)
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_close(g, w, tol) for g, w in zip(got, want, strict=True))
        )
    return got == want


def _mismatches(vector: dict[str, Any], out: dict[str, Any]) -> list[str]:
    expected, tol = _expected(vector)
    return [
        f"{vector['id']}: {key} = {out.get(key, '<missing>')!r}, expected {want!r}"
        for key, want in expected.items()
        if key not in out or not _close(out[key], want, tol)
    ]


def _decode_args(vector: dict[str, Any]) -> tuple[list[str], float | None]:
    circumference = vector.get("context", {}).get("wheel_circumference_m")
    return [vector["characteristic_uuid16"], vector["payload_hex"]], circumference


def test_the_reference_file_has_every_vector_it_announces(gatt_vectors: dict[str, Any]) -> None:
    assert len(gatt_vectors["vectors"]) == gatt_vectors["count"] == 52
    assert len({v["id"] for v in gatt_vectors["vectors"]}) == 52


def test_every_vector_decodes_to_its_expected_fields(gatt_vectors: dict[str, Any]) -> None:
    problems: list[str] = []
    checked = 0
    for vector in gatt_vectors["vectors"]:
        (uuid, payload), circumference = _decode_args(vector)
        kwargs = {} if circumference is None else {"wheel_circumference_m": circumference}
        try:
            out = describe(uuid, payload, vector.get("previous_payload_hex"), **kwargs)
        except GattDecodeError as exc:
            if vector["valid"]:
                problems.append(f"{vector['id']}: rejected a valid payload: {exc}")
            checked += 1
            continue
        if not vector["valid"]:
            problems.append(f"{vector['id']}: accepted an invalid payload: {out}")
        problems.extend(_mismatches(vector, out))
        checked += 1
    assert checked == len(gatt_vectors["vectors"])
    assert problems == []


def test_the_three_invalid_vectors_say_what_is_wrong(gatt_vectors: dict[str, Any]) -> None:
    invalid = {v["id"]: v for v in gatt_vectors["vectors"] if not v["valid"]}
    assert set(invalid) == {"rsc-002", "csc-009", "bat-004"}
    for vector in invalid.values():
        with pytest.raises(GattDecodeError) as info:
            describe(vector["characteristic_uuid16"], vector["payload_hex"])
        message = str(info.value)
        # The reference's reason ("need 10 octets; only 9 supplied", "exactly 1 octet").
        reason = vector["expected"]["error"]
        for fragment in ("need 10 octets", "need 11 octets", "exactly 1 octet"):
            if fragment in reason:
                assert fragment in message


def test_cli_json_matches_every_vector(
    gatt_vectors: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    problems: list[str] = []
    forms = ("plain", "0x", "128")
    for i, vector in enumerate(gatt_vectors["vectors"]):
        uuid = {  # the three UUID spellings the contract accepts, in turn
            "plain": vector["characteristic_uuid16"][2:],
            "0x": vector["characteristic_uuid16"],
            "128": vector["uuid128"].upper(),
        }[forms[i % 3]]
        argv = ["gatt", "decode", uuid, vector["payload_hex"], "--json"]
        if "previous_payload_hex" in vector:
            argv += ["--previous", vector["previous_payload_hex"]]
        circumference = vector.get("context", {}).get("wheel_circumference_m")
        if circumference is not None:
            argv += ["--wheel-circumference", str(circumference)]
        code = main(argv)
        out = json.loads(capsys.readouterr().out)
        if vector["valid"]:
            if code != 0:
                problems.append(f"{vector['id']}: exit {code}: {out}")
                continue
            problems.extend(_mismatches(vector, out))
        else:
            if code != 2 or set(out) != {"error"} or not out["error"]:
                problems.append(f"{vector['id']}: invalid payload gave exit {code}: {out}")
    assert problems == []
