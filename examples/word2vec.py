"""Learn word vectors with skip-gram and negative sampling (word2vec), then look at their neighbours.

    python examples/word2vec.py                       # offline: the docstrings and comments of Python's stdlib
    python examples/word2vec.py --window 2            # two words each side of the centre
    python examples/word2vec.py --corpus-url URL --corpus-md5 MD5   # a plain-text corpus, downloaded and cached
    python examples/word2vec.py --backend cupy        # GPU

Skip-gram: each word (the centre) should predict the words around it (its context). Negative sampling turns
that into binary questions: for a true (centre, context) pair, and for --negatives words drawn from the unigram
distribution raised to 3/4, is this word really at that place next to the centre? The score of a pair is the dot
product of the centre's input vector and the word's output vector (two Embedding tables), trained with
BCEWithLogits. As in Ling et al.'s structured skip-gram (2015), a word has one output vector per position
relative to the centre (right after it, right before it, two after, ...): the word after "the" is a different
question from the word before it, and one shared vector cannot answer both. The learning rate falls linearly to
zero over the run, as in the original word2vec.

The held-out score is that loss on text the model never saw, against the best a model can do from word
frequencies alone (the unigram baseline: each candidate's score depends only on how often it occurs as context;
knowing the position as well does not help it, since every word is as often a right as a left neighbour).
The script prints the nearest neighbours of a few words and saves a 2-D PCA projection of frequent words.
"""

import argparse
import ast
import collections
import os
import re
import sysconfig
import tokenize

import common
import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.nn import functional as F

WORD = re.compile(r"[a-z]+")
PROBES = ("file", "error", "return", "string", "list", "thread")


def stdlib_texts(limit_words):
    """Docstrings and comments of the running Python's standard library, one text per module file, in path order."""
    root = sysconfig.get_paths()["stdlib"]
    texts, words = [], 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "test", "tests", "idlelib", "__pycache__"))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            text = _docs_and_comments(os.path.join(folder, name))
            texts.append(text)
            words += len(WORD.findall(text.lower()))  # counted as the model will see them
            if words >= limit_words:
                return texts
    return texts


def _docs_and_comments(path):
    try:
        with tokenize.open(path) as f:
            source = f.read()
        tree = ast.parse(source)
        comments = [
            t.string[1:]
            for t in tokenize.generate_tokens(iter(source.splitlines(True)).__next__)
            if t.type == tokenize.COMMENT
        ]
    except (SyntaxError, UnicodeDecodeError, tokenize.TokenError, ValueError):
        return ""
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)))]
    docs = [ast.get_docstring(n) or "" for n in nodes]
    return "\n".join(docs + comments)


def downloaded_texts(url, md5, data_dir):
    """A plain-text corpus fetched once (md5-checked, cached), split into paragraphs."""
    path = xpnn.datasets.data_root(data_dir) / "word2vec" / os.path.basename(url)
    xpnn.datasets.download([url], path, md5)
    return path.read_text(encoding="utf-8", errors="replace").split("\n\n")


def build_vocabulary(tokens, size, min_count):
    counts = collections.Counter(tokens)
    words = [w for w, c in counts.most_common(size) if c >= min_count]
    return words, np.array([counts[w] for w in words], dtype=np.float64)


def text_ids(texts, index):
    """Word ids of the texts, out-of-vocabulary words dropped, each text ended by -1 (no pair crosses it)."""
    ids = []
    for text in texts:
        ids.extend(index[w] for w in WORD.findall(text.lower()) if w in index)
        ids.append(-1)
    return np.array(ids, dtype=np.int64)


