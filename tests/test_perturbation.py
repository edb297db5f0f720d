"""Cell-key perturbation: the secret, the keys, the perturbation table, and the differencing attack
of the statistical review replayed against researcher outputs."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusho import config
from hakusho.analysis import perturbation
from hakusho.analysis.chapter import compute_chapter
from hakusho.analysis.perturbation import (
    KEY_RANGE,
    MAX_NOISE,
    PERTURBATION_TABLE,
    WEIGHTS,
    Protection,
    RecordKeys,
    ensure_secret,
    noise,
    protect_counts,
    secret_path,
)
from hakusho.errors import BuildError
from hakusho.survey.load import load_waves

# The attack of the review: filter A, and A without the one contract employee (respondent R0405).
FILTER_A = [["employees", ">=", 1000]]
FILTER_B = [*FILTER_A, ["position", "!=", "contract"]]
TARGET = "R0405"
ATTACKED = ("income", "income_change", "cs_career")  # the appendix charts the review read R0405 off


# ------------------------------------------------------------------------------ the secret


def test_the_secret_is_made_once_private_and_never_replaced(tmp_path: Path) -> None:
    first = ensure_secret(tmp_path)
    path = secret_path(tmp_path)
    assert len(first) == perturbation.SECRET_BYTES and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (path.parent / ".gitignore").read_text() == "*\n"
    assert ensure_secret(tmp_path) == first
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".secret")] == []  # no temporary left


def test_a_malformed_secret_is_an_error_and_stays(tmp_path: Path) -> None:
    path = secret_path(tmp_path)
    path.parent.mkdir()
    path.write_text("not hex\n")
    with pytest.raises(BuildError, match="not a perturbation secret"):
        ensure_secret(tmp_path)
    assert path.read_text() == "not hex\n"


def test_parallel_first_uses_agree_on_one_secret(tmp_path: Path) -> None:
    found: list[bytes] = []
    threads = [threading.Thread(target=lambda: found.append(ensure_secret(tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1


def test_the_project_keeps_its_secret_out_of_version_control() -> None:
    ignored = (config.PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert f"{perturbation.SECRET_DIR}/" in ignored


# ------------------------------------------------------------------------------ keys and noise


def test_record_keys_depend_on_secret_wave_and_respondent() -> None:
    keys = RecordKeys(bytes(32), "2025")
    assert keys.cell_key("R1") == RecordKeys(bytes(32), "2025").cell_key("R1")
    assert keys.cell_key("R1") != keys.cell_key("R2")
    assert keys.cell_key("R1") != RecordKeys(bytes(32), "2023").cell_key("R1")
    assert keys.cell_key("R1") != RecordKeys(b"\x01" * 32, "2025").cell_key("R1")
    assert keys.cell_key("R1") != keys.population_key("R1")
    assert 0 <= keys.cell_key("R1") < KEY_RANGE


def test_every_row_of_the_perturbation_table_has_mean_zero_and_bounded_noise() -> None:
    for count, row in PERTURBATION_TABLE.items():
        assert sum(w for _, w in row) == WEIGHTS
        assert sum(v * w for v, w in row) == 0, f"row {count} is biased"
        assert all(abs(v) <= MAX_NOISE and count + v >= 0 for v, _ in row)


def test_noise_follows_the_table_over_the_key_range() -> None:
    keys = np.linspace(0, KEY_RANGE - 1, 20_000).astype(np.int64)
    for count in (1, 2, 7, 500):
        drawn = [noise(count, int(k)) for k in keys]
        row = dict(PERTURBATION_TABLE[min(count, 2)])
        for value, weight in row.items():
            assert drawn.count(value) / len(drawn) == pytest.approx(weight / WEIGHTS, abs=0.002)
    assert noise(0, 12345) == 0


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), st.sets(st.integers(0, 60), max_size=30), min_size=1))
def test_protected_counts_are_near_the_truth_repeatable_and_order_free(cells: dict[str, set[int]]) -> None:
    keys = RecordKeys(b"\x07" * 32, "2025")
    ids = {cell: [f"R{i:04d}" for i in sorted(members)] for cell, members in cells.items()}
    population = sorted({r for members in ids.values() for r in members} | {"R9999"})
    out = protect_counts(ids, population, keys)
    assert out == protect_counts({c: list(reversed(r)) for c, r in ids.items()}, list(reversed(population)), keys)
    for cell, records in ids.items():
        assert abs(out[cell] - len(records)) <= MAX_NOISE and out[cell] >= 0
        if not records:
            assert out[cell] == 0


# ------------------------------------------------------------------------------ the attack


@pytest.fixture(scope="module")
def waves():
    return load_waves("2025", "2023")


def _first_series(result, chart_id: str) -> dict[str, int]:
    table = result.table(chart_id)
    series = table["series"].iloc[0]
    rows = table[table["series"] == series]
    return dict(zip(rows["choice_key"], rows["count"].astype(int), strict=True))


def _answers(survey, chart_id: str) -> str:
    question = survey.question(chart_id)
    code = survey.codes(chart_id)[TARGET]
    return next(c.key for c in question.choices if c.code == code)


def _difference(a, b, chart_id: str) -> dict[str, int]:
    first, second = _first_series(a, chart_id), _first_series(b, chart_id)
    return {key: first[key] - second[key] for key in first}


def test_without_protection_the_difference_gives_the_respondent_away(waves) -> None:
    # The control: exact counts (what the canonical report shows) let the attack succeed, so the
    # test below fails if protection is ever switched off for filtered runs.
    survey, compare = waves
    a = compute_chapter("appendix", survey, compare, filters=FILTER_A, protection=None)
    b = compute_chapter("appendix", survey, compare, filters=FILTER_B, protection=None)
    assert a.chapter["n_segment"] - b.chapter["n_segment"] == 1
    for chart_id in ATTACKED:
        diff = _difference(a, b, chart_id)
        assert {k for k, v in diff.items() if v} == {_answers(survey, chart_id)}


def test_the_differencing_attack_reads_noise_instead_of_the_respondent(waves, tmp_path, monkeypatch) -> None:
    survey, compare = waves
    # The project's own secret, read from where the project keeps it (fixed here, so that the test
    # reads the same noise on every machine; any secret does as well across many, see below).
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    secret_path(tmp_path).parent.mkdir()
    secret_path(tmp_path).write_text("5e" * perturbation.SECRET_BYTES + "\n")
    a = compute_chapter("appendix", survey, compare, filters=FILTER_A)
    b = compute_chapter("appendix", survey, compare, filters=FILTER_B)
    assert a.chapter["counts"] == b.chapter["counts"] == "perturbed"
    again = compute_chapter("appendix", survey, compare, filters=FILTER_A)
    assert again.tables["income"].equals(a.tables["income"]), "repeating a query returns the same numbers"
    revealed = []
    for chart_id in ATTACKED:
        diff = _difference(a, b, chart_id)
        answer = _answers(survey, chart_id)
        changed = {k for k, v in diff.items() if v}
        # The attacker's readings: the one cell that moved, or the cell that moved most.
        top = max(diff.values())
        revealed.append(changed == {answer} or [k for k, v in diff.items() if v == top] == [answer])
        assert len(changed) > 1, f"{chart_id}: only {changed} moved, which points at one answer"
    assert not all(revealed), "the difference still reads off the respondent's answers"


def test_across_many_secrets_the_attack_does_little_better_than_guessing(waves) -> None:
    """The same attack on the tables, for 200 project secrets: how often the cell that moved most is
    the respondent's own answer, on all three questions at once (exact counts: always)."""
    survey, _ = waves
    from hakusho.analysis.tabulate import share_of_base

    population = survey.population("saas_doing", segment="saas")
    mask_a = survey.where(_conditions(FILTER_A))
    mask_b = survey.where(_conditions(FILTER_B))
    rng = np.random.default_rng(2025)
    hits = 0
    singles = {chart_id: 0 for chart_id in ATTACKED}
    trials = 200
    for _ in range(trials):
        guard = Protection(rng.bytes(32))
        all_three = True
        for chart_id in ATTACKED:
            ta = share_of_base(survey, chart_id, population & mask_a, protection=guard).set_index("choice_key")
            tb = share_of_base(survey, chart_id, population & mask_b, protection=guard).set_index("choice_key")
            diff = (ta["count"] - tb["count"]).to_dict()
            top = max(diff.values())
            correct = [k for k, v in diff.items() if v == top] == [_answers(survey, chart_id)]
            singles[chart_id] += correct
            all_three &= correct
        hits += all_three
    assert hits / trials < 0.1, f"all three answers read off in {hits} of {trials} projects"
    for chart_id, n in singles.items():
        assert n / trials < 0.6, f"{chart_id}: the answer stood out in {n} of {trials} projects"


