"""A saved model: one directory, one object that owns its file names, schema, reading and writing.

A model directory holds only safetensors and JSON (plus its model card):

``config.json``
    format version, name, version, provenance, label sets, network config,
    encoder spec, inference settings.
``adapter.safetensors`` / ``encoder.safetensors``
    LoRA weights of the encoder when its base comes from a pinned package
    (its weights are read from the package, never from a hub), or the whole
    encoder (tiny random encoders of the tests); the encoder entry says which.
``heads.safetensors``
    context layer and task heads.
``calibration.json``
    per-task temperatures and, for the heads that keep them, per-class
    decision offsets (:mod:`credscore.calibration`).
``MODEL_CARD.md``
    data, configuration, metrics, intended use and limitations.

Reading the config and temperatures needs JSON only (the ONNX Runtime path
never imports torch); loading and saving the network import torch lazily.
Writes are atomic: a temporary directory is filled, then renamed over the
target, so an interrupted save leaves any previous model untouched.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from credscore.atomic import atomic_directory
from credscore.encoders import EncoderSpec
from credscore.errors import ModelLoadError
from credscore.tasks import TASKS

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "weights"

#: Largest model files read: JSON files are small, weights of a MiniLM-sized model tens of MB.
MAX_JSON_BYTES = 16 << 20
MAX_WEIGHTS_BYTES = 4 << 30
#: Calibration temperatures outside this range are not a fit but damage (T <= 0 inverts or breaks every label).
TEMPERATURE_RANGE = (1e-2, 1e2)
#: Decision offsets beyond this size would make a class unreachable or certain: damage, not a fit.
OFFSET_LIMIT = 20.0


def read_json(path: Path) -> dict:
    """A model file's JSON; :class:`ModelLoadError` naming it if missing, not a regular file, huge or corrupted."""
    from credscore.bounded_read import read_regular_file

    data = read_regular_file(path, MAX_JSON_BYTES, error=ModelLoadError)
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelLoadError(f"model file is corrupted: {path} ({exc})") from None


