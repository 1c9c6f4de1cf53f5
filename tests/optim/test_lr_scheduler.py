import math

import pytest

import xpnn
from xpnn.optim import SGD, Adagrad, Adam
from xpnn.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")

STEPS = 40


def _optimizers(name, options_b):
    """The same two-group optimizer in xpnn and in torch (no gradients: only the options matter here)."""
    options = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.1}}[name]
    ours = getattr(xpnn.optim, name)(
        [{"params": [xpnn.nn.Parameter(xpnn.zeros(2))]}, {"params": [xpnn.nn.Parameter(xpnn.zeros(2))], **options_b}],
        **options,
    )
    theirs = getattr(torch.optim, name)(
        [
            {"params": [torch.zeros(2, requires_grad=True)]},
            {"params": [torch.zeros(2, requires_grad=True)], **options_b},
        ],
        **options,
    )
    return ours, theirs


def _hyperparameters(optimizer):
    return [(g["lr"], g.get("momentum"), tuple(g["betas"]) if "betas" in g else None) for g in optimizer.param_groups]


def _assert_same(ours, theirs, step):
    for (lr, momentum, betas), (t_lr, t_momentum, t_betas) in zip(ours, theirs, strict=True):
        assert lr == pytest.approx(t_lr, rel=1e-12, abs=1e-15), f"lr at step {step}"
        _assert_close_or_both_none(momentum, t_momentum, f"momentum at step {step}")
        _assert_close_or_both_none(betas, t_betas, f"betas at step {step}")


def _assert_close_or_both_none(ours, theirs, what):
    # Adam has no momentum and SGD no betas; pytest >= 9.2 refuses approx(None) with a relative tolerance.
    if theirs is None:
        assert ours is None, what
    else:
        assert ours == pytest.approx(theirs, rel=1e-12), what


def assert_schedule_matches_torch(make, optimizer="SGD", options_b=None, steps=STEPS, metrics=None):
    """lr (and momentum / betas) of both groups after construction and after every step equal torch's."""
    ours, theirs = _optimizers(optimizer, options_b or {"lr": 0.02})
    our_sched, their_sched = make(sched, ours), make(torch.optim.lr_scheduler, theirs)
    for step in range(steps + 1):
        _assert_same(_hyperparameters(ours), _hyperparameters(theirs), step)
        assert our_sched.get_last_lr() == pytest.approx(their_sched.get_last_lr(), rel=1e-12, abs=1e-15)
        if step == steps:
            break
        ours.step()
        theirs.step()
        if metrics is None:
            our_sched.step()
            their_sched.step()
        else:
            our_sched.step(metrics[step % len(metrics)])
            their_sched.step(metrics[step % len(metrics)])


SCHEDULES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 0.95**epoch),
    "LambdaLR_per_group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** (e // 3)]),
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR_no_floor": lambda m, o: m.CosineAnnealingLR(o, T_max=13),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12),
    "LinearLR_decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=30),
    "OneCycleLR_cos": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=STEPS + 1),
    "OneCycleLR_linear": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, epochs=4, steps_per_epoch=11, anneal_strategy="linear", pct_start=0.25
    ),
    "OneCycleLR_three_phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS + 5, three_phase=True, base_momentum=[0.8, 0.7], max_momentum=0.95
    ),
    "OneCycleLR_no_momentum": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0
    ),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.4, total_iters=6),
    "ConstantLR_default": lambda m, o: m.ConstantLR(o),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=25, power=2.0),
    "PolynomialLR_linear": lambda m, o: m.PolynomialLR(o, total_iters=8),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=6, eta_min=0.001),
    "CosineAnnealingWarmRestarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "SequentialLR_warmup_cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)], milestones=[5]
    ),
    "SequentialLR_three": lambda m, o: m.SequentialLR(
        o,
        [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9), m.StepLR(o, 4, gamma=0.5)],
        milestones=[6, 15],
    ),
    "SequentialLR_multistep_polynomial": lambda m, o: m.SequentialLR(
        o, [m.MultiStepLR(o, [2, 4], gamma=0.5), m.PolynomialLR(o, total_iters=30)], milestones=[10]
    ),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=4), m.ExponentialLR(o, gamma=0.95)]
    ),
    "ChainedScheduler_with_optimizer": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.2, total_iters=6), m.CosineAnnealingWarmRestarts(o, T_0=10)], optimizer=o
    ),
    "CyclicLR_triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=5),
    "CyclicLR_triangular2": lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=3, mode="triangular2", base_momentum=0.7
    ),
    "CyclicLR_exp_range": lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=6, mode="exp_range", gamma=0.97
    ),
    "CyclicLR_scale_fn": lambda m, o: m.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=5,
        scale_fn=lambda x: 1 / (1 + x),
        scale_mode="iterations",
        cycle_momentum=False,
    ),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_torch(name):
    assert_schedule_matches_torch(SCHEDULES[name])


