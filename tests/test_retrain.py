"""Retraining on a user's own labelled data: minimal rows, CSV, optional dev, adapting, provenance, suggest."""

import csv
import json
import random

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from credscore.errors import DataValidationError, InputError
from credscore.training.calibration import T_MIN, calibration_gap, fit_temperature, fit_temperatures
from credscore.training.data import hold_out_dev, load_rows
from tests.conftest import make_rows, write_jsonl
from tests.test_cli import run


def user_rows(n: int, seed: int = 0) -> list[dict]:
    """What a newcomer labels: text and a hedging label only, with cue words the tiny parent never saw."""
    rng = random.Random(seed)
    cue = {"none": "confirmed", "low": "apparently", "high": "perhaps"}
    rows = []
    for i in range(n):
        hedging = rng.choice(list(cue))
        rows.append({"text": f"The council {cue[hedging]} closed the road {i}.", "hedging": hedging})
    return rows


def write_csv(path, header, records, delimiter=","):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(records)
    return path


# -- point 1: minimal rows and CSV -----------------------------------------------------------------

def test_minimal_rows_get_defaults_and_runs_form_documents(tmp_path):
    path = write_jsonl(tmp_path / "mine.jsonl", [
        {"text": "One.", "hedging": "none"}, {"text": "Two.", "attribution": "agency"},
        {"doc_id": "x", "text": "Three.", "hedging": "low"}, {"text": "Four.", "hedging": "high"}])
    rows = load_rows([path], require_label=True)
    assert [(r["doc_id"], r["sent_index"]) for r in rows] == [
        (f"{path}:1", 0), (f"{path}:1", 1), ("x", 0), (f"{path}:4", 0)]
    assert {r["annotator"] for r in rows} == {"manual"} and {r["source"] for r in rows} == {"mine.jsonl"}
    alone = load_rows([path], require_label=True, context=False)
    assert [r["doc_id"] for r in alone] == [f"{path}:1", f"{path}:2", "x", f"{path}:4"]


def test_csv_reads_like_json_lines(tmp_path):
    records = [["The ministry said, in a statement, it rained.", "official_statement", "none", "d1", "0"],
               ["A source said it\nmay rain.", "anonymous_source", "high", "d1", "1"],
               ["It rained.", "", "none", "", ""]]
    comma = write_csv(tmp_path / "labels.csv", [" Text ", "attribution", "hedging", "doc_id", "sent_index"], records)
    semicolon = write_csv(tmp_path / "labels2.csv", ["text", "attribution", "hedging", "doc_id", "sent_index"],
                          records, delimiter=";")
    rows = load_rows([comma], require_label=True)
    assert [r["text"] for r in rows] == [r[0] for r in records]
    assert rows[1] == {"text": "A source said it\nmay rain.", "attribution": "anonymous_source", "hedging": "high",
                       "doc_id": "d1", "sent_index": 1, "annotator": "manual", "source": "labels.csv"}
    assert "attribution" not in rows[2] and rows[2]["doc_id"] == f"{comma}:5"  # line of the record, after a 2-line cell
    assert [r["text"] for r in load_rows([semicolon])] == [r[0] for r in records]


def test_every_problem_of_a_file_reported_at_once_with_file_and_line(tmp_path):
    records = [["fine", "", "none"], ["", "agency", ""], ["no label", "", ""], ["bad", "rumour", "maybe"]]
    records += [["x", "nope", ""]] * 22
    path = write_csv(tmp_path / "bad.csv", ["text", "attribution", "hedging"], records)
    with pytest.raises(DataValidationError) as err:
        load_rows([path], require_label=True)
    problems = err.value.problems
    assert len(problems) == 26
    assert problems[0] == f"{path}:3: missing field 'text'"
    assert problems[1] == f"{path}:4: no label (give at least one of attribution, hedging)"
    assert problems[2].startswith(f"{path}:5: unknown attribution label 'rumour'")
    assert problems[3].startswith(f"{path}:5: unknown hedging label 'maybe'")
    message = str(err.value)
    assert "\n" not in message  # one line, like every error (docs/errors.md)
    assert message.startswith("26 problems in the data: ") and message.endswith("; ... and 6 more")
    assert message.count(f"{path}:") == 20