def skipgram_pairs(ids, window, rng):
    """(centre, context, position) ids: each word with the words at most a random 1..window positions away.

    ``ids`` holds -1 between texts; no pair joins two texts. Each centre draws its own reach, as in the
    original word2vec, so nearer words are paired more often. The position of the context relative to the centre
    is numbered 0 (next word), 1 (previous word), 2 (two words on), 3 (two words back), ...
    """
    text = np.cumsum(ids < 0)  # which text each position belongs to
    reach = rng.integers(1, window + 1, size=len(ids))
    centres, contexts, positions = [], [], []
    for offset in range(1, window + 1):
        left, right = np.arange(len(ids) - offset), np.arange(offset, len(ids))
        same = (text[left] == text[right]) & (ids[left] >= 0) & (ids[right] >= 0)
        for side, (c, o) in enumerate(((left, right), (right, left))):
            keep = same & (reach[c] >= offset)
            centres.append(ids[c[keep]])
            contexts.append(ids[o[keep]])
            positions.append(np.full(keep.sum(), 2 * (offset - 1) + side))
    return np.concatenate(centres), np.concatenate(contexts), np.concatenate(positions)


class SkipGram(nn.Module):
    def __init__(self, vocabulary, dim, positions):
        super().__init__()
        self.vocabulary = vocabulary
        self.centre = nn.Embedding(vocabulary, dim)
        self.context = nn.Embedding(vocabulary * positions, dim)  # row: word + vocabulary * position
        # word2vec's start: small random centre vectors, zero context vectors (Embedding's N(0, 1) is far too big:
        # dot products of 64 such numbers saturate the sigmoid).
        nn.init.uniform_(self.centre.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, centres, candidates, positions):
        """Scores (B, 1 + K): the centre's vector against each candidate's vector for the pair's position (the
        true context first)."""
        rows = candidates + self.vocabulary * positions[:, None]
        return (self.context(xpnn.tensor(rows)) * self.centre(xpnn.tensor(centres)).unsqueeze(1)).sum(dim=-1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="numpy", help="numpy (CPU) or cupy (CUDA)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dim", type=int, default=64, help="size of the word vectors")
    p.add_argument("--window", type=int, default=1, help="largest distance between centre and context")
    p.add_argument("--negatives", type=int, default=5, help="noise words per true pair")
    p.add_argument("--vocabulary", type=int, default=6000, help="most frequent words kept")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--words", type=int, default=1_500_000, help="stop reading the stdlib after this many words")
    p.add_argument("--corpus-url", default=None, help="a plain-text corpus to download instead of the stdlib")
    p.add_argument("--corpus-md5", default=None, help="its md5, required with --corpus-url")
    p.add_argument("--data-dir", default=None, help="download cache (default: $XPNN_DATA or ~/.cache/xpnn)")
    p.add_argument("--plot", default="runs/word2vec_pca.png", help="PCA picture of frequent words ('' for none)")
    args = p.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    if args.corpus_url:
        if not args.corpus_md5:
            p.error("--corpus-url needs --corpus-md5: a download is only used once its checksum is verified")
        texts, source = downloaded_texts(args.corpus_url, args.corpus_md5, args.data_dir), args.corpus_url
    else:
        texts, source = stdlib_texts(args.words), "docstrings and comments of the Python standard library"
    held_out = texts[9::10]  # every tenth text, never trained on
    train_texts = [t for i, t in enumerate(texts) if i % 10 != 9]
    vocabulary, counts = build_vocabulary(
        [w for t in train_texts for w in WORD.findall(t.lower())], args.vocabulary, args.min_count
    )
    index = {w: i for i, w in enumerate(vocabulary)}
    train_ids, held_ids = text_ids(train_texts, index), text_ids(held_out, index)
    noise = counts**0.75 / (counts**0.75).sum()  # word2vec's noise distribution: rare words drawn more than their share
    print(
        f"word2vec on {xpnn.get_backend()}: {source}; {(train_ids >= 0).sum():,} training words, "
        f"{(held_ids >= 0).sum():,} held-out, vocabulary {len(vocabulary):,}"
    )

    held_pairs = skipgram_pairs(held_ids, args.window, np.random.default_rng(12345))
    held_centres, held_contexts, _ = held_pairs
    held_negatives = np.random.default_rng(54321).choice(len(vocabulary), (len(held_centres), args.negatives), p=noise)
    baseline = unigram_baseline_loss(train_ids, args.window, rng, noise, args.negatives, held_contexts, held_negatives)

    model = SkipGram(len(vocabulary), args.dim, positions=2 * args.window)
    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    history = {"loss": [], "held-out loss": []}
    for epoch in range(1, args.epochs + 1):
        centres, contexts, positions = skipgram_pairs(train_ids, args.window, rng)
        order = rng.permutation(len(centres))
        model.train()
        total, seen = 0.0, 0
        bar = tqdm(range(0, len(order), args.batch_size), desc=f"epoch {epoch}/{args.epochs}", leave=False)
        for start in bar:
            done = (epoch - 1 + start / len(order)) / args.epochs  # share of the run behind us
            for group in optimizer.param_groups:
                group["lr"] = args.lr * (1 - done)
            batch = order[start : start + args.batch_size]
            negatives = rng.choice(len(vocabulary), (len(batch), args.negatives), p=noise)
            loss = pair_loss(model, centres[batch], contexts[batch], positions[batch], negatives)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            seen += len(batch)
            bar.set_postfix(loss=f"{total / seen:.4f}")
        held = held_out_loss(model, held_pairs, held_negatives, args.batch_size)
        history["loss"].append(total / seen)
        history["held-out loss"].append(held)
        print(
            f"epoch {epoch}  loss {total / seen:.4f}  held-out loss {held:.4f}  "
            f"(unigram baseline {baseline:.4f}: {1 - held / baseline:.1%} lower)"
        )

    vectors = model.centre.weight.numpy()
    for word in PROBES:
        if word in index:
            print(f"  {word:>8}: " + ", ".join(nearest(vectors, index[word], vocabulary)))
    if args.plot:
        draw_pca(vectors[:150], vocabulary[:150], args.plot)
    return {"baseline": baseline, **history}