@pytest.mark.parametrize(
    "name", ["OneCycleLR_cos", "OneCycleLR_three_phase", "CyclicLR_triangular2", "CosineAnnealingLR", "StepLR"]
)
def test_schedule_with_adam_matches_torch(name):
    # Momentum cycling moves Adam's beta1 instead of a momentum option.
    assert_schedule_matches_torch(SCHEDULES[name], optimizer="Adam", options_b={"lr": 0.02, "betas": (0.8, 0.99)})


# A metric that improves, plateaus with noise, improves a little, then gets worse.
METRICS = [1.0, 0.8, 0.7, 0.69995, 0.7, 0.71, 0.7, 0.7, 0.69, 0.72, 0.73, 0.6, 0.6, 0.61, 0.65, 0.7, 0.8]

PLATEAU = {
    "min_rel": {"patience": 2},
    "min_abs_cooldown": {"threshold_mode": "abs", "threshold": 0.005, "patience": 1, "cooldown": 2, "factor": 0.5},
    "max_rel": {"mode": "max", "patience": 1, "factor": 0.7},
    "max_abs_min_lr": {"mode": "max", "threshold_mode": "abs", "patience": 0, "min_lr": [0.05, 0.001], "factor": 0.5},
    "eps": {"patience": 0, "factor": 0.5, "min_lr": 0.019, "eps": 1e-3},
}


@pytest.mark.parametrize("name", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(name):
    assert_schedule_matches_torch(lambda m, o: m.ReduceLROnPlateau(o, **PLATEAU[name]), metrics=METRICS)


def test_reduce_lr_on_plateau_accepts_a_tensor_metric():
    optimizer = SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=0.1)
    scheduler = sched.ReduceLROnPlateau(optimizer, patience=0)
    scheduler.step(xpnn.tensor(1.0))
    scheduler.step(xpnn.tensor(2.0))
    assert scheduler.get_last_lr() == pytest.approx([0.01])


def test_initial_lr_and_last_epoch_are_set_as_torch():
    optimizer = SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=0.1)
    scheduler = sched.StepLR(optimizer, step_size=2)
    assert optimizer.param_groups[0]["initial_lr"] == 0.1 and scheduler.base_lrs == [0.1]
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == [0.1]
    scheduler.step()
    scheduler.step()
    assert scheduler.last_epoch == 2 and scheduler.get_last_lr() == pytest.approx([0.01])


RESUMABLE = [
    "StepLR",
    "CosineAnnealingLR",
    "LinearLR",
    "OneCycleLR_three_phase",
    "CyclicLR_triangular2",
    "LambdaLR_per_group",
    "MultiStepLR",
    "ConstantLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts_mult",
    "SequentialLR_three",
    "ChainedScheduler_with_optimizer",
]


def test_warm_restarts_with_fractional_epochs_match_torch():
    ours, theirs = _optimizers("SGD", {"lr": 0.02})
    our_sched = sched.CosineAnnealingWarmRestarts(ours, T_0=4, T_mult=2, eta_min=0.01)
    their_sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=4, T_mult=2, eta_min=0.01)
    for epoch in (0.5, 1.25, 3.9, 4.0, 7.5, 12.0, 13.3, 2.0):
        our_sched.step(epoch)
        their_sched.step(epoch)
        _assert_same(_hyperparameters(ours), _hyperparameters(theirs), epoch)


def test_composite_schedulers_reject_bad_arguments():
    optimizer = SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=0.1)
    other = SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="one milestone fewer than schedulers"):
        sched.SequentialLR(optimizer, [sched.ConstantLR(optimizer), sched.ExponentialLR(optimizer, 0.9)], [2, 3])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.ChainedScheduler([sched.ConstantLR(optimizer), sched.ExponentialLR(other, 0.9)])
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        sched.ChainedScheduler([sched.ReduceLROnPlateau(optimizer)])
    with pytest.raises(ValueError, match="factor must be in"):
        sched.ConstantLR(optimizer, factor=1.5)
    with pytest.raises(ValueError, match="positive integer T_0"):
        sched.CosineAnnealingWarmRestarts(optimizer, T_0=0)


@pytest.mark.parametrize("name", RESUMABLE)
def test_state_dict_round_trip_resumes_the_schedule(name):
    make = SCHEDULES[name]

    def fresh():
        optimizer = SGD(
            [
                {"params": [xpnn.nn.Parameter(xpnn.zeros(2))]},
                {"params": [xpnn.nn.Parameter(xpnn.zeros(2))], "lr": 0.02},
            ],
            lr=0.1,
            momentum=0.9,
        )
        return optimizer, make(sched, optimizer)

    optimizer, scheduler = fresh()
    for _ in range(10):
        scheduler.step()
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    resumed_optimizer, resumed = fresh()
    resumed_optimizer.load_state_dict(saved_optimizer)  # after making the scheduler, as torch's docs say
    resumed.load_state_dict(saved_scheduler)
    for _ in range(20):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
        assert _hyperparameters(resumed_optimizer) == _hyperparameters(optimizer)


