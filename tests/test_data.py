import json

import pytest

from credscore.errors import DataValidationError, InputError
from tests.conftest import make_rows, write_jsonl
from credscore.training.data import label_counts, load_rows, to_dataset, validate_file


def test_valid_file_round_trips(tmp_path):
    rows = make_rows(2, 3)
    assert validate_file(write_jsonl(tmp_path / "ok.jsonl", rows)) == rows


def test_every_bad_row_reported_with_line_numbers(tmp_path):
    good = make_rows(1, 2)
    lines = [json.dumps(good[0]), "{not json", json.dumps({**good[1], "attribution": "rumour"}),
             json.dumps({k: v for k, v in good[1].items() if k != "text"}), json.dumps(good[0])]
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    with pytest.raises(DataValidationError) as err:
        validate_file(path)
    problems = err.value.problems
    assert any(p.startswith(f"{path}:2: invalid JSON") for p in problems)
    assert any(p.startswith(f"{path}:3: unknown attribution label 'rumour'") for p in problems)
    assert any(p.startswith(f"{path}:4: missing field 'text'") for p in problems)
    assert any(p.startswith(f"{path}:5: duplicate") and "first at line 1" in p for p in problems)


def test_wrong_types_and_annotator(tmp_path):
    row = {**make_rows(1, 1)[0], "sent_index": "3", "annotator": "robot"}
    with pytest.raises(DataValidationError) as err:
        validate_file(write_jsonl(tmp_path / "t.jsonl", [row]))
    text = "\n".join(err.value.problems)
    assert "'sent_index' must be int" in text and "unknown annotator 'robot'" in text


def test_duplicates_across_files(tmp_path):
    rows = make_rows(1, 2)
    a = write_jsonl(tmp_path / "a.jsonl", rows)
    b = write_jsonl(tmp_path / "b.jsonl", rows[:1])
    with pytest.raises(DataValidationError, match="duplicate"):
        load_rows([a, b])


def test_folder_loading_and_missing_paths(tmp_path):
    write_jsonl(tmp_path / "x.jsonl", make_rows(1, 2))
    assert len(load_rows([tmp_path])) == 2
    with pytest.raises(InputError, match="no such file"):
        load_rows([tmp_path / "nope.jsonl"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no .jsonl"):
        load_rows([empty])


def test_dataset_orders_documents_and_masks_missing_labels():
    rows = make_rows(2, 3)
    rows[1] = {k: v for k, v in rows[1].items() if k != "hedging"}
    ds = to_dataset(list(reversed(rows)))
    assert ds["sent_index"] == [0, 1, 2, 0, 1, 2]
    assert ds["doc_id"][0] == "doc1"  # first-appearance order of the reversed input
    assert -1 in ds["hedging"]
    assert sum(label_counts(rows)["hedging"].values()) == 5
