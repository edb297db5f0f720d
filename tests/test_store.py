"""The store of typed waves: a wave read back from it is the wave typed from its export, dtype for
dtype; an entry exists only for data that passed validation; any change to the export, the
codebook or the wave asked for misses; a damaged entry is read as a miss, never as data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_load import CODEBOOK, csv_text, write_bytes

from hakusho import config
from hakusho.errors import DataError
from hakusho.survey import store
from hakusho.survey.codebook import Codebook
from hakusho.survey.load import load_wave


def codebook() -> Codebook:
    return Codebook.model_validate(CODEBOOK)


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*/" + store.RESPONSES_FILE))


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert [str(d) for d in a.dtypes] == [str(d) for d in b.dtypes]
    assert [type(a[c].array) for c in a.columns] == [type(b[c].array) for c in b.columns]
    assert str(a.index.dtype) == str(b.index.dtype) and a.index.name == b.index.name


@pytest.mark.parametrize("wave", [config.DEFAULT_WAVE, config.DEFAULT_COMPARE_WAVE])
def test_a_stored_wave_reads_back_as_the_typed_export(tmp_path: Path, wave: str) -> None:
    typed = load_wave(wave)
    back = load_wave(wave, store=tmp_path)  # a miss: read, checked, typed, stored
    assert len(entries(tmp_path)) == 1
    again = load_wave(wave, store=tmp_path)  # a hit
    assert_same(typed.responses, back.responses)
    assert_same(typed.responses, again.responses)
    assert (again.wave, again.source, again.codebook) == (typed.wave, typed.source, typed.codebook)


def test_the_store_is_used_instead_of_the_export(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    write_bytes(folder, csv_text().encode("utf-8"))
    first = load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    [entry] = entries(tmp_path / "store")
    key = entry.parent.name
    # The same key read directly gives the same table: nothing else is consulted.
    assert_same(store.read_wave(tmp_path / "store", key), first.responses)
    assert key == store.wave_key(folder / "responses.csv", codebook(), "2025")


def test_every_input_of_a_wave_is_part_of_its_key(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    path = write_bytes(folder, csv_text().encode("utf-8"))
    key = store.wave_key(path, codebook(), "2025")
    assert store.wave_key(path, codebook(), "2025") == key
    assert store.wave_key(path, codebook(), "2023") != key
    relabelled = {**CODEBOOK, "questions": [{**CODEBOOK["questions"][0], "text": {"ja": "x", "en": "x"}},
                                            *CODEBOOK["questions"][1:]]}
    assert store.wave_key(path, Codebook.model_validate(relabelled), "2025") != key
    write_bytes(folder, csv_text().replace("R004,3", "R004,2").encode("utf-8"))
    assert store.wave_key(path, codebook(), "2025") != key


def test_an_edited_export_misses_and_is_checked_again(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    write_bytes(folder, csv_text().encode("utf-8"))
    load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    write_bytes(folder, csv_text().replace("R004,3", "R004,4").encode("utf-8"))
    with pytest.raises(DataError) as info:
        load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    assert [p.row for p in info.value.problems] == [5]
    assert len(entries(tmp_path / "store")) == 1  # the invalid export was not stored


def test_data_that_fails_validation_is_never_stored(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    write_bytes(folder, csv_text().replace("R004,3", "R004,4").encode("utf-8"))
    with pytest.raises(DataError):
        load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store", validate=False)
    assert entries(tmp_path / "store") == []


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "2025"
    write_bytes(folder, csv_text().encode("utf-8"))
    typed = load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    [entry] = entries(tmp_path / "store")
    data = entry.read_bytes()
    entry.write_bytes({"empty": b"", "truncated": data[: len(data) // 2], "garbage": b"PK\x03\x04" * 50}[damage])
    again = load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    assert_same(typed.responses, again.responses)


def test_no_store_is_written_without_being_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CACHE_ENV, raising=False)
    folder = tmp_path / "2025"
    write_bytes(folder, csv_text().encode("utf-8"))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    load_wave("2025", raw_path=folder, codebook=codebook())
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    load_wave("2025", raw_path=folder, codebook=codebook())
    assert len(entries(tmp_path / "cache" / "waves")) == 1


def test_the_export_is_never_modified(tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    path = write_bytes(folder, csv_text().encode("cp932"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for _ in range(2):
        load_wave("2025", raw_path=folder, codebook=codebook(), store=tmp_path / "store")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


cell = st.one_of(st.none(), st.integers(-3, 3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(cell, st.one_of(st.none(), st.booleans()),
                               st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                               st.one_of(st.none(), st.text(max_size=6))), min_size=0, max_size=30))
def test_any_typed_table_survives_the_round_trip(tmp_path: Path, rows: list[tuple]) -> None:
    frame = pd.DataFrame({
        "code": pd.array([r[0] for r in rows], dtype="Int64"),
        "tick": pd.array([r[1] for r in rows], dtype="boolean"),
        "number": pd.array([r[2] for r in rows], dtype="Float64"),
        "text": pd.array([pd.NA if r[3] is None else r[3] for r in rows], dtype="string"),
    }, index=pd.Index([f"R{i:03d}" for i in range(len(rows))], name="respondent_id"))
    key = hashlib.sha256(repr(rows).encode()).hexdigest()
    store.write_wave(tmp_path, key, frame)
    assert_same(frame, store.read_wave(tmp_path, key))


def test_a_table_of_another_shape_is_refused() -> None:
    frame = pd.DataFrame({"when": pd.to_datetime(["2025-01-01"])})
    with pytest.raises(TypeError, match="cannot be stored"):
        store.encode(frame)
    assert np.array_equal(store.encode(pd.DataFrame({"a": pd.array([1], dtype="Int64")}))["int_values"], [[1]])
