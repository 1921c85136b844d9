"""Full fine-tuning of the encoder's layers (``finetune: "layers"``): what trains, what is saved, what loads."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from credscore.encoders import (EMBEDDINGS_PREFIX, ENCODERS, Encoder, EncoderSpec, _package_tokenizer, _random_bert,
                                build_base_encoder)
from credscore.model_dir import ModelDirectory
from credscore.network import NetworkConfig, build_network
from credscore.weight_storage import INT4_SUFFIX, SCALE_SUFFIX, decode_delta
from tests.conftest import TINY_BERT, make_rows, tiny_train_config

#: A tiny BERT whose base weights, like the shipped package's, are the same every time it is built: only
#: then can a model save the differences its training made instead of the whole encoder.
FIXED_BASE = "fixed-random-bert"
if FIXED_BASE not in ENCODERS.names():
    ENCODERS.register(FIXED_BASE, Encoder(FIXED_BASE, lambda spec, seed: _random_bert(spec, 0), _package_tokenizer))


def _config(**overrides):
    cfg = tiny_train_config(encoder=EncoderSpec(kind=FIXED_BASE, bert_config=TINY_BERT), encoder_lr=1e-2, **overrides)
    cfg.network.finetune = "layers"
    return cfg


def test_layers_mode_trains_every_layer_but_not_the_embeddings():
    net = build_network(NetworkConfig(finetune="layers", head_hidden=8, context_hidden=4),
                        EncoderSpec(kind=FIXED_BASE, bert_config=TINY_BERT))
    encoder = {n: p.requires_grad for n, p in net.encoder.named_parameters()}
    assert not any("lora_" in n for n in encoder)
    assert all(not trains for n, trains in encoder.items() if n.startswith(EMBEDDINGS_PREFIX))
    assert all(trains for n, trains in encoder.items() if not n.startswith(EMBEDDINGS_PREFIX))


def test_unknown_finetune_mode_rejected():
    with pytest.raises(ValueError, match="finetune"):
        NetworkConfig(finetune="everything")


@pytest.fixture(scope="module")
def layers_model(tmp_path_factory):
    from credscore.training.train import Trainer

    out = tmp_path_factory.mktemp("layers") / "model"
    rows = make_rows(10, 5)
    Trainer(_config(), log=lambda *a: None).fit(rows[:40], rows[40:], out, meta={"name": "layers-test"})
    return out


def test_saved_as_int4_differences_from_the_base(layers_model):
    model = ModelDirectory(layers_model)
    files = {p.name for p in layers_model.iterdir()}
    assert model.ENCODER_DELTA_FILE in files
    assert model.ADAPTER_FILE not in files and model.ENCODER_FILE not in files
    saved = load_file(str(layers_model / model.ENCODER_DELTA_FILE))
    assert not any(k.startswith(EMBEDDINGS_PREFIX) for k in saved)
    matrices = [k for k in saved if k.endswith(INT4_SUFFIX)]
    assert matrices and all(saved[k].dtype == torch.uint8 for k in matrices)
    assert all(v.dtype == torch.float16 for k, v in saved.items() if not k.endswith(INT4_SUFFIX))
    delta = decode_delta(saved)
    assert any(v.abs().max() > 0 for v in delta.values())  # training moved the layers
    heads = load_file(str(layers_model / model.HEADS_FILE))
    assert all(v.dtype == torch.float16 for v in heads.values())


def test_loads_as_base_plus_differences(layers_model):
    model = ModelDirectory(layers_model)
    loaded = model.load_network().network.encoder.state_dict()
    base = build_base_encoder(model.encoder_spec(model.config())).state_dict()
    delta = decode_delta(load_file(str(layers_model / model.ENCODER_DELTA_FILE)))
    for key, value in base.items():
        expected = value + delta[key] if key in delta else value
        assert torch.equal(loaded[key], expected), key


def test_training_reports_the_weights_it_saves(tmp_path):
    """The network measured and calibrated at the end of training is the one that loads, bit for bit."""
    from credscore.training.train import Trainer

    rows = make_rows(10, 5)
    kept = {}

    class Keeping(Trainer):
        def dev_scores(self, network, ds):
            kept.update({k: v.clone() for k, v in network.state_dict().items()})
            return super().dev_scores(network, ds)

    out = tmp_path / "model"
    Keeping(_config(epochs=1), log=lambda *a: None).fit(rows[:40], rows[40:], out, meta={"name": "t"})
    loaded = ModelDirectory(out).load_network().network.state_dict()
    assert loaded.keys() == kept.keys()
    for key, value in loaded.items():
        assert torch.equal(value, kept[key]), key


def test_fp16_differences_of_earlier_models_still_load(layers_model, tmp_path):
    import json
    import shutil

    from safetensors.torch import save_file

    old = tmp_path / "old"
    shutil.copytree(layers_model, old)
    delta = decode_delta(load_file(str(old / ModelDirectory.ENCODER_DELTA_FILE)))
    save_file({k: v.half() for k, v in delta.items()}, str(old / ModelDirectory.ENCODER_DELTA_FILE))
    config = json.loads((old / "config.json").read_text())
    del config["network"]["delta_bits"]  # as models 0.6.0 wrote it
    (old / "config.json").write_text(json.dumps(config))
    model = ModelDirectory(old)
    assert model.load_network().network.config.delta_bits == 16
    loaded = model.load_network().network.encoder.state_dict()
    base = build_base_encoder(model.encoder_spec(model.config())).state_dict()
    for key, value in delta.items():
        assert torch.equal(loaded[key], base[key] + value.half().float()), key


def test_int4_codes_without_their_scales_are_refused(layers_model, tmp_path):
    import shutil

    from safetensors.torch import save_file

    from credscore.errors import ModelLoadError

    broken = tmp_path / "broken"
    shutil.copytree(layers_model, broken)
    saved = load_file(str(broken / ModelDirectory.ENCODER_DELTA_FILE))
    del saved[next(k for k in saved if k.endswith(SCALE_SUFFIX))]
    save_file(saved, str(broken / ModelDirectory.ENCODER_DELTA_FILE))
    with pytest.raises(ModelLoadError, match="int4 codes and scales do not match"):
        ModelDirectory(broken).load_network()


def test_differences_that_do_not_fit_the_base_are_refused(layers_model, tmp_path):
    import shutil

    from safetensors.torch import save_file

    from credscore.errors import ModelLoadError

    broken = tmp_path / "broken"
    shutil.copytree(layers_model, broken)
    delta = load_file(str(broken / ModelDirectory.ENCODER_DELTA_FILE))
    key = next(k for k in delta if not k.endswith((INT4_SUFFIX, SCALE_SUFFIX)))
    delta[key] = torch.zeros(3, dtype=torch.float16)
    save_file(delta, str(broken / ModelDirectory.ENCODER_DELTA_FILE))
    with pytest.raises(ModelLoadError, match="does not fit the base encoder"):
        ModelDirectory(broken).load_network()


def test_torch_and_onnx_paths_agree_on_a_layers_model(layers_model, tmp_path, monkeypatch):
    from credscore.api import load_model

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(tmp_path / "cache"))
    rows = make_rows(2, 4, seed=9)
    texts = [r["text"] for r in rows]
    torch_probs = load_model(layers_model, backend="torch").predict_proba(texts)
    onnx_probs = load_model(layers_model, backend="onnx-fp32").predict_proba(texts)
    for task, probs in torch_probs.items():
        assert probs == pytest.approx(onnx_probs[task], abs=1e-4), task


def test_init_from_a_layers_model_continues_from_its_layers(layers_model, tmp_path):
    from credscore.training.train import Trainer

    parent = ModelDirectory(layers_model)
    start = parent.read_full_encoder(parent.config())
    trainer = Trainer(_config(), log=lambda *a: None)
    network = trainer._init_network(layers_model)
    for key, value in network.encoder.state_dict().items():
        assert torch.equal(value, start[key]), key