def test_csv_without_text_column_and_extra_cells(tmp_path):
    with pytest.raises(DataValidationError, match="no 'text' column"):
        load_rows([write_csv(tmp_path / "a.csv", ["sentence", "hedging"], [["x", "none"]])])
    with pytest.raises(DataValidationError, match=":2: 3 cells but the header has 2 columns"):
        load_rows([write_csv(tmp_path / "b.csv", ["text", "hedging"], [["x", "none", "oops"]])])
    (tmp_path / "c.csv").write_bytes(b"text,hedging\n\xff\xfe caf\xe9,none\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_rows([tmp_path / "c.csv"])


def test_train_cli_lists_every_problem_without_traceback(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ["text", "hedging"], [["ok", "none"], ["", "low"], ["x", "maybe"]])
    res = run("train", str(bad), "--output", str(tmp_path / "m"))
    err = res.stderr.decode()
    assert res.returncode == 2 and "Traceback" not in err
    assert f"{bad}:3: missing field 'text'" in err and f"{bad}:4: unknown hedging label 'maybe'" in err


# -- point 2: optional dev, calibration -------------------------------------------------------------

def test_dev_held_out_by_document_seeded():
    rows = make_rows(40, 5)
    train, dev, note = hold_out_dev(rows, seed=13)
    assert len(dev) == 20 and len(train) == 180 and "4 of 40 documents" in note
    assert not {r["doc_id"] for r in dev} & {r["doc_id"] for r in train}
    assert hold_out_dev(rows, seed=13)[1] == dev and hold_out_dev(rows, seed=14)[1] != dev


def test_one_document_is_split_into_passages(tmp_path):
    rows = load_rows([write_jsonl(tmp_path / "s.jsonl", user_rows(400))])  # one spreadsheet: one document
    train, dev, note = hold_out_dev(rows, seed=13)
    assert len(dev) == 40 and "passages of up to 20 consecutive sentences" in note
    indices = sorted(r["sent_index"] for r in dev)
    assert indices[19] - indices[0] == 19  # whole passages
    with pytest.raises(InputError, match="too few rows"):
        hold_out_dev(rows[:1], seed=13)


def test_small_dev_sets_are_not_calibrated_and_temperatures_are_bounded():
    assert "fewer than 50" in calibration_gap(np.array([0, 1, 2] * 10), 3)
    assert "1 of its 3 classes missing" in calibration_gap(np.array([0, 1] * 40 + [-1] * 10), 3)
    assert calibration_gap(np.array([0, 1, 2] * 20), 3) is None
    logits, labels = torch.randn(60, 3), torch.tensor([0, 1] * 30)
    messages = []
    temps, skipped = fit_temperatures({"hedging": logits}, {"hedging": labels}, {"hedging": ("none", "low", "high")},
                                      {"hedging": 1.93}, messages.append)
    assert temps == {"hedging": 1.93} and messages[0].startswith("warning: not calibrating hedging")
    assert "classes missing" in skipped["hedging"]
    separable = torch.tensor([[0.1, 0.0, 0.0]] * 100)  # always right, barely: the NLL wants T -> 0
    assert fit_temperature(separable, torch.zeros(100, dtype=torch.long)) >= T_MIN


# -- points 3 and 4: adapting from a parent, with provenance ---------------------------------------------

def test_init_from_learns_from_the_first_step_and_records_provenance(tmp_path, tiny_model_dir):
    from credscore.api import load_model
    from credscore.training.cli_train import run_training

    data = write_jsonl(tmp_path / "mine.jsonl", user_rows(120))
    out = tmp_path / "my-model"
    report = run_training([data], None, out, init_from=str(tiny_model_dir), lr=1e-2, no_context=True,
                          console=None, command="credscore train mine.jsonl -o my-model")
    before, after = report["dev_before"]["hedging"], report["dev_after"]["hedging"]
    assert after["rows"] == 12 and after["accuracy"] > before["accuracy"] + 0.2
    parent_heads, heads = load_file(tiny_model_dir / "heads.safetensors"), load_file(out / "heads.safetensors")
    assert any(not torch.equal(parent_heads[k], heads[k]) for k in heads)
    assert [h["epoch"] for h in report["history"]] == [1, 2, 3, 4]  # the adapting default

    config = json.loads((out / "config.json").read_text())
    parent = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["name"] == "my-model" and config["version"] != parent.get("version")
    prov = config["provenance"]
    assert prov["parent"]["name"] == "tiny-test" and prov["command"] == "credscore train mine.jsonl -o my-model"
    assert prov["training_files"] == [{"path": str(data), "sha256": __import__("hashlib").sha256(
        data.read_bytes()).hexdigest()}]
    assert "held out 12 of 120 documents" in prov["dev"]["held_out"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "## Provenance" in card and prov["training_files"][0]["sha256"] in card and "tiny-test" in card
    assert "hedging T=1.000 (not fitted: 12 labelled dev rows, fewer than 50; kept)" in card
    assert load_model(out, backend="torch").info["name"] == "my-model"


def test_a_one_batch_retrain_changes_the_weights(tmp_path, tiny_model_dir):
    """The issue's failure: one epoch of one batch used to run at learning rate 0 (warm-up)."""
    from credscore.training.cli_train import run_training

    data = write_jsonl(tmp_path / "few.jsonl", user_rows(12))
    dev = write_jsonl(tmp_path / "dev.jsonl", user_rows(4, seed=1))
    run_training([data], dev, tmp_path / "m", init_from=str(tiny_model_dir), epochs=1)
    parent_heads, heads = load_file(tiny_model_dir / "heads.safetensors"), load_file(tmp_path / "m" / "heads.safetensors")
    assert any(not torch.equal(parent_heads[k], heads[k]) for k in heads)


def test_train_cli_without_dev_prints_before_and_after(tmp_path, tiny_model_dir):
    data = write_csv(tmp_path / "labels.csv", ["text", "hedging"], [[r["text"], r["hedging"]] for r in user_rows(40)])
    res = run("train", str(data), "-o", str(tmp_path / "m"), "--init-from", str(tiny_model_dir), "--epochs", "1",
              "--name", "newsroom", "--model-version", "1.0")
    err = res.stderr.decode()
    assert res.returncode == 0, err
    assert "no --dev: held out 1 of 10 passages of up to 4 consecutive sentences" in err
    assert "dev before -> after training" in err and "hedging      macro-F1" in err
    assert "newsroom 1.0" in err
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert (config["name"], config["version"]) == ("newsroom", "1.0")
    assert config["provenance"]["command"].startswith("credscore train ") and "--init-from" in config["provenance"]["command"]
    res = run("score", "-", "--format", "json", "--model", str(tmp_path / "m"), stdin=b"The council said it rained.")
    assert json.loads(res.stdout)["model"]["name"] == "newsroom"


# -- point 5: what to label next ---------------------------------------------------------------------

def test_uncertainty_measures():
    from credscore.training.suggest import uncertainty

    p = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0], [0.7, 0.2, 0.1]])
    assert np.allclose(uncertainty(p, "margin"), [0.0, 1.0, 1.0, 0.5])
    ent = uncertainty(p, "entropy")
    assert np.isclose(ent[0], 0.0) and np.isclose(ent[1], 1.0) and np.isclose(ent[2], np.log(2) / np.log(3))