def _conditions(filters):
    from hakusho.survey.codebook import Condition

    return [Condition(var=v, op=o, value=x) for v, o, x in filters]


# ------------------------------------------------------------------------------ which runs


def test_the_published_reports_stay_exact_and_need_no_secret(waves, tmp_path, monkeypatch) -> None:
    survey, compare = waves
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    auto = compute_chapter("ch2", survey, compare)
    exact = compute_chapter("ch2", survey, compare, protection=None)
    assert auto.chapter["counts"] == "exact"
    assert all(auto.tables[c].equals(exact.tables[c]) for c in exact.tables)
    assert not secret_path(tmp_path).exists()


def test_every_perturbed_output_says_so_in_both_languages(waves) -> None:
    survey, compare = waves
    guard = Protection(b"\x01" * 32)
    result = compute_chapter("ch4", survey, compare, filters=FILTER_A, protection=guard)
    for chart_id in result.chart_ids:
        notes = [n for n in result.chart(chart_id)["notes"] if n["key"] == "note.perturbed"]
        assert notes and "±2" in notes[0]["en"] and "±2" in notes[0]["ja"]
        assert set(result.table(chart_id)["counts"]) == {"perturbed"}
    exact = compute_chapter("ch4", survey, compare, filters=FILTER_A, protection=None)
    assert set(exact.table("nrr")["counts"]) == {"exact"}
    # Counts differ somewhere, and shares are of the perturbed counts.
    assert any(not result.tables[c]["count"].equals(exact.tables[c]["count"]) for c in result.tables)
    from hakusho.analysis.tabulate import percent

    for table in result.tables.values():
        for row in table.itertuples():
            if row.pct == row.pct:  # shown
                assert row.pct == percent(int(row.count), int(row.base))


