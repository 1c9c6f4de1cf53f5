"""DQN plays a few CartPole episodes on numpy and the strict stand-in, learning from replayed transitions."""

import numpy as np
import pytest


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_a_few_episodes_learn_and_plot(load_example, tmp_path, capsys, backend):
    pytest.importorskip("gymnasium")
    module = load_example("dqn_cartpole")
    plot = tmp_path / "returns.png"
    args = ["--episodes", "4", "--warmup", "30", "--batch-size", "16", "--tau", "0.1", "--eps-steps", "60"]
    result = module.main([*args, "--backend", backend, "--plot", str(plot)])
    assert len(result["returns"]) == 4 and all(r >= 1 for r in result["returns"]) and result["solved_at"] is None
    assert "not solved in 4 episodes" in capsys.readouterr().out and plot.stat().st_size > 0


def test_the_replay_buffer_overwrites_the_oldest(load_example):
    module = load_example("dqn_cartpole")
    buffer = module.ReplayBuffer(3, 2)
    for i in range(5):
        buffer.add(np.full(2, i), i % 2, 1.0, np.full(2, i + 1), 0.0)
    assert buffer.size == 3 and sorted(buffer.states[:, 0].tolist()) == [2, 3, 4]
    states, actions, rewards, next_states, done = buffer.sample(10, np.random.default_rng(0))
    assert states.shape == (10, 2) and set(states[:, 0]) <= {2, 3, 4}
    np.testing.assert_array_equal(next_states[:, 0], states[:, 0] + 1)
