"""A variational autoencoder written as PyTorch code: encoder/decoder Linear layers, the reparameterisation with
noise from numpy, a binary cross-entropy plus KL loss, and Adam."""

import numpy as np
import torch
import torch.nn.functional as F
from common_io import digits, same_weights
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = (0.5 * logvar).exp()
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 64))
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    kld = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum()
    return bce + kld


def main():
    torch.manual_seed(1)
    images, _ = digits(64, seed=1)
    images = 1 / (1 + np.exp(-images))  # into (0, 1), as the targets of a binary cross-entropy
    noise = np.random.default_rng(2).standard_normal((4, 16, 4)).astype(np.float32)
    loader = DataLoader(TensorDataset(torch.tensor(images)), batch_size=16)
    model = VAE()
    same_weights(model, torch)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for batch_idx, (data,) in enumerate(loader):
        optimizer.zero_grad()
        recon, mu, logvar = model(data, torch.tensor(noise[batch_idx]))
        loss = loss_function(recon, data, mu, logvar)
        loss.backward()
        optimizer.step()
        print(f"loss {loss.item() / len(data):.8f}")


if __name__ == "__main__":
    main()
