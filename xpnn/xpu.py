"""``xpnn.xpu``: torch.xpu's availability question for Intel GPUs. xpnn has no Intel-GPU backend, so the answer is
always no, as on a torch build without XPU; programs that ask before choosing a device then run on the CPU."""


def is_available():
    return False


def device_count():
    return 0