def test_an_unpublished_segment_is_perturbed(waves, tmp_path, monkeypatch) -> None:
    from hakusho.analysis.spec import default_spec

    survey, compare = waves
    spec = default_spec()
    hidden = spec.model_copy(update={"segments": {**spec.segments, "saas": spec.segments["saas"].model_copy(
        update={"published": False})}})
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    result = compute_chapter("ch2", survey, compare, spec=hidden)
    assert result.chapter["counts"] == "perturbed" and secret_path(tmp_path).is_file()
    assert os.stat(secret_path(tmp_path)).st_size > 0


# ------------------------------------------------------------------------------ exact promises
# The derivations below are fixed: a researcher's perturbed tables must not change when hakusho
# is upgraded, and cache keys of earlier builds stay valid.


def _hmac_key(secret: bytes, purpose: str, wave: str, record_id: str) -> int:
    import hashlib
    import hmac

    digest = hmac.new(secret, f"{purpose}\0{wave}\0{record_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % KEY_RANGE


def test_record_keys_are_hmac_sha256_of_purpose_wave_and_id() -> None:
    secret = bytes(range(32))
    keys = RecordKeys(secret, "2025")
    for rid in ("R0001", "R0405", "x"):
        assert keys.cell_key(rid) == _hmac_key(secret, "cell", "2025", rid)
        assert keys.population_key(rid) == _hmac_key(secret, "population", "2025", rid)
        assert keys.cell_key(rid) == keys.cell_key(rid), "the same key every time it is asked for"
    assert keys.cell_key(7) == keys.cell_key("7") and keys.population_key(7) == keys.population_key("7")


def test_a_cell_key_sums_its_records_and_the_population_modulo_the_key_range() -> None:
    keys = RecordKeys(b"\x05" * 32, "2025")
    records = [f"R{i:04d}" for i in range(40)]
    population = [f"R{i:04d}" for i in range(100)]
    key = perturbation.cell_key(records, population, keys)
    total = sum(keys.cell_key(r) for r in records) + sum(keys.population_key(r) for r in population)
    assert total > KEY_RANGE and key == total % KEY_RANGE and isinstance(key, int)


def test_protected_counts_add_the_noise_of_each_cells_key() -> None:
    keys = RecordKeys(b"\x09" * 32, "2023")
    population = [f"R{i:03d}" for i in range(60)]
    cells = {f"c{j}": population[j:j + 1 + 3 * j] for j in range(12)}
    out = protect_counts(cells, population, keys)
    for cell, records in cells.items():
        assert out[cell] == len(records) + noise(len(records), perturbation.cell_key(records, population, keys))
    assert any(out[c] != len(r) for c, r in cells.items()), "some cell must be perturbed"


def test_protection_perturbs_with_the_keys_of_the_wave_asked_for() -> None:
    secret = b"\x03" * 32
    protection = Protection(secret)
    population = [f"R{i:03d}" for i in range(50)]
    cells = {f"c{j}": population[: 2 + 4 * j] for j in range(10)}
    for wave in ("2025", "2023"):
        expected = protect_counts(cells, population, RecordKeys(secret, wave))
        assert protection.counts(wave, cells, population) == expected
        assert [protection.count(wave, r, population) for r in cells.values()] == [
            protect_counts({"n": r}, population, RecordKeys(secret, wave))["n"] for r in cells.values()]
    assert protection.keys(2025) is protection.keys("2025")
    assert protection.keys("2025").wave == "2025"
    assert protection.counts("2025", cells, population) != protection.counts("2023", cells, population)


def test_the_fingerprint_tells_secrets_apart_and_stays_the_same_across_versions() -> None:
    assert perturbation.secret_fingerprint(bytes(32)) == "e5d33beed033912e"
    assert perturbation.secret_fingerprint(b"\x01" * 32) == "31b565aa5bd4b75b"
    assert Protection(bytes(32)).fingerprint == "e5d33beed033912e"


def test_ids_are_the_selected_respondents_as_text_and_a_missing_answer_selects_nobody() -> None:
    import pandas as pd

    mask = pd.Series(pd.array([True, pd.NA, False, True], dtype="boolean"), index=[101, 102, 103, 104])
    assert perturbation.ids(mask) == ["101", "104"]


@pytest.mark.parametrize("content", [b"not hex\n", b"ab" * 16 + b"\n", b"\xff\xfe" * 40])
def test_a_malformed_secret_names_the_file_and_what_it_should_hold(tmp_path: Path, content: bytes) -> None:
    from hakusho.errors import Problem

    path = secret_path(tmp_path)
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(BuildError) as caught:
        ensure_secret(tmp_path)
    message = caught.value.message
    assert message.startswith(f"{path}: not a perturbation secret (expected 64 hexadecimal characters); restore it")
    assert message.endswith("or move it away to have a new one generated (outputs will change)")
    assert caught.value.problems == [Problem("malformed secret", file=str(path), expected="64 hex digits")]
    assert path.read_bytes() == content
    japanese = message.tr("ja")
    assert japanese.startswith(f"{path} は撹乱用の秘密鍵として読めません") and "64 文字" in japanese


def test_the_secret_is_made_in_a_project_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    root = tmp_path / "new" / "project"
    secret = ensure_secret(root)
    assert secret_path(root).is_file() and ensure_secret(root) == secret


def test_the_secret_is_made_in_an_existing_secret_folder_keeping_what_is_there(tmp_path: Path) -> None:
    folder = secret_path(tmp_path).parent
    folder.mkdir()
    (folder / ".gitignore").write_text("secret\n", encoding="utf-8")
    secret = ensure_secret(tmp_path)
    assert len(secret) == perturbation.SECRET_BYTES
    assert (folder / ".gitignore").read_text(encoding="utf-8") == "secret\n"


def test_a_secret_made_meanwhile_by_another_process_is_used_not_replaced(tmp_path: Path, monkeypatch) -> None:
    theirs = "ab" * perturbation.SECRET_BYTES + "\n"
    real_link = os.link

    def link_after_another_process(src, dst) -> None:
        Path(dst).write_text(theirs, encoding="ascii")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link_after_another_process)
    assert ensure_secret(tmp_path) == bytes.fromhex(theirs)
    assert secret_path(tmp_path).read_text(encoding="ascii") == theirs
    assert sorted(p.name for p in secret_path(tmp_path).parent.iterdir()) == [".gitignore", "secret"]


