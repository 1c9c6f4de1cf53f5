"""Knowledge distillation: a small student learns from a LeNet teacher's softened outputs, not just the labels.

    python examples/knowledge_distillation.py                      # teacher, then 3 seeds of both students
    python examples/knowledge_distillation.py --temperature 2      # sharper teacher outputs
    python examples/knowledge_distillation.py --backend cupy       # GPU

A one-hot label says only which digit an image is; a trained teacher's probabilities also say which other digits
it resembles (this 7 looks a little like a 1, hardly like a 0). Raised to a temperature T, softmax(logits / T)
brings those small probabilities out. The distilled student minimises

    alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * cross_entropy(student, label)

(Hinton, Vinyals and Dean, 2015; the T^2 keeps the soft term's gradients the size of the hard one's). The script
trains the LeNet teacher once, then for each seed two students from the same initial weights, one on the labels
alone and one distilled, and compares their mean held-out accuracy. The students are 784-32-10 MLPs, 60x smaller
than the teacher; the offline sample's 8,000 training images are few enough for the teacher's hints to matter.
"""

import time

import common
import mnist_cnn  # the MNIST CNN example, next to this script: its LeNet-5 is the teacher
import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn
from xpnn.nn import functional as F
from xpnn.utils.data import DataLoader, Dataset


def make_student():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))


class WithTeacherLogits(Dataset):
    """Each item of ``dataset`` with the teacher's logits for it appended: (image, label, logits)."""

    def __init__(self, dataset, logits):
        self.dataset, self.logits = dataset, logits

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return (*self.dataset[index], self.logits[index])

    def __getitems__(self, indices):
        images, labels = self.dataset.__getitems__(indices)
        return images, labels, self.logits[np.asarray(indices)]


def distillation_loss(student_logits, teacher_logits, labels, temperature, alpha):
    """Hinton et al.'s loss: the soft KL term (scaled by T^2) mixed with cross-entropy on the hard labels.

    KL(p || q) = sum p (log p - log q) is written with log_softmax on both sides, which stays finite where a
    softmax probability would underflow to zero. Both terms are mixed per image and averaged last.
    """
    log_p = F.log_softmax(teacher_logits / temperature, dim=1)
    log_q = F.log_softmax(student_logits / temperature, dim=1)
    soft = (log_p.exp() * (log_p - log_q)).sum(dim=1)
    hard = F.cross_entropy(student_logits, labels, reduction="none")
    return (soft * (alpha * temperature**2) + hard * (1 - alpha)).mean()


def train(model, loader, epochs, lr, loss_of, desc):
    """Adam for ``epochs`` over ``loader``; ``loss_of(model, batch)`` gives the loss of one batch."""
    optimizer = xpnn.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(1, epochs + 1):
        model.train()
        for batch in tqdm(loader, desc=f"{desc} epoch {epoch}/{epochs}", leave=False, unit="batch"):
            loss = loss_of(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def logits_of(model, dataset):
    """The model's logits for every item of ``dataset``, in order, as a float32 host array."""
    model.eval()
    with xpnn.no_grad():
        return np.concatenate([model(x).numpy() for x, _ in DataLoader(dataset, batch_size=1000)])


def main(argv=None):
    parser = common.mnist_arg_parser(__doc__.splitlines()[0], epochs=30, save="runs/knowledge_distillation.npz")
    parser.add_argument("--teacher-epochs", type=int, default=15)
    parser.add_argument("--teacher", default=None, metavar="PATH", help="load a trained teacher (a --save file)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the student pairs")
    parser.add_argument("--temperature", type=float, default=8.0)
    parser.add_argument("--alpha", type=float, default=0.9, help="weight of the soft (teacher) term")
    args = parser.parse_args(argv)
    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    train_set, test_set, eval_name = common.mnist_splits(args)
    test_loader = DataLoader(test_set, batch_size=1000)
    print(f"distillation on {xpnn.get_backend()}: {len(train_set):,} training images, {len(test_set):,} {eval_name}")

    start = time.perf_counter()
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    if args.teacher:
        teacher = mnist_cnn.make_lenet()
        teacher.load_state_dict(xpnn.load(args.teacher))
    else:
        teacher = train(mnist_cnn.make_lenet(), loader, args.teacher_epochs, args.lr, hard_loss, "teacher")
    teacher_accuracy = common.evaluate(teacher, test_loader)
    print(f"teacher (LeNet-5): {eval_name} accuracy {teacher_accuracy:.2%}  ({time.perf_counter() - start:.1f} s)")
    with_teacher = WithTeacherLogits(train_set, logits_of(teacher, train_set))

    def soft_loss(model, batch):
        x, y, teacher_logits = batch
        return distillation_loss(model(x), teacher_logits, y, args.temperature, args.alpha)

    results = {"alone": [], "distilled": []}
    for seed in args.seeds:
        xpnn.manual_seed(seed)
        initial = make_student().state_dict()
        for kind, dataset, loss_of in (("alone", train_set, hard_loss), ("distilled", with_teacher, soft_loss)):
            student = make_student()
            student.load_state_dict(initial)  # the same starting point: only the targets differ
            loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, seed=seed)
            train(student, loader, args.epochs, args.lr, loss_of, f"seed {seed} {kind}")
            results[kind].append(common.evaluate(student, test_loader))
        print(f"seed {seed}: student alone {results['alone'][-1]:.2%}, distilled {results['distilled'][-1]:.2%}")

    alone, distilled = np.mean(results["alone"]), np.mean(results["distilled"])
    print(
        f"mean {eval_name} accuracy over {len(args.seeds)} seeds: student alone {alone:.2%}, "
        f"distilled {distilled:.2%} ({(distilled - alone) * 100:+.2f} points); teacher {teacher_accuracy:.2%}"
    )
    common.save_model(teacher, args.save)
    return {"teacher": teacher_accuracy, **results}


def hard_loss(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y)


if __name__ == "__main__":
    main()
