import pytest
import torch

from credscore.network import CONTEXT_MODES, CredscoreNetwork, DocumentContext, NetworkConfig
from credscore.encoders import EncoderSpec
from credscore.network import build_network
from tests.conftest import TINY_BERT


@pytest.mark.parametrize("mode", CONTEXT_MODES)
def test_context_output_shapes(mode):
    ctx = DocumentContext(8, NetworkConfig(context=mode, context_hidden=4))
    out = ctx(torch.randn(7, 8), [3, 1, 3])
    assert out.shape == (7, ctx.out_dim)


def test_neighbours_use_missing_vector_at_document_edges():
    ctx = DocumentContext(2, NetworkConfig(context="neighbours"))
    emb = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    out = ctx(emb, [2, 1])
    assert torch.equal(out[0, 2:4], ctx.missing.detach())  # no previous sentence
    assert torch.equal(out[1, 2:4], emb[0])  # previous within the document
    assert torch.equal(out[1, 4:6], ctx.missing.detach())  # document 0 ends here
    assert torch.equal(out[2, 2:4], ctx.missing.detach())  # document 1 starts here


def test_bigru_context_does_not_leak_across_documents():
    torch.manual_seed(0)
    ctx = DocumentContext(4, NetworkConfig(context="bigru", context_hidden=3)).eval()
    a, b = torch.randn(3, 4), torch.randn(2, 4)
    joint = ctx(torch.cat([a, b]), [3, 2])
    alone = ctx(b, [2])
    assert torch.allclose(joint[3:], alone, atol=1e-6)


def test_unknown_context_mode_rejected():
    with pytest.raises(ValueError):
        NetworkConfig(context="paragraph")


def test_network_forward_and_lora_freezes_base():
    cfg = NetworkConfig(finetune="lora", lora_r=2, lora_alpha=4, head_hidden=8, context_hidden=4, lora_layers=None)
    net = build_network(cfg, EncoderSpec(kind="random", bert_config=TINY_BERT))
    ids = torch.randint(1000, 2000, (4, 6))
    out = net(ids, torch.ones_like(ids), [2, 2])
    assert out["attribution"].shape == (4, 5) and out["hedging"].shape == (4, 3)
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert any("lora_" in n for n in trainable)
    assert not any(n.startswith("encoder.") and "lora_" not in n for n in trainable)
