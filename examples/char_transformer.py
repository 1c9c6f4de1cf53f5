"""A small GPT (decoder-only Transformer) trained character by character on real text.

    python examples/char_transformer.py [--steps 2000] [--backend cupy] [--plot] [--resume runs/gpt.ckpt.npz]

Tiny Shakespeare when it can be downloaded (or is cached), else the source code of this Python's standard
library. The model: token + position embeddings, pre-norm causal self-attention blocks (TransformerEncoderLayer
with a causal mask), a final LayerNorm and an output layer that shares the token embedding's weight. AdamW with
linear warmup then cosine decay, gradient clipping; a sample is printed at every evaluation.
"""

import argparse
import math
import os

import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.datasets import load_text_corpus
from xpnn.nn import functional as F


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_embd, n_head, n_layer, dropout):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(
            n_embd, n_head, 4 * n_embd, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(block, n_layer, norm=nn.LayerNorm(n_embd))
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying: one matrix reads and writes characters
        self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(block_size), False)
        for p in self.parameters():  # GPT-2's initialisation: small weights, zero biases, LayerNorm at identity
            if p.ndim >= 2:
                nn.init.trunc_normal_(p, std=0.02, a=-0.04, b=0.04)
            elif p is not None and not _is_norm_weight(self, p):
                nn.init.zeros_(p)

    def forward(self, idx):
        length = idx.shape[1]
        x = self.drop(self.tok_emb(idx) + self.pos_emb.weight[:length])
        x = self.blocks(x, mask=self.causal_mask[:length, :length], is_causal=True)
        return self.head(x)


def _is_norm_weight(model, p):
    return any(isinstance(m, nn.LayerNorm) and m.weight is p for m in model.modules())


def arg_parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="numpy", help="numpy (CPU) or cupy (CUDA)")
    p.add_argument("--steps", type=int, default=2000, help="length of the run (and of its learning-rate schedule)")
    p.add_argument("--stop-at", type=int, default=None, help="stop after this step (checkpointed); --resume goes on")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--block-size", type=int, default=64, help="context length in characters")
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100, help="steps of linear warmup before the cosine decay")
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    p.add_argument("--eval-interval", type=int, default=250, help="evaluate, sample and checkpoint every N steps")
    p.add_argument("--eval-batches", type=int, default=10)
    p.add_argument("--sample-chars", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None, help="dataset cache (default: $XPNN_DATA or ~/.cache/xpnn)")
    p.add_argument("--no-download", action="store_true", help="use a cached corpus, else the standard library")
    p.add_argument("--save", default="runs/gpt.npz", help="where to save the trained model's state_dict")
    p.add_argument("--checkpoint", default=None, metavar="PATH", help="default: next to --save")
    p.add_argument("--resume", default=None, metavar="PATH", help="continue a stopped run from its checkpoint")
    p.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG", help="save the loss curves")
    return p


class CharData:
    """The text as integer codes, split 90/10, with random windows drawn per step (so a resumed run draws the
    same batches as an unbroken one, with no generator state to save)."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        index = {c: i for i, c in enumerate(self.chars)}
        codes = np.array([index[c] for c in text], dtype=np.int64)
        cut = int(0.9 * len(codes))
        self.train, self.val = codes[:cut], codes[cut:]

    def batch(self, split, seed, step, batch_size, block_size):
        codes = self.train if split == "train" else self.val
        starts = np.random.default_rng([seed, step, split == "val"]).integers(0, len(codes) - block_size, batch_size)
        windows = np.stack([codes[s : s + block_size + 1] for s in starts])
        return windows[:, :-1], windows[:, 1:]

    def decode(self, codes):
        return "".join(self.chars[int(c)] for c in codes)


def lr_factor(step, warmup, total):
    """Linear warmup to 1, then cosine decay to 0.1 at the last step."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.45 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def loss_of(model, x, y):
    logits = model(xpnn.tensor(x))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), xpnn.tensor(y).reshape(-1))


