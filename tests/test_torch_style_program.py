"""A short program written the PyTorch way (device selection, factories, .data init, in-place updates, dtypes),
run on xpnn through `import xpnn as torch`, and compared with torch itself where it is installed."""

import numpy as np
import pytest

import xpnn


def program(torch, nn, weights):
    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(device)
    for p, w in zip(model.parameters(), weights):
        p.data.copy_(torch.from_numpy(w))
    model[0].bias.data.fill_(0.01)
    x = torch.linspace(-1, 1, 20, device=device).reshape(5, 4).float()
    target = torch.arange(5, device=device) % 3
    losses = []
    for _ in range(3):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, target.long())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
        losses.append(f"{loss:.5f}")
    probs = torch.softmax(logits, dim=1)
    top = probs.topk(2, dim=1)
    summary = torch.stack([probs.sum(dim=1), probs.max(dim=1).values, top.values[:, 1]]).t()
    return losses, summary.detach().cpu().numpy(), top.indices.cpu().numpy(), str(x.dtype).split(".")[-1]


def _weights():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) * 0.5 for s in [(8, 4), (8,), (3, 8), (3,)]]


def test_program_runs_on_xpnn_and_matches_torch():
    losses, summary, indices, dtype = program(xpnn, xpnn.nn, _weights())
    assert dtype == "float32" and len(losses) == 3 and float(losses[-1]) < float(losses[0])
    torch = pytest.importorskip("torch")
    t_losses, t_summary, t_indices, t_dtype = program(torch, torch.nn, _weights())
    assert losses == t_losses and dtype == t_dtype
    np.testing.assert_allclose(summary, t_summary, atol=1e-5)
    np.testing.assert_array_equal(indices, t_indices)
