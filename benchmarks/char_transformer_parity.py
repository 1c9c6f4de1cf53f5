"""The character GPT of examples/char_transformer.py against the identical model in PyTorch.

    python -m benchmarks.char_transformer_parity [--steps 300] [--n-layer 2] [--n-embd 64] ... [--json PATH]

Both start from the same weights (xpnn's initialisation copied into torch through the state_dict), see the same
batches in the same order and use the same AdamW groups, warmup + cosine schedule and gradient clipping.
Dropout is 0 in both, since the two frameworks' dropout masks come from different generators. Prints both
validation losses at every evaluation, their relative gap, and a sample from each model.
"""

import importlib.util
import os
import sys

import numpy as np

import xpnn
from benchmarks.harness import RESULTS, add_json_argument, write_json
from xpnn.datasets import load_text_corpus

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "char_transformer.py")


def load_example():
    spec = importlib.util.spec_from_file_location("char_transformer", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_twin(torch, vocab_size, args):
    """The example's GPT, written with torch.nn."""

    class TorchGPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block_size = args.block_size
            self.tok_emb = torch.nn.Embedding(vocab_size, args.n_embd)
            self.pos_emb = torch.nn.Embedding(args.block_size, args.n_embd)
            self.drop = torch.nn.Dropout(0.0)
            block = torch.nn.TransformerEncoderLayer(
                args.n_embd, args.n_head, 4 * args.n_embd, 0.0, activation="gelu", batch_first=True, norm_first=True
            )
            self.blocks = torch.nn.TransformerEncoder(
                block, args.n_layer, norm=torch.nn.LayerNorm(args.n_embd), enable_nested_tensor=False
            )
            self.head = torch.nn.Linear(args.n_embd, vocab_size, bias=False)
            self.head.weight = self.tok_emb.weight
            mask = torch.nn.Transformer.generate_square_subsequent_mask(args.block_size)
            self.register_buffer("causal_mask", mask, persistent=False)

        def forward(self, idx):
            length = idx.shape[1]
            x = self.drop(self.tok_emb(idx) + self.pos_emb.weight[:length])
            x = self.blocks(x, mask=self.causal_mask[:length, :length], is_causal=True)
            return self.head(x)

    return TorchGPT()


def main(argv=None):
    example = load_example()
    parser = example.arg_parser()
    parser.set_defaults(steps=300, n_layer=2, n_embd=64, n_head=4, block_size=32, batch_size=16, dropout=0.0)
    parser.set_defaults(eval_interval=100, warmup=30, lr=2e-3, sample_chars=150)
    add_json_argument(parser)
    args = parser.parse_args(argv)
    if args.dropout != 0.0:
        sys.exit("parity needs --dropout 0: the two frameworks draw different dropout masks")
    import torch

    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    text, corpus = load_text_corpus(args.data_dir, download=not args.no_download)
    data = example.CharData(text)
    ours = example.GPT(len(data.chars), args.block_size, args.n_embd, args.n_head, args.n_layer, 0.0)
    theirs = torch_twin(torch, len(data.chars), args)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    opt_ours = xpnn.optim.AdamW(example.parameter_groups(ours, args.weight_decay), lr=args.lr, betas=(0.9, 0.95))
    opt_theirs = torch.optim.AdamW(example.parameter_groups(theirs, args.weight_decay), lr=args.lr, betas=(0.9, 0.95))
    factor = lambda s: example.lr_factor(s, args.warmup, args.steps)  # noqa: E731
    sched_ours = xpnn.optim.lr_scheduler.LambdaLR(opt_ours, factor)
    sched_theirs = torch.optim.lr_scheduler.LambdaLR(opt_theirs, factor)

    def torch_val_loss():
        theirs.eval()
        with torch.no_grad():
            losses = []
            for i in range(args.eval_batches):
                x, y = data.batch("val", args.seed, i, args.batch_size, args.block_size)
                logits = theirs(torch.from_numpy(x))
                losses.append(torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(y).flatten()))
        theirs.train()
        return float(np.mean([loss.item() for loss in losses]))

    print(
        f"{corpus}: {len(text):,} characters; GPT {args.n_layer} layers, d {args.n_embd}, {args.n_head} heads, "
        f"context {args.block_size}, batch {args.batch_size}, {args.steps} steps"
    )
    print(f"{'step':>6}  {'xpnn val':>9}  {'torch val':>9}  {'gap':>7}")
    evaluations = []
    for step in range(args.steps):
        x, y = data.batch("train", args.seed, step, args.batch_size, args.block_size)
        loss = example.loss_of(ours, x, y)
        opt_ours.zero_grad()
        loss.backward()
        xpnn.nn.utils.clip_grad_norm_(ours.parameters(), args.clip)
        opt_ours.step()
        sched_ours.step()
        logits = theirs(torch.from_numpy(x))
        loss_t = torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(y).flatten())
        opt_theirs.zero_grad()
        loss_t.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), args.clip)
        opt_theirs.step()
        sched_theirs.step()
        if (step + 1) % args.eval_interval == 0 or step + 1 == args.steps:
            val_ours, val_theirs = example.evaluate(ours, data, args), torch_val_loss()
            gap = (val_ours - val_theirs) / val_theirs
            evaluations.append({"step": step + 1, "xpnn": val_ours, "torch": val_theirs, "gap": gap})
            print(f"{step + 1:>6}  {val_ours:>9.4f}  {val_theirs:>9.4f}  {gap:>+7.2%}", flush=True)
    print(f"\nfinal validation loss: xpnn {val_ours:.4f}, torch {val_theirs:.4f} ({gap:+.2%}; bar: within 2%)")
    print("\nxpnn sample:\n" + example.sample(ours, data, args.sample_chars, seed=0))
    if args.json:
        RESULTS.append({"title": f"validation loss, {corpus}", "evaluations": evaluations})
        write_json(args.json, args)
    return val_ours, val_theirs


if __name__ == "__main__":
    main()
