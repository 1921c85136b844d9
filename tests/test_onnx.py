"""The ONNX Runtime fast path: export, cache, numerical agreement, no torch at inference."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from credscore.errors import ModelLoadError
from credscore.tasks import TASKS
from credscore.network import CONTEXT_MODES, DocumentContext, NetworkConfig
from tests.conftest import ROOT, make_rows


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def compiled_cache(tmp_path_factory, tiny_model_dir):
    """A cache directory holding the tiny model's int8 graphs (built once per test session)."""
    from credscore.model_dir import ModelDirectory
    from credscore.backends.onnx_cache import ensure_compiled

    path = tmp_path_factory.mktemp("onnx-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDSCORE_CACHE_DIR", str(path))
        ensure_compiled(tiny_model_dir, ModelDirectory(tiny_model_dir).config())
    return path


def _docs():
    rows = make_rows(4, 6, seed=5)
    return [[r["text"] for r in rows if r["doc_id"] == d] for d in dict.fromkeys(r["doc_id"] for r in rows)]


@pytest.mark.parametrize("mode", CONTEXT_MODES)
@pytest.mark.parametrize("n", [1, 2, 7])
def test_forward_document_equals_forward(mode, n):
    """The traceable one-document context (used for export) computes what training computes."""
    torch.manual_seed(0)
    layer = DocumentContext(12, NetworkConfig(context=mode, context_hidden=5)).eval()
    if mode == "neighbours":
        torch.nn.init.normal_(layer.missing)
    emb = torch.randn(n, 12)
    with torch.no_grad():
        assert torch.allclose(layer.forward_document(emb), layer(emb, [n]), atol=1e-6)


def test_sentence_tokenizer_matches_transformers():
    """Inference tokenises with `tokenizers` alone; ids must equal the training tokenizer's."""
    from transformers import BertTokenizerFast

    from credscore.encoders import base_model_path

    load_tokenizer = lambda: BertTokenizerFast.from_pretrained(str(base_model_path()))  # noqa: E731
    from credscore.tokenization import SentenceTokenizer
    from credscore.training.data import load_rows

    texts = [r["text"] for r in load_rows([ROOT / "seeds/dev.jsonl"])]
    texts += ["Ünïcödé café — “quotes” 東京 🎉", "word " * 300]
    ids, truncated = SentenceTokenizer(max_length=64).encode(texts)
    reference = load_tokenizer()(texts, truncation=True, max_length=64)["input_ids"]
    assert ids == reference
    assert sum(truncated) == sum(len(x) > 64 for x in load_tokenizer()(texts)["input_ids"]) >= 1


def test_fp32_graphs_reproduce_the_torch_network(tiny_model_dir, tiny_model, cache):
    """Exported without quantisation, ONNX Runtime gives the torch probabilities (same arithmetic)."""
    from credscore.model_dir import ModelDirectory
    from credscore.backends.ort import OnnxBackend
    from credscore.backends.onnx_cache import ensure_compiled
    from credscore.backends.onnx_files import read_manifest
    from credscore.predictor import Predictor

    compiled = ensure_compiled(tiny_model_dir, ModelDirectory(tiny_model_dir).config(), precision="fp32")
    assert read_manifest(compiled)["export_check"]["fp32_max_abs_error"] < 1e-3
    onnx = Predictor(OnnxBackend(compiled), tiny_model.predictor.tokenizer, tiny_model.predictor.temperatures)
    docs = _docs()
    want = tiny_model.predict_documents(docs).scores
    got = onnx.predict_documents(docs).scores
    for task in TASKS:
        np.testing.assert_allclose(got[task], want[task], atol=1e-4)


def test_int8_fast_path_agrees_with_fp32(tiny_model_dir, tiny_model, compiled_cache, monkeypatch):
    from credscore.api import load_model

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(compiled_cache))
    fast = load_model(tiny_model_dir, backend="onnx-int8")
    assert fast.info["backend"] == "onnx-int8"
    docs = _docs()
    got, want = fast.predict_documents(docs).scores, tiny_model.predict_documents(docs).scores
    for task in TASKS:
        assert got[task].shape == want[task].shape
        np.testing.assert_allclose(got[task].sum(1), 1.0, atol=1e-6)
        assert np.abs(got[task] - want[task]).max() < 0.1  # int8 noise, not a different model
    result = fast.score("The ministry said on Monday that the bridge would reopen. It rained.")
    assert len(result.sentences) == 2 and 0 <= result.profile.reliability <= 100


