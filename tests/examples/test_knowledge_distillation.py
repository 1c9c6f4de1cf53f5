"""Distillation runs end to end on numpy and the strict stand-in; its loss is Hinton et al.'s, checked by hand."""

import numpy as np
import pytest

import xpnn


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_teacher_and_both_students_train(load_example, few_images, tmp_path, capsys, backend):
    module = load_example("knowledge_distillation")
    few_images(256, 200)
    args = ["--no-download", "--backend", backend, "--teacher-epochs", "2", "--epochs", "2", "--seeds", "0", "1"]
    result = module.main([*args, "--batch-size", "32", "--lr", "3e-3", "--save", str(tmp_path / "teacher.npz")])
    assert len(result["alone"]) == len(result["distilled"]) == 2
    assert result["teacher"] > 0.3 and min(result["distilled"]) > 0.2  # chance is 0.1
    assert "mean held-out accuracy over 2 seeds" in capsys.readouterr().out
    again = module.main([*args, "--teacher", str(tmp_path / "teacher.npz"), "--save", ""])
    assert again["teacher"] == result["teacher"]


def test_the_loss_matches_torch(load_example):
    torch = pytest.importorskip("torch")
    module = load_example("knowledge_distillation")
    rng = np.random.default_rng(0)
    student, teacher = rng.standard_normal((2, 5, 10)).astype(np.float32)
    labels = np.array([1, 0, 9, 3, 3])
    ours = module.distillation_loss(xpnn.tensor(student), xpnn.tensor(teacher), xpnn.tensor(labels), 4.0, 0.7)
    s, t = torch.tensor(student), torch.tensor(teacher)
    soft = torch.nn.functional.kl_div(
        torch.log_softmax(s / 4, 1), torch.log_softmax(t / 4, 1), reduction="batchmean", log_target=True
    )
    expected = 0.7 * 16 * soft + 0.3 * torch.nn.functional.cross_entropy(s, torch.tensor(labels))
    np.testing.assert_allclose(ours.item(), expected.item(), rtol=1e-5)
