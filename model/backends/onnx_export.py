"""Exporting a model directory to ONNX Runtime graphs (the int8 fast path).

Steps (the recipe of Hugging Face Optimum for BERT on CPU, done with the
libraries directly): torch.onnx export of the merged fp32 network with eager
attention (the pattern ORT's fusion recognises) -> ``onnxruntime.transformers``
optimizer (fused Attention, SkipLayerNorm, BiasGelu, EmbedLayerNorm) ->
``onnxruntime.quantization.quantize_dynamic`` (int8 weights, one scale per
output channel, except the feed-forward output projections and the mention
head, which stay fp32: :func:`fp32_nodes`).
The context layer and heads stay fp32 (a few hundred kB, negligible time).
The exported graphs are checked against the torch network before they are
accepted.  :mod:`credscore.backends.onnx_cache` decides where they go and when to build.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from credscore.errors import ModelLoadError
from credscore.tasks import TASKS
from credscore.network import CredscoreNetwork
from credscore.backends.onnx_files import (
    ENCODER_FILE, HEADS_FILE, MANIFEST_FILE, OPSET, export_versions, make_session, manifest_digest, sha256_file,
)

#: Export check on :data:`PROBE_SENTENCES`: the fused fp32 graph must match torch to this
#: absolute error (it is the same arithmetic), the int8 graph to this cosine similarity
#: (quantisation noise; the shipped model's worst test sentence is at 0.948).
MAX_FP32_ERROR = 1e-3
MIN_INT8_COSINE = 0.9
PROBE_SENTENCES = [
    "The ministry said on Monday that the bridge would reopen next week.",
    "Officials, who spoke on condition of anonymity, said the attack may have been planned for months.",
    "\"We will rebuild,\" she said.",
    "According to Reuters, the talks collapsed.",
    "Prices rose.",
]


class WindowEncoder(torch.nn.Module):
    """The encoder of joint windows: ids, mask ``(B, T)`` and pooling ``(B, S, T)`` -> features ``(B, S, F)``
    and, with a mention head, mention tag logits ``(B, T, 17)``: the whole per-window network."""

    def __init__(self, network: CredscoreNetwork):
        super().__init__()
        self.network = network

    def forward(self, input_ids, attention_mask, pool):
        features, tags = self.network.encode_windows(input_ids, attention_mask, pool)
        return (features,) if tags is None else (features, tags)


def encoder_outputs(network: CredscoreNetwork) -> list[str]:
    return ["features"] + (["mention_tags"] if network.mention is not None else [])


class DocumentHeads(torch.nn.Module):
    """Context layer and heads for one document: vectors ``(n, H)`` -> logits per task."""

    def __init__(self, network: CredscoreNetwork):
        super().__init__()
        self.network = network

    def forward(self, embedding):
        return self.network.classify_document(embedding)


@contextlib.contextmanager
def _quiet():
    """Keep exporter chatter off stdout (JSON output goes there) and warnings off stderr."""
    # onnxruntime's quantiser logs advice through the root logger: mute logging below ERROR meanwhile.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def compile_model(model_dir: Path, target: Path, precision: str = "int8") -> dict:
    """Write ``encoder.onnx``, ``heads.onnx`` and ``manifest.json`` for ``model_dir`` into ``target``.

    Returns the manifest.  Raises :class:`ModelLoadError` when the model
    cannot be loaded or the exported graphs disagree with the torch network.
    """
    from credscore.model_dir import ModelDirectory

    target = Path(target)
    loaded = ModelDirectory(model_dir).load_network()  # validates every file; the encoder whole (LoRA merged)
    network = loaded.network.eval()
    encoder_config = network.encoder.config
    with _quiet(), tempfile.TemporaryDirectory(dir=target) as work, torch.inference_mode(False), torch.no_grad():
        work = Path(work)
        # Eager attention exports as MatMul/Softmax, the pattern ORT fuses into one Attention op.
        network.encoder.set_attn_implementation("eager")
        _export_encoder(network, work / "encoder.fp32.onnx")
        model_type = ModelDirectory(model_dir).encoder_spec(loaded.config).entry.onnx_model_type
        _optimize_encoder(work / "encoder.fp32.onnx", work / "encoder.opt.onnx", model_type,
                          encoder_config.num_attention_heads, encoder_config.hidden_size)
        check = {"fp32_max_abs_error": _check_encoder(network, work / "encoder.opt.onnx", "fp32")}
        if precision == "int8":
            _quantize(work / "encoder.opt.onnx", target / ENCODER_FILE)
            check["int8_min_cosine"] = _check_encoder(network, target / ENCODER_FILE, "int8")
        else:
            shutil.copyfile(work / "encoder.opt.onnx", target / ENCODER_FILE)
        _export_heads(network, target / HEADS_FILE)
        check["heads_max_abs_error"] = _check_heads(network, target / HEADS_FILE)
    manifest = {"model_dir": str(model_dir), "model_name": loaded.config.get("name"), "precision": precision,
                "feature_dim": network.feature_dim, "window_tokens": network.config.window_tokens,
                "core_tokens": network.config.core_tokens,
                "encoder_outputs": encoder_outputs(network), "tasks": list(TASKS),
                "versions": export_versions(), "export_check": check,
                "sha256": {name: sha256_file(target / name) for name in (ENCODER_FILE, HEADS_FILE)}}
    manifest["manifest_sha256"] = manifest_digest(manifest)
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _probe_batch(network: CredscoreNetwork) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real sentences as windows of two documents of the network's own plan, padded into one batch
    (so the mask and the padding sentences are traced too)."""
    from credscore.tokenization import SentenceTokenizer
    from credscore.windows import build_window, pad_windows, plan_windows

    config = network.config
    tokenizer = SentenceTokenizer(max_length=config.max_length)
    windows = []
    for doc in (PROBE_SENTENCES, PROBE_SENTENCES[:2]):
        pieces = tokenizer.encode_pieces(doc)[0]
        for window in plan_windows([len(p) for p in pieces], config.window_tokens, config.core_tokens):
            windows.append(build_window(pieces, window, tokenizer.cls_token_id, tokenizer.sep_token_id,
                                        alone=config.reads_alone))
    return tuple(torch.from_numpy(a) for a in pad_windows(windows, tokenizer.pad_token_id))