def test_an_ignore_file_made_meanwhile_by_another_process_is_kept(tmp_path: Path, monkeypatch) -> None:
    import builtins

    def open_after_another_process(file, mode="r", *args, **kwargs):
        if mode == "x" and Path(file).name == ".gitignore":
            Path(file).write_text("theirs\n", encoding="utf-8")
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(perturbation, "open", open_after_another_process, raising=False)
    secret = ensure_secret(tmp_path)
    assert len(secret) == perturbation.SECRET_BYTES
    assert (secret_path(tmp_path).parent / ".gitignore").read_text(encoding="utf-8") == "theirs\n"


# ------------------------------------------------------------------------------ many tables at once


def _slot_edges() -> list[int]:
    """Keys on both sides of every edge between the table's slots (key·20/2³² crossing a whole number)."""
    edges = [-(-s * KEY_RANGE // WEIGHTS) for s in range(WEIGHTS + 1)]  # the smallest key of slot s
    return sorted({k for e in edges for k in (e - 1, e, e + 1) if 0 <= k < KEY_RANGE})


def test_noise_of_whole_arrays_is_the_noise_of_each_cell() -> None:
    keys = np.array(_slot_edges(), dtype=np.int64)
    counts = np.array([-3, -1, 0, 1, 2, 3, 4, 50, 10_000], dtype=np.int64)
    out = perturbation.noise_array(counts[:, None], keys[None, :])
    assert out.shape == (len(counts), len(keys)) and out.dtype == np.int64
    for i, count in enumerate(counts):
        assert out[i].tolist() == [noise(int(count), int(k)) for k in keys], count


def test_noise_of_whole_arrays_follows_the_rows_of_the_table_slot_by_slot() -> None:
    first_key = [-(-s * KEY_RANGE // WEIGHTS) for s in range(WEIGHTS)]  # the smallest key of each slot
    last_key = [k - 1 for k in first_key[1:]] + [KEY_RANGE - 1]
    for count, row in ((1, PERTURBATION_TABLE[1]), (2, PERTURBATION_TABLE[2]), (9, PERTURBATION_TABLE[2])):
        expected = [value for value, weight in row for _ in range(weight)]  # one entry per slot
        for keys in (first_key, last_key):
            assert perturbation.noise_array(np.full(WEIGHTS, count), np.array(keys)).tolist() == expected, count
    assert perturbation.noise_array(np.zeros(WEIGHTS), np.array(first_key)).tolist() == [0] * WEIGHTS
    # Plain lists and a single count against many keys work alike.
    assert perturbation.noise_array([1, 1], [0, KEY_RANGE - 1]).tolist() == [-1, 2]
    assert perturbation.noise_array(2, [0, KEY_RANGE // 2, KEY_RANGE - 1]).tolist() == [-2, 0, 2]


def test_key_arrays_hold_each_respondents_two_keys_in_order() -> None:
    keys = RecordKeys(b"\x0b" * 32, "2025")
    ids = ["R0003", "R0001", "R0002", "R0001"]
    cells, pops = keys.key_arrays(ids)
    assert cells.dtype == np.int64 and pops.dtype == np.int64
    assert cells.tolist() == [keys.cell_key(r) for r in ids]
    assert pops.tolist() == [keys.population_key(r) for r in ids]
    assert cells.tolist() != pops.tolist()
    empty_cells, empty_pops = keys.key_arrays([])
    assert empty_cells.shape == (0,) and empty_pops.shape == (0,)


def test_a_matrix_of_cells_is_perturbed_exactly_as_each_table_alone() -> None:
    keys = RecordKeys(b"\x0d" * 32, "2023")
    rng = np.random.default_rng(7)
    ids = [f"R{i:03d}" for i in range(80)]
    populations = rng.random((60, len(ids))) < 0.7
    members = populations & (rng.random((60, len(ids))) < rng.random((60, 1)))
    members[0] = False  # an empty cell
    members[1] = populations[1] = False
    members[2] = populations[2]  # everyone in the population
    members[3] = False
    members[3, 5] = populations[3, 5] = True  # one respondent
    out = perturbation.protect_count_matrix(members, populations, ids, keys)
    assert out.shape == (60,) and out.dtype == np.int64
    expected = []
    for cell, pop in zip(members, populations, strict=True):
        records = [r for r, m in zip(ids, cell, strict=True) if m]
        population = [r for r, p in zip(ids, pop, strict=True) if p]
        expected.append(protect_counts({"c": records}, population, keys)["c"])
    assert out.tolist() == expected
    assert out[0] == out[1] == 0
    assert any(o != m for o, m in zip(out, members.sum(axis=1), strict=True)), "some cell must be perturbed"


def test_the_population_of_a_cells_table_changes_its_noise() -> None:
    keys = RecordKeys(b"\x0e" * 32, "2025")
    ids = [f"R{i:02d}" for i in range(30)]
    members = np.zeros((40, 30), dtype=bool)
    members[:, :10] = True  # the same ten respondents in every cell
    populations = np.zeros((40, 30), dtype=bool)
    for row in range(40):
        populations[row, : 10 + row % 20] = True  # tables differing in who else they count
    out = perturbation.protect_count_matrix(members, populations, ids, keys)
    assert set(out.tolist()) - {10} and all(8 <= o <= 12 for o in out)
    for row in range(40):
        assert out[row] == protect_counts({"c": ids[:10]}, ids[: 10 + row % 20], keys)["c"]


def test_a_matrix_accepts_zeros_and_ones_as_well_as_booleans() -> None:
    keys = RecordKeys(b"\x0f" * 32, "2025")
    ids = ["a", "b", "c", "d"]
    members = [[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]]
    populations = [[1, 1, 1, 1]] * 3
    as_ints = perturbation.protect_count_matrix(np.array(members), np.array(populations), ids, keys)
    as_bools = perturbation.protect_count_matrix(np.array(members, dtype=bool), np.array(populations, dtype=bool),
                                                 ids, keys)
    assert as_ints.tolist() == as_bools.tolist() == [
        protect_counts({"c": [r for r, m in zip(ids, row, strict=True) if m]}, ids, keys)["c"] for row in members]


def test_noise_of_whole_arrays_takes_keys_of_any_integer_type() -> None:
    """Keys are 32-bit numbers: held as uint32 (or as Python ints) they draw the same noise."""
    keys = np.array(_slot_edges(), dtype=np.int64)
    expected = [noise(1, int(k)) for k in keys]
    assert perturbation.noise_array(np.ones(len(keys), dtype=np.int64), keys.astype(np.uint32)).tolist() == expected
    assert perturbation.noise_array([1] * len(keys), [int(k) for k in keys]).tolist() == expected
    assert perturbation.noise_array(np.full(len(keys), 3, dtype=np.int32), keys.astype(np.uint64)).tolist() == [
        noise(3, int(k)) for k in keys]


def test_a_stack_of_tables_or_a_single_cell_is_perturbed_alike() -> None:
    """The last axis is the respondents: a stack of tables (tables × cells × respondents) and a
    single cell (respondents only) give each cell what the cells × respondents form gives it."""
    keys = RecordKeys(b"\x10" * 32, "2025")
    rng = np.random.default_rng(11)
    ids = [f"R{i:03d}" for i in range(50)]
    populations = rng.random((3, 8, len(ids))) < 0.8
    members = populations & (rng.random((3, 8, len(ids))) < 0.3)
    stacked = perturbation.protect_count_matrix(members, populations, ids, keys)
    assert stacked.shape == (3, 8)
    for t in range(3):
        assert stacked[t].tolist() == perturbation.protect_count_matrix(members[t], populations[t], ids, keys).tolist()
        for c in range(8):
            alone = perturbation.protect_count_matrix(members[t, c], populations[t, c], ids, keys)
            assert alone.shape == () and int(alone) == stacked[t, c]
