from .. import functional as F
from ..functional.upsample import MODES
from ..module import Module


class Upsample(Module):
    """Resize (N, C, H, W) inputs to ``size`` or by ``scale_factor``; modes 'nearest' and 'bilinear'."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"Upsample: mode {mode!r} is not supported; xpnn implements modes {MODES}")
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        if isinstance(scale_factor, (tuple, list)):  # floats, as torch stores them
            scale_factor = tuple(float(f) for f in scale_factor)
        elif scale_factor is not None:
            scale_factor = float(scale_factor)
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self.name}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
        return F.interpolate(
            x, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor
        )

    @property
    def name(self):
        return f"Upsample({self._what()})"

    def _what(self):
        return f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"

    def extra_repr(self):
        return f"{self._what()}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear resizing with align_corners=True, as torch's (deprecated there in favour of interpolate)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
