"""``xpnn.backends``: torch.backends' switches and questions. ``cudnn`` drives the cupy backend's use of cuDNN;
``mps`` answers that xpnn has no Apple-GPU backend, so programs that ask before choosing a device run on."""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
