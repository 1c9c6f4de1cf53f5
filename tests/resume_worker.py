"""One process of the exact-resume test (tests/test_resume.py): a small MLP with dropout, trained with Adam and
StepLR on shuffled synthetic batches.

    python resume_worker.py BACKEND train STEPS WEIGHTS            train from scratch, save the final weights
    python resume_worker.py BACKEND stop STEPS CHECKPOINT          train, then save everything needed to go on
    python resume_worker.py BACKEND resume STEPS CHECKPOINT WEIGHTS [--forget rng|loader]
                                                                   load it, train STEPS more, save the weights

``--forget`` leaves one part of the state unrestored, to show that the test notices when it is missing.
"""

import argparse

import numpy as np

import xpnn
from xpnn import nn
from xpnn.optim import Adam
from xpnn.optim.lr_scheduler import StepLR
from xpnn.utils.data import DataLoader, TensorDataset


def build():
    """Everything a run is made of, built from the seed as any fresh process builds it."""
    xpnn.manual_seed(0)
    data = np.random.default_rng(1)
    x = data.standard_normal((40, 6)).astype(np.float32)
    y = data.integers(0, 3, size=40)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    optimizer = Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(optimizer, step_size=4, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)  # 5 batches an epoch
    return model, optimizer, scheduler, loader


def train(model, optimizer, scheduler, loader, step, stop):
    loss_fn = nn.CrossEntropyLoss()
    while step < stop:
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if step == stop:
                break
    return step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("backend")
    p.add_argument("mode", choices=["train", "stop", "resume"])
    p.add_argument("steps", type=int)
    p.add_argument("paths", nargs="+")
    p.add_argument("--forget", choices=["rng", "loader"])
    args = p.parse_args()
    if args.backend == "strict":
        from tests.strict_backend import StrictBackend

        xpnn.backend.register_backend(StrictBackend())
    xpnn.set_backend(args.backend)

    model, optimizer, scheduler, loader = build()
    step = 0
    if args.mode == "resume":
        checkpoint = xpnn.load(args.paths[0])
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        if args.forget != "loader":
            loader.load_state_dict(checkpoint["loader"])
        if args.forget != "rng":
            xpnn.set_rng_state(checkpoint["rng"])
        step = checkpoint["step"]
    step = train(model, optimizer, scheduler, loader, step, step + args.steps)

    if args.mode == "stop":
        xpnn.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "loader": loader.state_dict(),
                "rng": xpnn.get_rng_state(),
                "step": step,
            },
            args.paths[0],
        )
    else:
        xpnn.save(model.state_dict(), args.paths[-1])


if __name__ == "__main__":
    main()