def test_int8_graph_keeps_the_feed_forward_outputs_and_the_mention_head_fp32(compiled_cache):
    import onnx

    (encoder,) = compiled_cache.glob("onnx-int8-*/encoder.onnx")
    nodes = {n.name: n.op_type for n in onnx.load(str(encoder)).graph.node}
    kept = [name for name in nodes if name.endswith("/output/dense/MatMul") and "/attention/" not in name]
    assert kept and all(nodes[name] == "MatMul" for name in kept)  # not replaced by an integer product
    assert any(name.startswith("/mention/") and op == "MatMul" for name, op in nodes.items())
    assert any(op in ("MatMulInteger", "DynamicQuantizeMatMul", "QAttention") for op in nodes.values())


def test_parallel_batches_give_the_same_vectors_in_order(tiny_model_dir, compiled_cache, monkeypatch):
    """Batches run side by side from a thread pool land in input order, with monotone progress."""
    from credscore.model_dir import ModelDirectory
    from credscore.backends.ort import OnnxBackend
    from credscore.backends.onnx_cache import ensure_compiled
    from credscore.predictor import Predictor
    from credscore.tokenization import SentenceTokenizer

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(compiled_cache))
    compiled = ensure_compiled(tiny_model_dir, ModelDirectory(tiny_model_dir).config())
    docs = _docs() * 3
    tokenizer = SentenceTokenizer(max_length=48)
    one = Predictor(OnnxBackend(compiled, threads=1), tokenizer, batch_size=4)
    two = Predictor(OnnxBackend(compiled, threads=2), tokenizer, batch_size=4)
    assert two.backend.parallel_batches == 2
    calls = []
    a = one.encode(docs)[0]
    b = two.encode(docs, progress=lambda done, total: calls.append(done))[0]
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert calls == sorted(calls) and calls[-1] == sum(len(d) for d in docs)


def test_cache_is_reused_and_a_damaged_cache_is_rebuilt(tiny_model_dir, cache, monkeypatch):
    import credscore.backends.onnx_export as onnx_export
    from credscore.model_dir import ModelDirectory
    from credscore.backends.onnx_cache import ensure_compiled
    from credscore.backends.onnx_files import ENCODER_FILE

    meta = ModelDirectory(tiny_model_dir).config()
    first = ensure_compiled(tiny_model_dir, meta)
    built = []
    real = onnx_export.compile_model
    monkeypatch.setattr(onnx_export, "compile_model", lambda *a, **k: built.append(1) or real(*a, **k))
    assert ensure_compiled(tiny_model_dir, meta) == first and not built  # cached: nothing rebuilt
    (first / ENCODER_FILE).write_bytes(b"truncated")
    assert ensure_compiled(tiny_model_dir, meta) == first and built == [1]  # checksum mismatch: rebuilt
    assert (first / ENCODER_FILE).stat().st_size > 1000


def test_cache_key_follows_the_weights(tiny_model_dir, tmp_path):
    import shutil

    from credscore.model_dir import ModelDirectory
    from credscore.backends.onnx_cache import compile_key

    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    meta = ModelDirectory(copy).config()
    key = compile_key(copy, meta, "int8")
    assert compile_key(tiny_model_dir, meta, "int8") == key  # the path does not matter, the content does
    assert compile_key(copy, meta, "fp32") != key
    heads = copy / "heads.safetensors"
    heads.write_bytes(heads.read_bytes()[:-1] + b"\x01")
    assert compile_key(copy, meta, "int8") != key


def test_unwritable_cache_falls_back_to_a_temporary_directory(tiny_model_dir, cache, monkeypatch):
    import contextlib

    import credscore.backends.onnx_cache as onnx_cache
    from credscore.model_dir import ModelDirectory

    @contextlib.contextmanager
    def refuse(target):
        raise PermissionError(13, "Permission denied", str(target))
        yield  # pragma: no cover

    monkeypatch.setattr(onnx_cache, "atomic_directory", refuse)
    compiled = onnx_cache.ensure_compiled(tiny_model_dir, ModelDirectory(tiny_model_dir).config())
    assert not compiled.is_relative_to(cache) and (compiled / onnx_cache.MANIFEST_FILE).exists()