def test_reduce_lr_on_plateau_state_dict_round_trip():
    def fresh():
        optimizer = SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=0.1)
        return optimizer, sched.ReduceLROnPlateau(optimizer, patience=1, cooldown=1)

    optimizer, scheduler = fresh()
    for metric in METRICS[:6]:
        scheduler.step(metric)
    resumed_optimizer, resumed = fresh()
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed.load_state_dict(scheduler.state_dict())
    for metric in METRICS[6:]:
        scheduler.step(metric)
        resumed.step(metric)
        assert resumed.get_last_lr() == scheduler.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    optimizer = SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=1.0)
    saved = sched.LambdaLR(optimizer, Decay(0.5)).state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}]
    resumed = sched.LambdaLR(SGD([xpnn.nn.Parameter(xpnn.zeros(2))], lr=1.0), Decay(0.9))
    resumed.load_state_dict(saved)
    assert resumed.lr_lambdas[0].rate == 0.5


def _sgd(lr=0.1, groups=1):
    return SGD([{"params": [xpnn.nn.Parameter(xpnn.zeros(2))]} for _ in range(groups)], lr=lr)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: sched.StepLR("not an optimizer", step_size=2), TypeError, "StepLR: expected an Optimizer, got str"),
        (lambda: sched.StepLR(_sgd(), step_size=0), ValueError, "step_size must be a positive integer"),
        (lambda: sched.StepLR(_sgd(), step_size=2, last_epoch=5), KeyError, "no 'initial_lr'"),
        (
            lambda: sched.LambdaLR(_sgd(groups=2), [lambda e: 1.0]),
            ValueError,
            "lr_lambda has 1 values, but the optimizer has 2 parameter groups",
        ),
        (lambda: sched.LambdaLR(_sgd(), 0.5), TypeError, "lr_lambda should be a function"),
        (lambda: sched.CosineAnnealingLR(_sgd(), T_max=0), ValueError, "T_max must be > 0"),
        (lambda: sched.LinearLR(_sgd(), start_factor=0.0), ValueError, "start_factor must be in"),
        (lambda: sched.LinearLR(_sgd(), end_factor=1.5), ValueError, "end_factor must be in"),
        (lambda: sched.OneCycleLR(_sgd(), max_lr=0.1), ValueError, "either total_steps or both epochs"),
        (lambda: sched.OneCycleLR(_sgd(), max_lr=0.1, total_steps=0), ValueError, "positive integer total_steps"),
        (lambda: sched.OneCycleLR(_sgd(), max_lr=0.1, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
        (
            lambda: sched.OneCycleLR(_sgd(), max_lr=0.1, total_steps=10, anneal_strategy="step"),
            ValueError,
            "anneal_strategy must be 'cos' or 'linear'",
        ),
        (
            lambda: sched.OneCycleLR(Adagrad([xpnn.nn.Parameter(xpnn.zeros(2))]), max_lr=0.1, total_steps=10),
            ValueError,
            "cycle_momentum=True needs an optimizer with momentum or betas",
        ),
        (lambda: sched.CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, mode="square"), ValueError, "mode must be"),
        (lambda: sched.CyclicLR(_sgd(groups=2), base_lr=[0.01], max_lr=0.1), ValueError, "base_lr has 1 values"),
        (lambda: sched.ReduceLROnPlateau(_sgd(), factor=1.0), ValueError, "factor must be < 1.0"),
        (lambda: sched.ReduceLROnPlateau(_sgd(), mode="up"), ValueError, "mode must be 'min' or 'max'"),
        (lambda: sched.ReduceLROnPlateau(_sgd(), threshold_mode="pct"), ValueError, "threshold_mode must be"),
        (lambda: sched.ReduceLROnPlateau(_sgd(groups=2), min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
    ],
)
def test_bad_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_one_cycle_past_its_total_steps_raises():
    scheduler = sched.OneCycleLR(_sgd(), max_lr=0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="tried to step 4 times; the schedule has total_steps=3"):
        scheduler.step()


def test_cosine_annealing_reaches_eta_min_at_t_max():
    optimizer = _sgd(lr=0.1)
    scheduler = sched.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01)
    for _ in range(8):
        scheduler.step()
    assert math.isclose(optimizer.param_groups[0]["lr"], 0.01, rel_tol=1e-12)


def test_schedulers_set_python_floats_so_float32_updates_stay_float32(backend):
    p = xpnn.nn.Parameter(xpnn.zeros(3))
    optimizer = Adam([p], lr=0.1)
    scheduler = sched.OneCycleLR(optimizer, max_lr=0.1, total_steps=5)
    for _ in range(4):
        p.grad = xpnn.tensor([1.0, 2.0, 3.0])
        optimizer.step()
        scheduler.step()
    assert isinstance(optimizer.param_groups[0]["lr"], float) and p.dtype == "float32"
