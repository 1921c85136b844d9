"""Issue point 7: an interrupted and resumed run equals an uninterrupted one; a foreign checkpoint is refused."""

from pathlib import Path

import pytest

from credscore.errors import InputError
from credscore.training.train import Trainer
from tests.conftest import make_rows, tiny_train_config

ROWS = make_rows(8, 5, seed=4)
TRAIN, DEV = ROWS[:30], ROWS[30:]


def _config():
    # Dropout on (the default 0.1) and a shuffled data order: both depend on random states.
    return tiny_train_config(epochs=3, patience=5)


def _weights(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.safetensors"))}


class Interrupt(Exception):
    pass


def _interrupted_then_resumed(out: Path, monkeypatch, stop_at_epoch: int = 2) -> dict:
    real = Trainer._train_epoch

    def stop(self, network, ds, optimizer, scheduler, class_weights, rng, epoch):
        if epoch == stop_at_epoch:
            raise Interrupt()
        return real(self, network, ds, optimizer, scheduler, class_weights, rng, epoch)

    with monkeypatch.context() as m:
        m.setattr(Trainer, "_train_epoch", stop)
        with pytest.raises(Interrupt):
            Trainer(_config(), log=lambda *a: None).fit(TRAIN, DEV, out)
    assert (Path(str(out) + ".checkpoint") / "state.json").exists() and not out.exists()
    return Trainer(_config(), log=lambda *a: None).fit(TRAIN, DEV, out, resume=True)


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, monkeypatch):
    first = Trainer(_config(), log=lambda *a: None).fit(TRAIN, DEV, tmp_path / "a")
    again = Trainer(_config(), log=lambda *a: None).fit(TRAIN, DEV, tmp_path / "b")
    assert _weights(tmp_path / "a") == _weights(tmp_path / "b")  # uninterrupted runs are reproducible
    resumed = _interrupted_then_resumed(tmp_path / "c", monkeypatch)
    assert _weights(tmp_path / "c") == _weights(tmp_path / "a")
    assert resumed["history"] == first["history"] == again["history"]
    assert resumed["best_epoch"] == first["best_epoch"]
    assert resumed["temperatures"] == first["temperatures"]


def test_checkpoint_of_other_data_or_settings_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "m"
    real = Trainer._train_epoch

    def stop(self, *args):
        if args[-1] == 1:
            raise Interrupt()
        return real(self, *args)

    with monkeypatch.context() as m:
        m.setattr(Trainer, "_train_epoch", stop)
        with pytest.raises(Interrupt):
            Trainer(_config(), log=lambda *a: None).fit(TRAIN, DEV, out)
    changed = [dict(r) for r in TRAIN]
    changed[0]["hedging"] = "high" if changed[0]["hedging"] != "high" else "none"
    with pytest.raises(InputError, match="other data, labels or settings"):
        Trainer(_config(), log=lambda *a: None).fit(changed, DEV, out, resume=True)
    other_seed = _config()
    other_seed.seed = 99
    with pytest.raises(InputError, match="other data, labels or settings"):
        Trainer(other_seed, log=lambda *a: None).fit(TRAIN, DEV, out, resume=True)
    with pytest.raises(InputError, match="other data, labels or settings"):
        Trainer(_config(), log=lambda *a: None).fit(TRAIN, DEV[:-1], out, resume=True)
