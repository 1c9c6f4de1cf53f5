"""Polynomial regression written as PyTorch code: features built with torch.cat, a float64 Linear model fitted
with LBFGS and a strong-Wolfe line search through a closure."""

import numpy as np
import torch
import torch.nn.functional as F
from common_io import same_weights

rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, 64)
y = 0.5 - 2 * x + 3 * x**3 + rng.normal(0, 0.05, 64)


def features(t):
    t = t.unsqueeze(1)
    return torch.cat([t**i for i in range(1, 5)], 1)


def main():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1).double()
    same_weights(model, torch)
    inputs, targets = features(torch.tensor(x)), torch.tensor(y).view(-1, 1)
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=10, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.mse_loss(model(inputs), targets)
        loss.backward()
        return loss

    for _ in range(4):
        loss = optimizer.step(closure)
        print(f"loss {loss.item():.10f}")
    assert closure().item() < 0.01


if __name__ == "__main__":
    main()