def evaluate(model, data, args):
    """Mean validation loss over --eval-batches fixed batches, in eval mode."""
    model.eval()
    with xpnn.no_grad():
        losses = [
            loss_of(model, *data.batch("val", args.seed, i, args.batch_size, args.block_size)).item()
            for i in range(args.eval_batches)
        ]
    model.train()
    return float(np.mean(losses))


def sample(model, data, n_chars, seed, prompt="\n"):
    """Characters drawn one at a time from the model's predicted distribution."""
    rng = np.random.default_rng(seed)
    codes = [data.chars.index(c) for c in prompt if c in data.chars] or [0]
    model.eval()
    with xpnn.no_grad():
        for _ in range(n_chars):
            context = np.array([codes[-model.block_size :]], dtype=np.int64)
            logits = model(xpnn.tensor(context))[0, -1].numpy().astype(np.float64)
            p = np.exp(logits - logits.max())
            codes.append(int(rng.choice(len(p), p=p / p.sum())))
    model.train()
    return data.decode(codes[len(prompt) :])


def parameter_groups(model, weight_decay):
    """Weight decay for weight matrices only, not for biases, LayerNorm or the position table's rows' offsets."""
    params = list(model.parameters())
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]


def checkpoint_path(args):
    return args.checkpoint or os.path.splitext(args.save or "runs/gpt")[0] + ".ckpt.npz"


def main(argv=None):
    args = arg_parser().parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    text, corpus = load_text_corpus(args.data_dir, download=not args.no_download)
    data = CharData(text)
    print(f"{corpus}: {len(text):,} characters, {len(data.chars)} distinct")
    model = GPT(len(data.chars), args.block_size, args.n_embd, args.n_head, args.n_layer, args.dropout)
    print(f"GPT: {sum(p.numel() for p in model.parameters()):,} parameters")
    optimizer = xpnn.optim.AdamW(parameter_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95))
    scheduler = xpnn.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, args.warmup, args.steps))
    start, history = 0, {"train loss": [], "val loss": []}
    if args.resume:
        state = xpnn.load(args.resume)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        xpnn.set_rng_state(state["rng"])
        start, history = state["step"], state["history"]
        print(f"resumed from {args.resume} at step {start}")

    model.train()
    recent = []
    stop = min(args.steps, args.stop_at or args.steps)
    bar = tqdm(range(start, stop), initial=start, total=args.steps, desc="train", leave=False)
    for step in bar:
        loss = loss_of(model, *data.batch("train", args.seed, step, args.batch_size, args.block_size))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        recent.append(loss.item())
        bar.set_postfix(loss=f"{recent[-1]:.3f}")
        if (step + 1) % args.eval_interval == 0 or step + 1 in (args.steps, stop):
            val = evaluate(model, data, args)
            history["train loss"].append(float(np.mean(recent)))
            history["val loss"].append(val)
            recent = []
            tqdm.write(f"step {step + 1}: train loss {history['train loss'][-1]:.4f}, val loss {val:.4f}")
            tqdm.write(sample(model, data, args.sample_chars, seed=step) + "\n---")
            save_checkpoint(args, step + 1, history, model, optimizer, scheduler)
    if args.save:
        os.makedirs(os.path.dirname(args.save) or ".", exist_ok=True)
        xpnn.save(model.state_dict(), args.save)
    if args.plot is not None:
        plot(history, args)
    return history


def save_checkpoint(args, step, history, model, optimizer, scheduler):
    path = checkpoint_path(args)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    xpnn.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": xpnn.get_rng_state(),
            "step": step,
            "history": history,
        },
        path,
    )


def plot(history, args):
    path = args.plot or os.path.splitext(args.save or "gpt")[0] + ".png"
    try:
        from xpnn.utils.plot import plot_training_curves
    except ImportError as e:
        print(f"--plot needs matplotlib ({e}); install it with `pip install xpnn[plot]`")
        return
    plot_training_curves(history, path, title=f"char GPT, loss every {args.eval_interval} steps")
    print(f"saved loss curves to {path}")


if __name__ == "__main__":
    main()
