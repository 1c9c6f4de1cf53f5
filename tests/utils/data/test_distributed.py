"""DistributedSampler (one process, explicit num_replicas and rank) and DataLoader(sampler=...); the same with
real ranks is in tests/distributed."""

import numpy as np
import pytest

import xpnn
from xpnn import nn
from xpnn.data import DataLoader, DistributedSampler, TensorDataset


def test_distributed_sampler_matches_torch_shares_and_padding():
    torch_data = pytest.importorskip("torch.utils.data")
    for n, drop_last in [(3, False), (3, True), (4, False), (12, False)]:
        for rank in range(n):
            ours = DistributedSampler(range(10), num_replicas=n, rank=rank, shuffle=False, drop_last=drop_last)
            theirs = torch_data.DistributedSampler(
                range(10), num_replicas=n, rank=rank, shuffle=False, drop_last=drop_last
            )
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_shuffle_changes_with_the_epoch_and_the_shares_still_partition_the_data():
    samplers = [DistributedSampler(range(12), num_replicas=3, rank=r, seed=7) for r in range(3)]
    epochs = []
    for epoch in (0, 1):
        for s in samplers:
            s.set_epoch(epoch)
        shares = [list(s) for s in samplers]
        assert sorted(sum(shares, [])) == list(range(12))
        epochs.append(shares)
    assert epochs[0] != epochs[1]


def test_dataloader_batches_the_sampler_order():
    data = TensorDataset(np.arange(10.0))
    sampler = DistributedSampler(data, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(data, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]


def test_without_init_the_errors_say_what_to_do():
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(range(4), shuffle=True, sampler=DistributedSampler(range(4), num_replicas=1, rank=0))
    with pytest.raises(ValueError, match="backend must be one of"):
        xpnn.distributed.init_process_group("gloo")
