"""A small image classifier written as PyTorch code: a Dataset subclass, random_split, DataLoader, a Module with a
ModuleDict, apply() for initialisation, a forward hook, SGD with momentum and a StepLR schedule."""

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from common_io import digits, same_weights
from torch.utils.data import DataLoader, Dataset, Subset, random_split


class Digits(Dataset):
    def __init__(self, n):
        self.images, self.labels = digits(n)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"image": self.images[i], "label": int(self.labels[i])}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2))
        self.heads = nn.ModuleDict({"hidden": nn.Linear(6 * 4 * 4, 16), "out": nn.Linear(16, 4)})

    def forward(self, x):
        x = self.features(x).flatten(1)
        return F.log_softmax(self.heads["out"](F.relu(self.heads["hidden"](x))), dim=1)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=6)
    args = p.parse_args()
    torch.manual_seed(0)
    device = "cpu"
    full = Digits(96)
    # Random orders differ between torch and xpnn, so the losses compared come from a fixed training subset and an
    # unshuffled loader; random_split and a shuffled loader are only checked to run.
    train_set = Subset(full, range(64))
    _, test_set = random_split(Subset(full, range(64, 96)), [0.5, 0.5])
    loader = DataLoader(train_set, batch_size=16, shuffle=False, num_workers=0, pin_memory=False, drop_last=True)
    model = Net().to(device)
    model.apply(init_weights)
    same_weights(model, torch)
    widths = []
    handle = model.heads["hidden"].register_forward_hook(lambda m, args, out: widths.append(out.shape[1]))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    step = 0
    while step < args.steps:
        model.train()
        for batch in loader:
            x, y = batch["image"].to(device), batch["label"].to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            optimizer.step()
            print(f"loss {loss.item():.8f}")
            step += 1
            if step == args.steps:
                break
        scheduler.step()
    handle.remove()
    model.eval()
    correct = 0
    with torch.no_grad():
        for batch in DataLoader(test_set, batch_size=8, shuffle=True):
            pred = model(batch["image"]).argmax(dim=1)
            correct += int((pred.numpy() == batch["label"].numpy()).sum())
    assert widths and all(w == 16 for w in widths)
    print(f"hooked {len(widths)} forwards, test accuracy {correct}/{len(test_set)}")
    print(model)
    assert np.isfinite(loss.item())


if __name__ == "__main__":
    main()
