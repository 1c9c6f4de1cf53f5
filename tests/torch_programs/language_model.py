"""A word-level language model written as PyTorch code: Embedding -> LSTM -> Linear with tied weights, truncated
backpropagation through time with detached hidden states, gradient clipping, a full backward hook and SGD."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from common_io import same_weights

NTOKEN, NINP, NLAYERS, BPTT, BATCH = 20, 16, 2, 5, 4


class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.0)
        self.encoder = nn.Embedding(NTOKEN, NINP)
        self.rnn = nn.LSTM(NINP, NINP, NLAYERS, dropout=0.0)
        self.decoder = nn.Linear(NINP, NTOKEN, device="cpu", dtype=None)
        self.decoder.weight = self.encoder.weight  # tied: the shared parameter keeps its place
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, NTOKEN)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        return (torch.zeros(NLAYERS, bsz, NINP), torch.zeros(NLAYERS, bsz, NINP))


def repackage_hidden(h):
    if isinstance(h, tuple):
        return tuple(repackage_hidden(v) for v in h)
    return h.detach()


def main():
    torch.manual_seed(0)
    tokens = np.random.default_rng(3).integers(0, NTOKEN, (BPTT * 4 + 1, BATCH))
    data = torch.tensor(tokens)
    model = RNNModel()
    same_weights(model, torch)
    assert [n for n, _ in model.named_parameters()][:1] == ["encoder.weight"]
    grad_norms = []
    model.decoder.register_full_backward_hook(lambda m, gi, go: grad_norms.append(float(go[0].abs().sum().item())))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(BATCH)
    model.train()
    for i in range(0, BPTT * 4, BPTT):
        x, y = data[i : i + BPTT], data[i + 1 : i + 1 + BPTT].reshape(-1)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(x, hidden)
        loss = criterion(output, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        print(f"loss {loss.item():.8f}")
    assert len(grad_norms) == 4 and all(g > 0 for g in grad_norms)


if __name__ == "__main__":
    main()
