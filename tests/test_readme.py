"""The README's training loop runs as written (one epoch instead of five, offline)."""

import os

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def test_readme_training_loop_runs(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XPNN_DATA", str(tmp_path))
    text = open(README, encoding="utf-8").read()
    code = text.split("## A training loop")[1].split("```python")[1].split("```")[0]
    assert "range(5)" in code
    code = code.replace("range(5)", "range(1)").replace(
        "load_mnist(train=True)", "load_mnist(train=True, download=False)"
    )
    exec(compile(code, "README.md", "exec"), {})
    epoch, loss = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert epoch == "0" and float(loss) < 1.0