def _export_encoder(network, path: Path) -> None:
    ids, mask, pool = _probe_batch(network)
    outputs = encoder_outputs(network)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "pool": {0: "batch", 1: "sentences", 2: "tokens"}, "features": {0: "batch", 1: "sentences"},
            "mention_tags": {0: "batch", 1: "tokens"}}
    # The TorchScript exporter (dynamo=False): its graphs are the ones ORT's BERT fusion recognises.
    torch.onnx.export(WindowEncoder(network).eval(), (ids, mask, pool), str(path),
                      input_names=["input_ids", "attention_mask", "pool"], output_names=outputs,
                      dynamic_axes={k: v for k, v in axes.items() if k in outputs or k in ("input_ids", "attention_mask",
                                                                                          "pool")},
                      opset_version=OPSET, dynamo=False)


def _export_heads(network, path: Path) -> None:
    emb = torch.randn(5, network.feature_dim)
    outputs = list(TASKS)
    axes = {"embedding": {0: "sentences"}, **{task: {0: "sentences"} for task in outputs}}
    torch.onnx.export(DocumentHeads(network).eval(), (emb,), str(path), input_names=["embedding"], output_names=outputs,
                      dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def _optimize_encoder(source: Path, target: Path, model_type: str, num_heads: int, hidden_size: int) -> None:
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(source), model_type=model_type, num_heads=num_heads,
                                     hidden_size=hidden_size, opt_level=1)
    model.save_model_to_file(str(target))


def fp32_nodes(graph) -> list[str]:
    """Nodes of an encoder graph that stay fp32 in the int8 path.

    The feed-forward output projections (``layer.N/output/dense``): their
    inputs, the GELU activations, carry the outlier values that per-tensor
    activation scales handle worst (Bondarenko et al., EMNLP 2021); keeping
    them fp32 closed the dev gap to fp32 from 1.12 to 0.15 macro-F1 points
    (``docs/inference.md``).  And the mention head's projection, a small
    classifier whose probabilities weigh the pooled mention vector.
    """
    return [n.name for n in graph.node if n.op_type == "MatMul" and (
        (n.name.endswith("/output/dense/MatMul") and "/attention/" not in n.name) or n.name.startswith("/mention/"))]


def _quantize(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # DefaultTensorType: the fused ops come from the com.microsoft domain, where
    # ONNX shape inference cannot type their outputs; they are all float32.
    # MatMulConstBOnly: only products with a weight matrix are quantised, never the pooling
    # product of two activations (its scale would follow the window's content).
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=fp32_nodes(onnx.load(str(source)).graph),
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT, "MatMulConstBOnly": True})


def _check_encoder(network: CredscoreNetwork, path: Path, precision: str) -> float:
    """Compare an exported encoder with torch on :data:`PROBE_SENTENCES`; raise if it disagrees."""
    ids, mask, pool = _probe_batch(network)
    with torch.inference_mode():
        want = network.encode_windows(ids, mask, pool)[0].float()
    got = torch.from_numpy(make_session(path).run(["features"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                                                 "pool": pool.numpy()})[0])
    real = pool.sum(-1) > 0  # padding sentences have zero features on both sides
    want, got = want[real], got[real]
    if precision == "fp32":
        value = float((got - want).abs().max())
        ok = value <= MAX_FP32_ERROR
    else:
        value = float(torch.nn.functional.cosine_similarity(got, want).min())
        ok = value >= MIN_INT8_COSINE
    if not ok:  # also catches NaN
        raise ModelLoadError(f"ONNX export check failed: the {precision} encoder disagrees with the torch network "
                             f"({'max abs error' if precision == 'fp32' else 'min cosine'} {value:.4g})")
    return round(value, 6)


def _check_heads(network: CredscoreNetwork, path: Path) -> float:
    """Largest absolute logit difference between the exported heads and torch on random vectors."""
    emb = torch.randn(7, network.feature_dim, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        want = network.classify_document(emb)
    got = make_session(path).run(list(TASKS), {"embedding": emb.numpy()})
    error = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want))
    if not error <= MAX_FP32_ERROR:
        raise ModelLoadError(f"ONNX export check failed: the heads disagree with the torch network ({error:.4g})")
    return error