def pair_loss(model, centres, contexts, positions, negatives):
    """Negative-sampling loss of a batch: the true context (target 1) and the noise words (target 0), each asked
    at the true context's position."""
    candidates = np.concatenate([contexts[:, None], negatives], axis=1)
    scores = model(centres, candidates, positions)
    targets = np.zeros(candidates.shape, np.float32)
    targets[:, 0] = 1
    per_pair = F.binary_cross_entropy_with_logits(scores, xpnn.tensor(targets), reduction="none").sum(dim=1)
    return per_pair.mean()


def held_out_loss(model, pairs, negatives, batch_size):
    model.eval()
    total = 0.0
    with xpnn.no_grad():
        for start in range(0, len(negatives), batch_size):
            part = slice(start, start + batch_size)
            total += pair_loss(model, *(a[part] for a in pairs), negatives[part]).item() * len(negatives[part])
    return total / len(negatives)


def unigram_baseline_loss(train_ids, window, rng, noise, k, contexts, negatives):
    """The held-out loss of the best model that ignores the centre word.

    If a candidate's score may depend only on the candidate o, the loss is lowest at the log-odds of o being the
    true context rather than a noise draw: log(P_context(o) / (k * P_noise(o))), with P_context from training.
    """
    _, train_contexts, _ = skipgram_pairs(train_ids, window, rng)
    frequency = np.bincount(train_contexts, minlength=len(noise)) / len(train_contexts)
    odds = np.log(np.maximum(frequency, 1e-12) / (k * noise))

    def bce(score, target):  # numerically stable -log sigmoid(+-score)
        return np.logaddexp(0, -score) if target else np.logaddexp(0, score)

    return float(np.mean(bce(odds[contexts], 1) + bce(odds[negatives], 0).sum(axis=1)))


def nearest(vectors, i, vocabulary, n=6):
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
    similarity = unit @ unit[i]
    return [vocabulary[j] for j in np.argsort(-similarity)[1 : n + 1]]


def draw_pca(vectors, words, path):
    """The frequent words' vectors projected on their two principal components, labelled."""
    fig = common.figure(figsize=(9, 8))
    if fig is None:
        return
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ components[:2].T
    axes = fig.subplots()
    axes.scatter(xy[:, 0], xy[:, 1], s=4, color="tab:blue")
    for (x, y), word in zip(xy, words):
        axes.annotate(word, (x, y), fontsize=7)
    axes.set_title(f"word2vec: the {len(words)} most frequent words, PCA of their vectors")
    common.save_figure(fig, path, "the PCA projection")


if __name__ == "__main__":
    main()
