"""Issue 17 "never destroy, never hang, never lie": one test per case of docs/errors.md (points 1-6, 9)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from credscore.errors import InputError
from tests.conftest import make_rows, write_jsonl
from tests.inprocess import assert_honest, run_cli

ARTICLE = "The ministry said the bridge would reopen. A source said repairs may take weeks.\n"


@pytest.fixture()
def article(tmp_path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def _error(outcome, fragment: str) -> str:
    assert_honest(outcome)
    assert outcome.code == 2, outcome.stderr
    assert fragment in outcome.stderr, outcome.stderr
    return outcome.stderr


def _train_files(tmp_path: Path) -> tuple[Path, Path]:
    rows = make_rows(3, 3)
    return write_jsonl(tmp_path / "train.jsonl", rows[:6]), write_jsonl(tmp_path / "dev.jsonl", rows[6:])


# -- 1. never destroy what isn't ours ------------------------------------------------------------------

def test_train_refuses_a_folder_that_is_not_a_model(tmp_path):
    train, dev = _train_files(tmp_path)
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "a.txt").write_text("keep")
    _error(run_cli("train", str(train), "--dev", str(dev), "-o", str(folder)), "is not a credscore model")
    assert [p.name for p in folder.iterdir()] == ["a.txt"] and (folder / "a.txt").read_text() == "keep"


def test_train_refuses_a_plain_file(tmp_path):
    train, dev = _train_files(tmp_path)
    target = tmp_path / "model"
    target.write_text("keep")
    _error(run_cli("train", str(train), "--dev", str(dev), "-o", str(target)), "is not a folder")
    assert target.read_text() == "keep" and not list(tmp_path.glob(".model*"))


def test_an_existing_model_directory_may_be_replaced(tiny_model_dir, tmp_path):
    from credscore.model_dir import ModelDirectory

    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    assert ModelDirectory(copy).check_output() is True  # train says "it will be replaced"
    assert ModelDirectory(tmp_path / "new").check_output() is False
    (tmp_path / "empty").mkdir()
    assert ModelDirectory(tmp_path / "empty").check_output() is False


def _link_to_a_0640_file(target: Path, link: Path) -> Path:
    target.parent.mkdir(exist_ok=True)
    target.write_text("old")
    os.chmod(target, 0o640)
    link.symlink_to(target)
    return link


def test_output_through_a_symlink_keeps_the_link_and_the_mode(tiny_model_dir, article, tmp_path):
    target = tmp_path / "real.json"
    link = _link_to_a_0640_file(target, tmp_path / "link.json")
    outcome = run_cli("score", str(article), "--format", "json", "-o", str(link), "--model", str(tiny_model_dir))
    assert outcome.code == 0, outcome.stderr
    assert link.is_symlink() and json.loads(target.read_text())["sentences"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_archive_output_through_a_symlink_keeps_the_link_the_mode_and_resumes(tiny_model_dir, tmp_path):
    # The JSON Lines archive writer grows a .partial file and renames it: through the link, onto its target.
    rows = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": ARTICLE}, {"id": "b", "text": ARTICLE}])
    target = tmp_path / "out" / "real.jsonl"
    link = _link_to_a_0640_file(target, tmp_path / "link.jsonl")
    outcome = run_cli("score", str(rows), "--format", "jsonl", "-o", str(link), "--model", str(tiny_model_dir))
    assert outcome.code == 0, outcome.stderr
    assert link.is_symlink() and [json.loads(r)["id"] for r in target.read_text().splitlines()] == ["a", "b"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    again = run_cli("score", str(rows), "--format", "jsonl", "-o", str(link), "--resume", "--model", str(tiny_model_dir))
    assert again.code == 0 and "2 already in the output" in again.stderr, again.stderr
    assert link.is_symlink() and len(target.read_text().splitlines()) == 2


def _score_into_a_fifo(fifo: Path, *args: str) -> bytes:
    """Run ``score ARGS -o FIFO`` while a thread reads the FIFO; what was read."""
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as fh:
            got["data"] = fh.read()

    thread = threading.Thread(target=reader)
    thread.start()
    # An open FIFO with no reader yet is refused rather than waited on: give the reader time to open.
    for _ in range(100):
        outcome = run_cli("score", *args, "-o", str(fifo))
        if outcome.code == 0 or "no reader" not in outcome.stderr:
            break
        threading.Event().wait(0.05)
    thread.join(10)
    assert outcome.code == 0, outcome.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # never replaced by a regular file
    return got["data"]


def test_archive_output_onto_a_fifo_is_streamed_not_replaced(tiny_model_dir, tmp_path):
    rows = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": ARTICLE}])
    data = _score_into_a_fifo(tmp_path / "pipe", str(rows), "--format", "jsonl", "--model", str(tiny_model_dir))
    assert json.loads(data.splitlines()[0])["id"] == "a"
    assert not list(tmp_path.glob(".pipe*"))


def test_parquet_output_that_is_not_a_folder_is_refused_before_the_model_loads(tmp_path):
    rows = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": ARTICLE}])
    plain = tmp_path / "plain"
    plain.write_text("keep")
    nomodel = str(tmp_path / "nomodel")
    _error(run_cli("score", str(rows), "--format", "parquet", "-o", str(plain), "--model", nomodel),
           "is a regular file; Parquet output is a folder")
    _error(run_cli("score", str(rows), "--format", "parquet", "-o", str(plain / "sub"), "--model", nomodel),
           "cannot write there")
    assert plain.read_text() == "keep"


def test_output_onto_a_fifo_is_written_in_place(tiny_model_dir, article, tmp_path):
    data = _score_into_a_fifo(tmp_path / "pipe", str(article), "--format", "json", "--model", str(tiny_model_dir))
    assert json.loads(data)["sentences"]


def test_output_onto_a_fifo_without_reader_is_refused_not_waited_on(tiny_model_dir, article, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _error(run_cli("score", str(article), "-o", str(fifo), "--model", str(tiny_model_dir)), "FIFO with no reader")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_location_is_checked_before_the_model_loads(article, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    # The model does not exist either: the output error comes first, before any loading.
    _error(run_cli("score", str(article), "-o", str(blocker / "out.json"), "--model", str(tmp_path / "nomodel")),
           "cannot write there")
    _error(run_cli("score", str(article), "-o", str(tmp_path), "--model", str(tmp_path / "nomodel")),
           "is a directory")


def test_model_folders_get_the_umask_modes(tiny_model_dir):
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(tiny_model_dir.stat().st_mode) == 0o777 & ~umask
    for file in tiny_model_dir.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file.name


# -- 2. untrusted text is inert -------------------------------------------------------------------------

def test_markup_and_escape_sequences_in_articles_are_shown_inert(tiny_model_dir, tmp_path):
    path = tmp_path / "x[sic]y[bold].txt"
    path.write_text("Police said [/] no. [sic] He said \x1b]0;pwned\x07 it \x1b[2J and "
                    "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\.\n", encoding="utf-8")
    outcome = run_cli("score", str(path), "--model", str(tiny_model_dir))
    assert outcome.code == 0, outcome.stderr
    assert "[/]" in outcome.stdout and "[sic]" in outcome.stdout and "x[sic]y[bold].txt" in outcome.stdout
    assert "\x1b" not in outcome.stdout and "\x07" not in outcome.stdout
    assert "\\x1b]0;pwned\\x07" in outcome.stdout  # visible, not acted on


def test_error_messages_quote_untrusted_names_inert(tmp_path):
    err = _error(run_cli("score", str(tmp_path / "a[/]b\x1b[2Jc")), "no such file")
    assert "a[/]b\\x1b[2Jc" in err and "\x1b" not in err


def test_the_same_helpers_make_text_inert():
    from credscore.terminal_text import inert, one_line

    assert inert("a\x1b[2Jb\u202ec\ud800") == "a\\x1b[2Jb\\u202ec\\ud800"
    assert inert("tab\tand\nline") == "tab\tand\nline"
    assert one_line("two\nlines") == "two\\x0alines"


# -- 3. HTML extraction keeps the text ------------------------------------------------------------------

def test_html_text_directly_inside_blocks_is_kept_in_reading_order():
    from credscore.reading import html_to_text

    assert html_to_text("<div>The ministry said X.</div><p>Two hurt.</p>") == "The ministry said X.\n\nTwo hurt."
    assert html_to_text("<div>The ministry said X.<p>Two hurt.</p>More.</div>").split("\n\n") == [
        "The ministry said X.", "Two hurt.", "More."]
    got = html_to_text("<li>One <b>two</b><ul><li>three</li></ul>four</li><span>s<div>d</div>t</span>"
                       "<blockquote>q<p>r</p></blockquote><script>x</script><p hidden>h</p>")
    assert got.split("\n\n") == ["One two", "three", "four", "s", "d", "t", "q", "r"]


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deeply_nested_html_is_read_in_linear_time(depth):
    """100,000 levels would take hours with a quadratic walk or parser; the flat reader takes well under a second."""
    from credscore.reading import html_to_text

    page = "<blockquote>" * depth + "Officials said &amp; it rained.<script>x</script>" + "</blockquote>" * depth
    assert html_to_text(page) == "Officials said & it rained."


# -- 4. bounded reads, no hangs -------------------------------------------------------------------------

def test_fifo_and_devices_are_refused_at_once(tiny_model_dir, tmp_path):
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)  # no writer: reading it would block forever
    _error(run_cli("score", str(fifo), "--model", str(tiny_model_dir)), "is a FIFO, not a regular file")
    _error(run_cli("score", "/dev/zero", "--model", str(tiny_model_dir)), "is a character device")
    _error(run_cli("predict", "/dev/zero", "--model", str(tiny_model_dir)), "is a character device")


def test_inputs_over_the_size_limit_are_refused(tiny_model_dir, article, monkeypatch):
    _error(run_cli("score", str(article), "--max-input-mb", "0.00001", "--model", str(tiny_model_dir)),
           "larger than the 10-byte input limit")
    _error(run_cli("score", "-", "--max-input-mb", "0.00001", "--model", str(tiny_model_dir), stdin=b"x" * 100),
           "<stdin>: larger than")
    monkeypatch.setenv("CREDSCORE_MAX_INPUT_MB", "0.00001")
    _error(run_cli("score", str(article), "--model", str(tiny_model_dir)), "input limit")


def test_a_model_file_linked_to_a_device_is_refused(tiny_model_dir, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "encoder.safetensors").unlink()
    (copy / "encoder.safetensors").symlink_to("/dev/zero")
    _error(run_cli("score", "-", "--model", str(copy), stdin=ARTICLE.encode()), "is a character device")


def test_a_huge_sentence_is_clipped_before_tokenising_with_the_same_ids():
    from credscore.tokenization import CHARS_PER_TOKEN, SentenceTokenizer

    tok = SentenceTokenizer(max_length=48)
    long = "the minister said " * 1000  # far beyond 48 tokens, beyond the character budget too
    assert len(long) > 48 * CHARS_PER_TOKEN
    ids, truncated = tok.encode([long])
    full = tok._tok.encode(long).ids
    assert ids[0] == full and truncated == [True]


# -- 5. finite numbers only ----------------------------------------------------------------------------

@pytest.mark.parametrize("config, key", [
    ('{"weights": {"sourcing": NaN}}', "weights.sourcing"),
    ('{"weights": {"sourcing": Infinity}}', "weights.sourcing"),
    ('{"weights": {"certainty": 1e308}}', "weights.certainty"),
    ('{"weights": {"sourcing": "1"}}', "weights.sourcing"),
    ('{"weights": [1, 2]}', "weights must be a table"),
    ('{"attributed_target": null}', "attributed_target"),
    ('null', "must be an object"),
    ('{"max_listed": 2.5}', "max_listed"),
])
def test_bad_scoring_configs_exit_2_naming_the_key(tiny_model_dir, article, tmp_path, config, key):
    path = tmp_path / "weights.json"
    path.write_text(config)
    _error(run_cli("score", str(article), "--config", str(path), "--model", str(tiny_model_dir)), key)


def test_bad_toml_weights_exit_2(tiny_model_dir, article, tmp_path):
    path = tmp_path / "weights.toml"
    path.write_text("weights = [1, 2]\n")
    _error(run_cli("score", str(article), "--config", str(path), "--model", str(tiny_model_dir)), "weights")
    path.write_text("[weights]\nsourcing = nan\n")
    _error(run_cli("score", str(article), "--config", str(path), "--model", str(tiny_model_dir)), "weights.sourcing")


@pytest.mark.parametrize("temperature", [0, -1.5, "NaN", 1e-9, "x"])
def test_bad_calibration_temperatures_exit_2(tiny_model_dir, article, tmp_path, temperature):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    value = json.dumps(temperature) if temperature != "NaN" else "NaN"
    (copy / "calibration.json").write_text('{"temperature": {"attribution": %s}}' % value)
    _error(run_cli("score", str(article), "--model", str(copy)), "temperature.attribution")


def test_damaged_weights_never_give_nan_scores(tiny_model_dir, article, tmp_path):
    from safetensors.torch import load_file, save_file

    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    heads = load_file(str(copy / "heads.safetensors"))
    for name, tensor in heads.items():
        if tensor.is_floating_point():
            tensor.fill_(float("nan"))
    save_file(heads, str(copy / "heads.safetensors"))
    err = _error(run_cli("score", str(article), "--format", "json", "--model", str(copy)), "non-finite")
    assert "NaN" in err  # the message names it; no output holds it


# -- 6. honest exit codes --------------------------------------------------------------------------------

def test_bad_training_settings_exit_2_before_anything_loads(tmp_path):
    train, dev = _train_files(tmp_path)
    _error(run_cli("train", str(train), "--dev", str(dev), "-o", str(tmp_path / "m"), "--epochs", "0"),
           "--epochs must be at least 1")
    _error(run_cli("train", str(train), "--dev", str(dev), "-o", str(tmp_path / "m"), "--context", "foo"),
           "--context must be one of none, neighbours, bigru")
    _error(run_cli("train", str(train), "--dev", str(dev), "-o", str(tmp_path / "m"), "--finetune", "all"),
           "--finetune must be one of lora, layers")


def test_unlabelled_training_or_eval_rows_exit_2(tiny_model_dir, tmp_path):
    rows = make_rows(2, 3)
    for r in rows:
        del r["attribution"], r["hedging"]
    unlabelled = write_jsonl(tmp_path / "u.jsonl", rows)
    _, dev = _train_files(tmp_path)
    _error(run_cli("train", str(unlabelled), "--dev", str(dev), "-o", str(tmp_path / "m")), "no training row has a label")
    _error(run_cli("eval", str(unlabelled), "--model", str(tmp_path / "missing-model")), "no row has a label")


def test_bad_rows_in_jsonl_exit_2_with_file_and_line(tiny_model_dir, tmp_path):
    row = make_rows(1, 1)[0]
    huge = json.dumps(row).replace('"sent_index": 0', '"sent_index": ' + "9" * 5000)
    src = write_jsonl(tmp_path / "huge.jsonl", [huge])
    _error(run_cli("predict", str(src), "--model", str(tiny_model_dir)), f"{src}:1: invalid JSON")
    big = write_jsonl(tmp_path / "big.jsonl", [{**row, "sent_index": 2**70}])
    _error(run_cli("predict", str(big), "--model", str(tiny_model_dir)), f"{big}:1: sent_index must be between")
    surrogate = write_jsonl(tmp_path / "s.jsonl", [json.dumps(row).replace('"text": "', '"text": "\\ud800', 1)])
    _error(run_cli("predict", str(surrogate), "--model", str(tiny_model_dir)), "lone surrogate")
    nan = write_jsonl(tmp_path / "nan.jsonl", [json.dumps({**row, "extra": float("nan")})])
    _error(run_cli("predict", str(nan), "--model", str(tiny_model_dir)), "NaN is not a JSON number")


def test_output_onto_a_folder_and_newline_paths_are_one_line(tiny_model_dir, article, tmp_path):
    _error(run_cli("score", str(article), "-o", str(tmp_path), "--model", str(tiny_model_dir)), "is a directory")
    rows = write_jsonl(tmp_path / "rows.jsonl", make_rows(1, 2))
    _error(run_cli("predict", str(rows), "-o", str(tmp_path), "--model", str(tiny_model_dir)), "is a directory")
    _error(run_cli("score", str(tmp_path / "new\nline.txt"), "--model", str(tiny_model_dir)), "no such file")


def test_usage_errors_are_one_line():
    _error(run_cli("score", "--fast", "x"), "No such option: --fast")


def test_encoding_notices_are_one_line(tiny_model_dir, tmp_path):
    path = tmp_path / "cp.txt"
    path.write_bytes("The minister said it\x92s over. Officials agreed.".encode("latin-1"))
    outcome = run_cli("score", str(path), "--format", "json", "--model", str(tiny_model_dir))
    assert outcome.code == 0
    assert outcome.stderr.splitlines() == [f"warning: {path}: not valid UTF-8, decoded as cp1252"]


# -- 9. smaller ones -------------------------------------------------------------------------------------

def test_a_stray_byte_in_utf8_is_replaced_not_mojibake(tiny_model_dir, tmp_path):
    from credscore.reading import decode_bytes

    data = "Le ministère a dit: café, élève. \x00".encode()[:-1] + b"\xff and more."
    with pytest.warns(UserWarning, match="1 invalid UTF-8 byte sequence"):
        text = decode_bytes(data, "x.txt")
    assert "ministère" in text and "\ufffd" in text
    with pytest.warns(UserWarning, match="cp1252"):  # clearly another encoding: no UTF-8 character at all
        assert decode_bytes("caf\xe9 na\xefve".encode("cp1252"), "y.txt") == "café naïve"


def test_predict_accepts_a_bom_and_warns_about_replaced_fields(tiny_model_dir, tmp_path):
    rows = make_rows(2, 2)
    rows[0]["pred_attribution"] = "kept?"
    src = tmp_path / "bom.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode())
    outcome = run_cli("predict", str(src), "--model", str(tiny_model_dir))
    assert outcome.code == 0, outcome.stderr
    assert len(outcome.stdout.splitlines()) == 4
    assert "warning: input fields pred_attribution were replaced" in outcome.stderr


def test_train_leaves_the_dev_file_out_of_a_training_folder(tmp_path, monkeypatch):
    import credscore.training.cli_train as cli_train

    rows = make_rows(4, 3)
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", rows[:6])
    dev = write_jsonl(folder / "dev.jsonl", rows[6:])
    seen = {}

    class FakeTrainer:
        def __init__(self, config, log):
            pass

        def fit(self, train_rows, dev_rows, output, **kwargs):
            seen["train"], seen["dev"] = train_rows, dev_rows
            raise KeyboardInterrupt  # the rows are all this test needs: stop before training

    monkeypatch.setattr(cli_train, "Trainer", FakeTrainer)
    notes = []
    console = type("C", (), {"print": lambda self, message, **kwargs: notes.append(message)})()
    with pytest.raises(KeyboardInterrupt):
        cli_train.run_training([folder], dev, tmp_path / "m", console=console)
    assert {r["doc_id"] for r in seen["train"]}.isdisjoint({r["doc_id"] for r in seen["dev"]})
    assert len(seen["train"]) == 6 and any("left out of the training files" in n for n in notes)
    with pytest.raises(InputError, match="empty"):
        cli_train.run_training([dev], dev, tmp_path / "m", console=console)


def test_json_is_streamed_sentence_by_sentence_with_the_same_text(tiny_model):
    """The streamed writer (bounded memory for long articles) writes exactly the documented JSON."""
    import io

    tricky = 'He said "sentences": "\\u0000sentences" twice. A source said so.\nThird line'
    for result in (tiny_model.score(tricky, name='"sentences": "\x00sentences"'), tiny_model.score("Hi")):
        for indent in (None, 2):
            buffer = io.StringIO()
            result.write_json(buffer, indent)
            assert buffer.getvalue() == result.to_json(indent)


def test_json_output_escapes_c1_controls_and_bidi_overrides(tiny_model_dir, tmp_path):
    path = tmp_path / "c1.txt"
    text = "The ministry said \x9b2J it \u202ereversed\u202c rained."
    path.write_text(text, encoding="utf-8")
    outcome = run_cli("score", str(path), "--format", "json", "--model", str(tiny_model_dir))
    assert outcome.code == 0, outcome.stderr
    assert "\x9b" not in outcome.stdout and "\u202e" not in outcome.stdout and "\\u009b" in outcome.stdout
    assert json.loads(outcome.stdout)["sentences"][0]["text"].startswith("The ministry said \x9b2J")  # same value
