"""Tell odd from even MNIST digits: one logit per image, BCEWithLogitsLoss, and a ROC curve.

    python examples/binary_classification.py                  # CPU (numpy), 8 epochs, ROC curve to runs/
    python examples/binary_classification.py --backend cupy   # GPU

A binary problem is a classifier with one output, the logit of "odd": the loss is BCEWithLogitsLoss (sigmoid and
binary cross-entropy in one numerically stable step) and the decision is logit > 0. Accuracy hides how the
errors split between the two classes, so the script also prints precision, recall, F1 and the area under the ROC
curve (from scikit-learn: `pip install xpnn[examples]`) and draws the curve. Uses full MNIST when it is cached or
can be downloaded, otherwise the offline sample (8,000 training / 2,000 held-out images).
"""

import time

import common
import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.datasets.mnist import ImageDataset
from xpnn.utils.data import DataLoader


def odd_or_even(dataset):
    """The same images, labelled 1 for an odd digit and 0 for an even one."""
    return ImageDataset(dataset.data, dataset.targets % 2)


def make_model():
    # Two conv-BN-ReLU-pool stages and one output: the logit of "odd".
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 14 x 14
        nn.Conv2d(16, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
    )


def predict_scores(model, loader):
    """(logits of "odd", true 0/1 labels) over ``loader``, as numpy arrays."""
    model.eval()
    scores, labels = [], []
    with xpnn.no_grad():
        for x, y in loader:
            scores.append(model(x).reshape(-1).numpy())
            labels.append(y.numpy())
    return np.concatenate(scores), np.concatenate(labels)


def report(scores, labels, roc_path):
    """Accuracy, and with scikit-learn precision/recall/F1/ROC AUC and the ROC curve's picture."""
    accuracy = float(((scores > 0) == labels).mean())
    try:
        from sklearn import metrics
    except ImportError:
        print("precision, recall, F1 and the ROC curve need scikit-learn: pip install xpnn[examples]")
        return {"accuracy": accuracy}
    predicted = (scores > 0).astype(int)
    result = {
        "accuracy": accuracy,
        "precision": metrics.precision_score(labels, predicted),
        "recall": metrics.recall_score(labels, predicted),
        "f1": metrics.f1_score(labels, predicted),
        "roc_auc": metrics.roc_auc_score(labels, scores),
    }
    fig = common.figure(figsize=(4.5, 4.2)) if roc_path else None
    if fig is not None:
        false_pos, true_pos, _ = metrics.roc_curve(labels, scores)
        axes = fig.subplots()
        axes.plot(false_pos, true_pos, label=f"CNN (AUC {result['roc_auc']:.4f})")
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
        axes.set_xlabel("false positive rate (even called odd)")
        axes.set_ylabel("true positive rate (odd called odd)")
        axes.set_title("odd vs even MNIST digits: ROC")
        axes.legend(loc="lower right")
        axes.grid(alpha=0.3)
        common.save_figure(fig, roc_path, "the ROC curve")
    return result


def main(argv=None):
    parser = common.mnist_arg_parser(__doc__.splitlines()[0], epochs=8, save="runs/binary_classification.npz")
    parser.add_argument("--roc", default="runs/binary_classification_roc.png", help="ROC curve PNG ('' for none)")
    args = parser.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    train_set, test_set = odd_or_even(train_set), odd_or_even(test_set)
    model = make_model()
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=1000)
    print(f"odd vs even on {xpnn.get_backend()}: {len(train_set):,} training images, {len(test_set):,} {eval_name}")

    optimizer = xpnn.optim.Adam(model.parameters(), lr=args.lr)
    # Decaying the step size to zero settles the last epochs, whose held-out accuracy otherwise jumps by a point.
    scheduler = xpnn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.BCEWithLogitsLoss()
    first_epoch, history = common.resume_or_start(args, model, optimizer, train_loader, scheduler)

    for epoch in range(first_epoch, args.epochs + 1):
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        model.train()
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False, unit="batch")
        for x, y in bar:
            logits = model(x).reshape(-1)
            loss = loss_fn(logits, y.float())  # the target is the probability of "odd": 0.0 or 1.0
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            seen += len(y)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        scheduler.step()
        scores, labels = predict_scores(model, test_loader)
        accuracy = float(((scores > 0) == labels).mean())
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(accuracy)
        print(
            f"epoch {epoch:2d}  loss {total_loss / seen:.4f}  {eval_name} accuracy {accuracy:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
        common.save_checkpoint(args, epoch, history, model, optimizer, train_loader, scheduler)

    result = report(*predict_scores(model, test_loader), args.roc)
    print(f"final {eval_name}: " + "  ".join(f"{name} {value:.4f}" for name, value in result.items()))
    common.save_model(model, args.save)
    if args.plot is not None:
        common.plot_history(history, args, "odd vs even MNIST")
    return history, result


if __name__ == "__main__":
    main()
