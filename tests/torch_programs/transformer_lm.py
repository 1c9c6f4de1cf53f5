"""A causal Transformer language model written as PyTorch code, as word_language_model's --model Transformer:
token embeddings scaled by sqrt(d) plus a sinusoidal position buffer, a TransformerEncoder with a square
subsequent mask, a log-softmax head, NLLLoss, gradient clipping and hand-written SGD through p.data; the whole
model is then saved and loaded back (torch.save(model) under serialization.safe_globals) and evaluated under
inference_mode."""

import io
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from common_io import same_weights

NTOKEN, D_MODEL, NHEAD, D_FF, NLAYERS, BPTT, BATCH = 24, 16, 2, 32, 2, 6, 3


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x):
        return x + self.pe[: x.size(0), :]


class TransformerLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(NTOKEN, D_MODEL)
        self.pos = PositionalEncoding(D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, D_FF, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, NLAYERS, enable_nested_tensor=False)
        self.head = nn.Linear(D_MODEL, NTOKEN)
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        nn.init.zeros_(self.head.bias)
        self.src_mask = None

    def forward(self, src):
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            self.src_mask = nn.Transformer.generate_square_subsequent_mask(len(src)).to(src.device)
        h = self.encoder(self.pos(self.embed(src) * math.sqrt(D_MODEL)), mask=self.src_mask)
        return F.log_softmax(self.head(h), dim=-1)


def main():
    torch.manual_seed(0)
    tokens = np.random.default_rng(5).integers(0, NTOKEN, (BPTT * 4 + 1, BATCH))
    data = torch.tensor(tokens).contiguous()
    model = TransformerLM()
    same_weights(model, torch)
    criterion = nn.NLLLoss()
    lr = 0.5
    model.train()
    for i in range(0, BPTT * 4, BPTT):
        x, y = data[i : i + BPTT], data[i + 1 : i + 1 + BPTT].view(-1)
        model.zero_grad()
        loss = criterion(model(x).view(-1, NTOKEN), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        print(f"loss {loss.item():.8f}")

    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    allowed = [
        TransformerLM,
        PositionalEncoding,
        F.relu,
        torch.nn.modules.activation.MultiheadAttention,
        torch.nn.modules.container.ModuleList,
        torch.nn.modules.dropout.Dropout,
        torch.nn.modules.linear.Linear,
        torch.nn.modules.linear.NonDynamicallyQuantizableLinear,
        torch.nn.modules.normalization.LayerNorm,
        torch.nn.modules.sparse.Embedding,
        torch.nn.modules.transformer.TransformerEncoder,
        torch.nn.modules.transformer.TransformerEncoderLayer,
    ]
    with torch.serialization.safe_globals(allowed):
        loaded = torch.load(buffer, weights_only=True)
    loaded.eval()
    with torch.inference_mode():
        evaluation = criterion(loaded(data[:BPTT]).view(-1, NTOKEN), data[1 : BPTT + 1].view(-1))
    print(f"loss {evaluation.item():.8f}")
    assert not evaluation.requires_grad and torch.is_grad_enabled()


if __name__ == "__main__":
    main()
