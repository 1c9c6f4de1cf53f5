"""torch.nn.modules.container: the containers under torch's module path (xpnn keeps them in xpnn/nn/container.py),
for programs that name them there."""

from ..container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]
