"""The differentiable ops behind Tensor's methods, one Function class each."""
