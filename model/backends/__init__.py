"""Inference backends, chosen by name: one registry entry each.

======================  =====================================================
``torch``               the fp32 PyTorch network: the reference (the code that is trained)
``onnx-int8``           ONNX Runtime, fused attention, int8 weights: the fast path
``onnx-fp32``           ONNX Runtime, fused attention, fp32 weights (separates runtime gain from int8 gain)
======================  =====================================================

A backend factory takes a :class:`~credscore.model_dir.ModelDirectory` and
its validated config and returns an object with the
:class:`~credscore.predictor.Backend` interface (numpy in, numpy out).
Factories import their runtime lazily, so the ONNX path never imports torch.
Adding a backend is one :func:`register_backend` call.
"""

from __future__ import annotations

from collections.abc import Callable

from credscore.registry import Registry

#: The backend of a model whose config names none (a freshly trained one): the reference network.
#: ``python -m credscore.eval.finalize`` measures the int8 path and sets ``inference.backend``.
DEFAULT_BACKEND = "torch"

BACKENDS: Registry[Callable] = Registry("backend")


def register_backend(name: str):
    return BACKENDS.register(name)


@register_backend("torch")
def _torch(model_dir, config):
    from credscore.backends.pytorch import TorchBackend

    return TorchBackend(model_dir.load_network().network)


def _onnx(precision: str):
    def build(model_dir, config):
        from credscore.backends.onnx_cache import ensure_compiled
        from credscore.backends.ort import OnnxBackend

        return OnnxBackend(ensure_compiled(model_dir.path, config, precision))
    return build


register_backend("onnx-int8")(_onnx("int8"))
register_backend("onnx-fp32")(_onnx("fp32"))


def configured_backend(config: dict) -> str:
    """The backend a model's ``config.json`` recommends (``inference.backend``; older models: ``fast_path``)."""
    inference = config.get("inference") or {}
    if "backend" in inference:
        return str(inference["backend"])
    if "fast_path" in inference:
        return "onnx-int8" if inference["fast_path"] else "torch"
    return DEFAULT_BACKEND


def build_backend(name: str, model_dir, config: dict):
    """The backend called ``name`` for ``model_dir`` (:class:`~credscore.errors.InputError` if unknown)."""
    return BACKENDS.get(name)(model_dir, config)