def read_safetensors(path: Path) -> dict:
    """Tensors of a model file; :class:`ModelLoadError` naming it if missing or not safetensors."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from credscore.bounded_read import check_regular_file

    check_regular_file(path, MAX_WEIGHTS_BYTES, error=ModelLoadError)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"model file is not valid safetensors: {path} ({str(exc).splitlines()[0]})") from None


@dataclass
class LoadedNetwork:
    """What :meth:`ModelDirectory.load_network` returns: the network ready for inference and its config."""

    network: object  # credscore.network.CredscoreNetwork
    config: dict
    path: Path


class ModelDirectory:
    """One model directory on disk (see the module docstring for its files).

    ``ModelDirectory(path).config()`` validates and reads it;
    :meth:`load_network` builds the torch network; :meth:`save` writes a new one.
    """

    FORMAT_VERSION = 1
    CONFIG_FILE = "config.json"
    CALIBRATION_FILE = "calibration.json"
    HEADS_FILE = "heads.safetensors"
    ADAPTER_FILE = "adapter.safetensors"
    ENCODER_FILE = "encoder.safetensors"
    #: fp16 differences from the package's base encoder, when its layers were fine-tuned (``finetune: "layers"``).
    ENCODER_DELTA_FILE = "encoder_delta.safetensors"
    MODEL_CARD_FILE = "MODEL_CARD.md"
    REQUIRED_FILES = (CONFIG_FILE, HEADS_FILE, CALIBRATION_FILE)

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else DEFAULT_MODEL_DIR

    def __repr__(self) -> str:
        return f"ModelDirectory({str(self.path)!r})"

    # -- reading, without torch -------------------------------------------------
    def is_model(self) -> bool:
        """Whether the path looks like a credscore model directory (has a config.json with a format version)."""
        try:
            data = read_json(self.path / self.CONFIG_FILE)
        except ModelLoadError:
            return False
        return isinstance(data, dict) and "format_version" in data

    def check_output(self) -> bool:
        """Refuse to write a model over anything but a model directory; True when one will be replaced.

        An existing plain file, symbolic link or folder that is not a credscore
        model (unless empty) is refused with :class:`~credscore.errors.InputError`
        (exit 2), and so is a location that cannot be written: call this before
        training starts.  An existing model directory is replaced atomically.
        """
        import os

        from credscore.errors import InputError

        path = self.path
        if path.is_symlink():
            raise InputError(f"{path}: is a symbolic link; give the model directory itself as --output")
        if path.exists() and not path.is_dir():
            raise InputError(f"{path}: exists and is not a folder; refusing to replace it with a model")
        if path.is_dir() and any(path.iterdir()) and not self.is_model():
            raise InputError(f"{path}: folder exists and is not a credscore model; refusing to replace its "
                             "contents (choose another --output or empty it)")
        parent = path.resolve().parent
        for folder in (parent, *parent.parents):
            if folder.exists():
                if not os.access(folder, os.W_OK | os.X_OK):
                    raise InputError(f"{path}: cannot write there (folder {folder} is not writable)")
                break
        return path.is_dir() and self.is_model()

    def config(self) -> dict:
        """``config.json``, after checking the directory is usable.

        Raises :class:`ModelLoadError` naming the file that is missing or whose
        format or label sets this version of credscore cannot read.
        """
        path = self.path
        if not path.is_dir():
            raise ModelLoadError(f"model directory not found: {path}")
        from credscore.bounded_read import check_regular_file

        for name in self.REQUIRED_FILES:
            check_regular_file(path / name, MAX_WEIGHTS_BYTES, error=ModelLoadError)
        config = read_json(path / self.CONFIG_FILE)
        where = path / self.CONFIG_FILE
        if not isinstance(config, dict) or config.get("format_version") != self.FORMAT_VERSION:
            found = config.get("format_version") if isinstance(config, dict) else None
            raise ModelLoadError(f"{where}: unsupported format_version {found!r}")
        if config.get("labels") != {t: list(l) for t, l in TASKS.items()}:
            raise ModelLoadError(f"{where}: label sets differ from this version of credscore")
        if not isinstance(config.get("network"), dict) or not isinstance(config.get("encoder"), dict):
            raise ModelLoadError(f"{where}: bad network or encoder section")
        for file in self.weight_files(config):  # before anything hashes or maps them
            check_regular_file(file, MAX_WEIGHTS_BYTES, error=ModelLoadError)
        return config

    def encoder_spec(self, config: dict) -> EncoderSpec:
        try:
            spec = EncoderSpec(**config["encoder"])
            spec.entry  # noqa: B018  (validates the name)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{self.path / self.CONFIG_FILE}: bad encoder section ({exc})") from None
        except Exception as exc:  # unknown encoder name
            raise ModelLoadError(f"{self.path / self.CONFIG_FILE}: {exc}") from None
        return spec

    def encoder_weights(self, config: dict) -> str:
        """How the encoder's trained weights are saved: ``"full"``, ``"delta"`` (fine-tuned layers) or ``"adapter"``."""
        if self.encoder_spec(config).entry.saved_weights == "full":
            return "full"
        return "delta" if config["network"].get("finetune", "lora") == "layers" else "adapter"

    def weight_files(self, config: dict) -> list[Path]:
        """The safetensors files that define the network's weights (encoder part first)."""
        encoder = {"full": self.ENCODER_FILE, "delta": self.ENCODER_DELTA_FILE,
                   "adapter": self.ADAPTER_FILE}[self.encoder_weights(config)]
        return [self.path / encoder, self.path / self.HEADS_FILE]

    def _calibration_entry(self, key: str, what: str) -> tuple[Path, dict]:
        """(path of ``calibration.json``, its ``key`` object, ``{}`` when absent); refuses anything but an object."""
        where = self.path / self.CALIBRATION_FILE
        data = read_json(where)
        entry = data.get(key, {}) if isinstance(data, dict) else None
        if not isinstance(entry, dict):
            raise ModelLoadError(f"{where}: '{key}' must be an object of {what} per task")
        return where, entry

    def temperatures(self) -> dict[str, float]:
        """Per-task calibration temperatures (1.0 where absent), each a finite number in :data:`TEMPERATURE_RANGE`."""
        where, temps = self._calibration_entry("temperature", "numbers")
        out = {}
        low, high = TEMPERATURE_RANGE
        for task in TASKS:
            value = temps.get(task, 1.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ModelLoadError(f"{where}: temperature.{task} must be a number between {low:g} and {high:g}, "
                                     f"got {value!r:.40}")
            out[task] = float(value)
        return out

    def offsets(self) -> dict[str, list[float]]:
        """Per-task decision offsets (one finite number per label, within :data:`OFFSET_LIMIT`), for the heads
        that have them; a model saved before offsets existed has none."""
        where, offsets = self._calibration_entry("offset", "lists of numbers")
        out = {}
        for task, labels in TASKS.items():
            if task not in offsets:
                continue
            values = offsets[task]
            if not isinstance(values, list) or len(values) != len(labels) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    and abs(v) <= OFFSET_LIMIT for v in values):
                raise ModelLoadError(f"{where}: offset.{task} must be {len(labels)} numbers between "
                                     f"-{OFFSET_LIMIT:g} and {OFFSET_LIMIT:g}, got {values!r:.60}")
            out[task] = [float(v) for v in values]
        return out

    def write_calibration(self, temperatures: dict[str, float], offsets: dict[str, list[float]] | None = None,
                          directory: Path | None = None) -> None:
        """Write ``calibration.json`` (into ``directory``, default this model's) atomically."""
        from credscore.atomic import atomic_output

        data = {"temperature": temperatures, **({"offset": offsets} if offsets else {})}
        with atomic_output((directory or self.path) / self.CALIBRATION_FILE) as fh:
            fh.write(json.dumps(data, indent=2) + "\n")

    # -- the network, with torch ------------------------------------------------
    def load_network(self) -> LoadedNetwork:
        """The network ready for inference (LoRA merged into the encoder).

        Raises :class:`ModelLoadError` naming the file that is missing or corrupted.
        """
        from credscore.encoders import add_lora, build_base_encoder
        from credscore.network import CredscoreNetwork, NetworkConfig

        path = self.path
        config = self.config()
        spec = self.encoder_spec(config)
        try:
            net_config = NetworkConfig.from_dict(config["network"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{path / self.CONFIG_FILE}: bad network section ({exc})") from None
        heads = read_safetensors(path / self.HEADS_FILE)
        kind = self.encoder_weights(config)
        if kind == "adapter":
            from peft import set_peft_model_state_dict

            adapter = read_safetensors(path / self.ADAPTER_FILE)
            encoder = add_lora(build_base_encoder(spec), net_config, spec)
            result = set_peft_model_state_dict(encoder, adapter)
            if getattr(result, "unexpected_keys", None):
                raise ModelLoadError(f"{path / self.ADAPTER_FILE}: does not fit the base encoder")
            encoder = encoder.merge_and_unload()
        else:
            encoder = self._full_encoder(config, kind)
        network = CredscoreNetwork(encoder, net_config)
        try:
            missing, unexpected = network.load_state_dict(heads, strict=False)
        except RuntimeError:
            raise ModelLoadError(f"{path / self.HEADS_FILE}: does not fit the network config") from None
        missing = [k for k in missing if not k.startswith("encoder.")]
        if missing or unexpected:
            raise ModelLoadError(f"{path / self.HEADS_FILE}: missing or unexpected tensors")
        network.eval()
        return LoadedNetwork(network, config, path)

    def update_config(self, changes: dict, render_card=None) -> dict:
        """Merge ``changes`` into ``config.json``; with ``render_card(config) -> str``, rewrite the model card too.

        Each file is replaced atomically.  Returns the new config.
        """
        from credscore.atomic import atomic_output

        config = dict(read_json(self.path / self.CONFIG_FILE), **changes)
        with atomic_output(self.path / self.CONFIG_FILE) as fh:
            fh.write(json.dumps(config, indent=2) + "\n")
        if render_card is not None:
            with atomic_output(self.path / self.MODEL_CARD_FILE) as fh:
                fh.write(render_card(config))
        return config

    def _full_encoder(self, config: dict, kind: str):
        """The encoder with its saved weights: the whole saved state, or the base plus the saved differences."""
        from credscore.encoders import apply_layer_delta, build_base_encoder

        spec = self.encoder_spec(config)
        encoder = build_base_encoder(spec)
        if kind == "delta":
            from credscore.weight_storage import decode_delta

            file = self.path / self.ENCODER_DELTA_FILE
            try:
                delta = decode_delta(read_safetensors(file))
            except ValueError as exc:
                raise ModelLoadError(f"{file}: {exc}") from None
            if apply_layer_delta(encoder, delta):
                raise ModelLoadError(f"{file}: does not fit the base encoder")
            return encoder
        file = self.path / self.ENCODER_FILE
        try:
            encoder.load_state_dict(read_safetensors(file))
        except RuntimeError:
            raise ModelLoadError(f"{file}: does not fit the encoder config") from None
        return encoder

    def read_full_encoder(self, config: dict) -> dict | None:
        """The whole encoder's tensors when the model saves its weights or their differences, else ``None``."""
        kind = self.encoder_weights(config)
        return None if kind == "adapter" else self._full_encoder(config, kind).state_dict()

    def read_trainable_weights(self) -> tuple[dict | None, dict]:
        """(adapter tensors or ``None``, head tensors): what ``--init-from`` continues from."""
        adapter = self.path / self.ADAPTER_FILE
        return (read_safetensors(adapter) if adapter.exists() else None), read_safetensors(self.path / self.HEADS_FILE)

    @staticmethod
    def _saves_layer_delta(network, spec: EncoderSpec) -> bool:
        """Whether :meth:`save` writes the encoder as differences from its base (fine-tuned layers of a
        packaged base), the case in which rounding to the stored form needs the base's weights."""
        return spec.entry.saved_weights == "adapter" and network.config.finetune == "layers"

    @staticmethod
    def round_to_saved(network, spec: EncoderSpec) -> None:
        """Round ``network`` in place to the values :meth:`save` writes (fp16 heads, int4 layer differences),
        so that what is measured before saving is what loads."""
        from credscore.encoders import build_base_encoder
        from credscore.weight_storage import round_network

        base = build_base_encoder(spec).state_dict() if ModelDirectory._saves_layer_delta(network, spec) else None
        round_network(network, base, network.config.delta_bits)

    def save(self, network, spec: EncoderSpec, temperatures: dict[str, float], meta: dict,
             model_card: str = "", offsets: dict[str, list[float]] | None = None) -> None:
        """Write a complete model directory at :attr:`path` atomically."""
        from safetensors.torch import save_file

        from credscore.weight_storage import head_tensors

        with atomic_directory(self.path) as tmp:
            encoder = network.encoder
            if self._saves_layer_delta(network, spec):
                from credscore.encoders import build_base_encoder, layer_delta
                from credscore.weight_storage import encode_delta

                base = build_base_encoder(spec).state_dict()
                save_file(encode_delta(layer_delta(encoder.state_dict(), base), network.config.delta_bits),
                          str(tmp / self.ENCODER_DELTA_FILE))
            elif spec.entry.saved_weights == "adapter":
                from peft import get_peft_model_state_dict

                state = {k: v.detach().contiguous() for k, v in get_peft_model_state_dict(encoder).items()}
                save_file(state, str(tmp / self.ADAPTER_FILE))
            else:
                merged = encoder.merge_and_unload() if hasattr(encoder, "merge_and_unload") else encoder
                save_file({k: v.detach().contiguous() for k, v in merged.state_dict().items()},
                          str(tmp / self.ENCODER_FILE))
                network.encoder = merged
            save_file(head_tensors(network), str(tmp / self.HEADS_FILE))
            config = dict(meta, format_version=self.FORMAT_VERSION, labels={t: list(l) for t, l in TASKS.items()},
                          network=network.config.to_dict(), encoder=spec.to_dict())
            (tmp / self.CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
            self.write_calibration(temperatures, offsets, directory=tmp)
            if model_card:
                (tmp / self.MODEL_CARD_FILE).write_text(model_card, encoding="utf-8")