def test_corrupted_adapter_is_reported_when_building(tiny_model_dir, tmp_path, cache):
    import shutil

    from credscore.api import load_model

    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "heads.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelLoadError, match="heads.safetensors"):
        load_model(broken, backend="onnx-int8")
    assert not any(cache.glob("onnx-*")) if cache.exists() else True  # nothing half-built left behind


def test_fast_path_imports_neither_torch_nor_transformers(tiny_model_dir, compiled_cache):
    """The point of the fast path's cold start: a cached model runs without torch."""
    code = ("import sys; from credscore.api import load_model; "
            f"m = load_model({str(tiny_model_dir)!r}, backend='onnx-int8'); m.score('The ministry said it would.'); "
            "bad = [n for n in ('torch', 'transformers', 'peft', 'datasets') if n in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    env = {**os.environ, "CREDSCORE_CACHE_DIR": str(compiled_cache)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_reports_the_one_time_build_on_stderr_only(tiny_model_dir, tmp_path):
    env = {**os.environ, "CREDSCORE_CACHE_DIR": str(tmp_path / "c")}
    cmd = [sys.executable, "-m", "credscore.cli", "score", "-", "--model", str(tiny_model_dir), "--backend", "onnx-int8", "--format", "json"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, input="The ministry said it would. It rained.",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"]["backend"] == "onnx-int8"  # stdout is pure JSON
    assert "preparing the int8 ONNX Runtime graphs" in proc.stderr
    again = subprocess.run(cmd, cwd=ROOT, env=env, input="It rained.", capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "preparing" not in again.stderr


def test_prepare_builds_the_cache_and_refuses_a_missing_model(tiny_model_dir, tmp_path):
    env = {**os.environ, "CREDSCORE_CACHE_DIR": str(tmp_path / "c")}
    ok = subprocess.run([sys.executable, "-m", "credscore.cli", "prepare", "--model", str(tiny_model_dir)], cwd=ROOT,
                        env=env, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert len(list((tmp_path / "c").glob("onnx-int8-*/manifest.json"))) == 1
    missing = subprocess.run([sys.executable, "-m", "credscore.cli", "prepare", "--model", str(tmp_path / "none")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
    assert "model directory not found" in missing.stderr


@pytest.mark.parametrize("backend", ["onnx-int8", "torch"])
def test_labels_do_not_depend_on_what_else_is_scored(tiny_model_dir, compiled_cache, monkeypatch, backend):
    """An article scored alone and together with others gets identical labels and probabilities (1e-5).

    int8 activations are quantised with one scale per graph call, so the fast path runs one window per call.
    """
    from credscore.api import load_model

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(compiled_cache))
    model = load_model(tiny_model_dir, backend=backend)
    docs = _docs() + [[f"Officials said the count {i} was final." for i in range(40)]]
    together = model.predict_documents(docs)
    start = 0
    for doc in docs:
        alone = model.predict_documents([doc])
        for task in TASKS:
            part = together.scores[task][start:start + len(doc)]
            np.testing.assert_allclose(alone.scores[task], part, atol=1e-5, rtol=0)
            assert (alone.scores[task].argmax(1) == part.argmax(1)).all()
        assert alone.mentions == together.mentions[start:start + len(doc)]
        start += len(doc)


def test_fp32_graphs_reproduce_mention_tags(tiny_model_dir, monkeypatch, tmp_path):
    """The exported window graph carries the mention head: same mentions as the torch network."""
    from credscore.api import load_model

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(tmp_path / "cache"))
    docs = _docs()
    torch_probs = load_model(tiny_model_dir, backend="torch").predict_documents(docs)
    onnx_probs = load_model(tiny_model_dir, backend="onnx-fp32").predict_documents(docs)
    assert [[(m["start"], m["end"], m["type"]) for m in s] for s in onnx_probs.mentions] == \
        [[(m["start"], m["end"], m["type"]) for m in s] for s in torch_probs.mentions]
    assert onnx_probs.source_of == torch_probs.source_of
