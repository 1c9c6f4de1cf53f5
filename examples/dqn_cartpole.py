"""Balance a pole with DQN: a Q-network, an experience replay buffer and a target network, on gymnasium's CartPole.

    pip install xpnn[rl]                            # gymnasium
    python examples/dqn_cartpole.py                 # CPU (numpy), stops once solved; returns plot to runs/
    python examples/dqn_cartpole.py --seed 1        # another run
    python examples/dqn_cartpole.py --backend cupy  # GPU (for a network this small the CPU is as fast)

The network maps the cart's 4 numbers (position, velocity, pole angle, angular velocity) to the value of pushing
left and of pushing right. Actions are epsilon-greedy, epsilon decaying exponentially from --eps-start to
--eps-end. Every step the agent stores its transition in a replay buffer and learns from a random minibatch of
old ones (which breaks the correlation between consecutive steps), towards targets r + gamma * Q_target(s', a')
computed by a copy of the network that trails it slowly (each step it moves --tau of the way), so that the
targets do not chase themselves; as in Double DQN, the online network chooses a' and the copy values it.

CartPole-v1 counts as solved when the average return over 100 consecutive episodes reaches 195 (an episode ends
at 500 steps at most). The script stops there and reports the episode.
"""

import argparse
import copy
import os

import common
import numpy as np
from tqdm import tqdm

import xpnn
from xpnn import nn

SOLVED = 195.0  # the classic bar: mean return over 100 consecutive episodes


class ReplayBuffer:
    """The last ``capacity`` transitions in preallocated host arrays, overwritten oldest first."""

    def __init__(self, capacity, state_size):
        self.states = np.zeros((capacity, state_size), np.float32)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.next_states = np.zeros((capacity, state_size), np.float32)
        self.done = np.zeros(capacity, np.float32)  # 1 where the episode ended in failure: no future value
        self.size = self.next = 0

    def add(self, state, action, reward, next_state, done):
        i = self.next
        self.states[i], self.actions[i], self.rewards[i], self.next_states[i], self.done[i] = (
            state,
            action,
            reward,
            next_state,
            done,
        )
        self.next = (i + 1) % len(self.states)
        self.size = min(self.size + 1, len(self.states))

    def sample(self, batch_size, rng):
        i = rng.integers(0, self.size, batch_size)
        return self.states[i], self.actions[i], self.rewards[i], self.next_states[i], self.done[i]


def make_q_network(state_size, actions, width):
    return nn.Sequential(
        nn.Linear(state_size, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, actions)
    )


