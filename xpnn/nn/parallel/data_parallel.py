"""torch.nn.parallel.DataParallel and data_parallel, on the one device xpnn runs a module on per process.

torch's versions copy the module to each listed GPU and split the batch between the copies; with one device (or
none) they just call the module, which is what these do. Several devices are refused, pointing at
DistributedDataParallel (one process per GPU), which xpnn has. One difference: torch's data_parallel raises
"device type could not be determined" where no GPU is present; this one calls the module there too."""

from ..module import Module


def _check_one_device(device_ids, name):
    if device_ids is not None and len(list(device_ids)) > 1:
        raise NotImplementedError(
            f"{name}: xpnn runs a module on one device per process, got device_ids={list(device_ids)}; use "
            f"xpnn.nn.parallel.DistributedDataParallel with one process per GPU"
        )


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """``module(*inputs, **module_kwargs)`` (``inputs`` a tensor or a tuple of them), as torch on one device."""
    _check_one_device(device_ids, "data_parallel")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*inputs, **(module_kwargs or {}))


class DataParallel(Module):
    """Wraps ``module`` (state_dict keys ``module.*``, as torch) and calls it on the batch."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        _check_one_device(device_ids, "DataParallel")
        self.module, self.dim = module, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