def test_suggest_ranks_unlabelled_sentences_and_articles(tmp_path, tiny_model):
    from credscore.training.suggest import suggest_rows, uncertainty

    rows = make_rows(4, 5, seed=2)
    for r in rows[5:]:
        del r["attribution"], r["hedging"]
    src = write_jsonl(tmp_path / "pool.jsonl", rows)
    top = suggest_rows(tiny_model, [str(src)], 6, by="entropy", head="hedging")
    assert len(top) == 6 and all(r["doc_id"] != "doc0" for r in top)  # doc0 is labelled already
    assert [r["uncertainty"] for r in top] == sorted((r["uncertainty"] for r in top), reverse=True)
    assert all(r["hedging"] is None and r["uncertain_head"] == "hedging" for r in top)
    docs = [[r["text"] for r in rows[i:i + 5]] for i in range(5, 20, 5)]
    probs = tiny_model.predict_documents(docs).scores["hedging"]
    assert np.isclose(top[0]["uncertainty"], uncertainty(probs, "entropy").max(), atol=1e-4)

    articles = suggest_rows(tiny_model, [str(src)], 2, unit="article")
    assert len(articles) == 10 and len({r["doc_id"] for r in articles}) == 2
    with pytest.raises(InputError, match="--by"):
        suggest_rows(tiny_model, [str(src)], 2, by="variance")


def test_suggest_cli_writes_a_spreadsheet_that_trains_once_labelled(tmp_path, tiny_model_dir):
    article = tmp_path / "article.txt"
    article.write_text("The ministry said the bridge would reopen. A source said it may not. Reuters reported delays.",
                       encoding="utf-8")
    out = tmp_path / "to_label.csv"
    res = run("suggest", str(article), "-n", "2", "-o", str(out), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    with open(out, encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == 2 and got[0]["hedging"] == "" and got[0]["doc_id"] == str(article)
    for row in got:
        row["hedging"] = "none"
    write_csv(out, list(got[0]), [list(r.values()) for r in got])
    labelled = load_rows([out], require_label=True)
    assert [r["hedging"] for r in labelled] == ["none", "none"] and labelled[0]["sent_index"] in (0, 1, 2)