def learn(q, target, optimizer, batch, gamma, loss_fn):
    """One gradient step of Q(s, a) towards r + gamma * target(s', a*) on a replayed minibatch.

    Double DQN (van Hasselt et al., 2016): the online network picks a* = argmax_a' Q(s', a') and the target
    network values it, which curbs the overestimation of taking the max of the target's own noisy values.
    """
    states, actions, rewards, next_states, done = batch
    one_hot = np.eye(q[-1].out_features, dtype=np.float32)
    with xpnn.no_grad():
        next_states = xpnn.tensor(next_states)
        best = xpnn.tensor(one_hot[q(next_states).argmax(dim=1).numpy()])
        best_next = (target(next_states) * best).sum(dim=1)
        goal = xpnn.tensor(rewards) + xpnn.tensor(gamma * (1 - done)) * best_next
    chosen = xpnn.tensor(one_hot[actions])  # picks Q(s, a) out of the row of action values
    predicted = (q(xpnn.tensor(states)) * chosen).sum(dim=1)
    loss = loss_fn(predicted, goal)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def soft_update(target, q, tau):
    """target <- tau * q + (1 - tau) * target, weight by weight: the target trails the online network smoothly."""
    with xpnn.no_grad():
        online = q.state_dict()
        target.load_state_dict({k: online[k] * tau + v * (1 - tau) for k, v in target.state_dict().items()})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="numpy", help="numpy (CPU) or cupy (CUDA)")
    p.add_argument("--episodes", type=int, default=600, help="give up after this many episodes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--buffer", type=int, default=10_000, help="replay buffer capacity (transitions)")
    p.add_argument("--warmup", type=int, default=128, help="random steps before learning starts")
    p.add_argument("--eps-start", type=float, default=0.9)
    p.add_argument("--eps-end", type=float, default=0.05)
    p.add_argument("--eps-steps", type=int, default=1_000, help="epsilon's decay time (steps) towards --eps-end")
    p.add_argument(
        "--tau", type=float, default=0.005, help="how far the target network moves to the online one per step"
    )
    p.add_argument("--plot", default="runs/dqn_cartpole.png", help="PNG of the episode returns ('' for none)")
    args = p.parse_args(argv)
    import gymnasium  # an optional extra: pip install xpnn[rl]

    xpnn.set_backend(args.backend)
    xpnn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    env = gymnasium.make("CartPole-v1")
    state_size, actions = env.observation_space.shape[0], env.action_space.n
    q = make_q_network(state_size, actions, args.width)
    target = copy.deepcopy(q)
    optimizer = xpnn.optim.Adam(q.parameters(), lr=args.lr)
    loss_fn = nn.SmoothL1Loss()  # Huber: a large TD error early on does not blow up the step
    buffer = ReplayBuffer(args.buffer, state_size)
    print(f"DQN on CartPole-v1 ({xpnn.get_backend()}), seed {args.seed}")

    returns, steps, solved_at = [], 0, None
    bar = tqdm(range(1, args.episodes + 1), unit="episode")
    for episode in bar:
        state, _ = env.reset(seed=args.seed * 100_000 + episode)
        total, finished = 0.0, False
        while not finished:
            epsilon = args.eps_end + (args.eps_start - args.eps_end) * np.exp(-steps / args.eps_steps)
            if steps < args.warmup or rng.random() < epsilon:
                action = int(rng.integers(actions))
            else:
                with xpnn.no_grad():
                    action = int(q(xpnn.tensor(state[None].astype(np.float32))).argmax(dim=1).item())
            next_state, reward, failed, truncated, _ = env.step(action)
            # Falling over ends the future; running out of time (500 steps) does not, so it still bootstraps.
            buffer.add(state, action, reward, next_state, float(failed))
            state, total, steps, finished = next_state, total + reward, steps + 1, failed or truncated
            if steps >= args.warmup:
                learn(q, target, optimizer, buffer.sample(args.batch_size, rng), args.gamma, loss_fn)
                soft_update(target, q, args.tau)
        returns.append(total)
        average = float(np.mean(returns[-100:]))
        bar.set_postfix(ret=f"{total:.0f}", avg100=f"{average:.1f}", eps=f"{epsilon:.2f}")
        if len(returns) >= 100 and average >= SOLVED:
            solved_at = episode
            break
    env.close()
    last = float(np.mean(returns[-100:]))
    if solved_at:
        print(f"solved at episode {solved_at}: mean return {last:.1f} over episodes {solved_at - 99}-{solved_at}")
    else:
        print(f"not solved in {args.episodes} episodes: best mean over 100 episodes {best_average(returns):.1f}")
    if args.plot:
        draw(returns, solved_at, args.plot, args.seed)
    return {"returns": returns, "solved_at": solved_at}


def best_average(returns):
    return (
        max(float(np.mean(returns[i - 100 : i])) for i in range(100, len(returns) + 1)) if len(returns) >= 100 else 0.0
    )


def draw(returns, solved_at, path, seed):
    fig = common.figure(figsize=(7, 3.8))
    if fig is None:
        return
    axes = fig.subplots()
    episodes = np.arange(1, len(returns) + 1)
    axes.plot(episodes, returns, color="tab:blue", alpha=0.4, label="return")
    running = [np.mean(returns[max(0, i - 100) : i]) for i in episodes]
    axes.plot(episodes, running, color="tab:blue", label="mean of the last 100")
    axes.axhline(SOLVED, color="tab:green", linestyle="--", label=f"solved ({SOLVED:.0f})")
    axes.set_xlabel("episode")
    axes.set_ylabel("return")
    solved = f"solved at episode {solved_at}" if solved_at else "not solved"
    axes.set_title(f"DQN on CartPole-v1, seed {seed}: {solved}")
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    common.save_figure(fig, path, "the episode returns")


if __name__ == "__main__":
    main()
