"""Pixel shuffle and unshuffle, as torch.nn.functional: a reshape and a transpose each (their backward is the
reverse reshape and transpose, which the shape ops already give)."""


def _check(name, input, what):
    if input.ndim < 3:
        raise ValueError(f"{name}: expected an input (*, C, H, W) with at least 3 dimensions, got shape {input.shape}")
    if not isinstance(what[1], int) or what[1] < 1:
        raise ValueError(f"{name}: {what[0]} must be a positive int, got {what[1]!r}")


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block of pixels."""
    _check("pixel_shuffle", input, ("upscale_factor", upscale_factor))
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(
            f"pixel_shuffle: the {c} channels of input shape {input.shape} do not divide by upscale_factor^2 = {r * r}"
        )
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    _check("pixel_unshuffle", input, ("downscale_factor", downscale_factor))
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(
            f"pixel_unshuffle: height and width of input shape {input.shape} must divide by downscale_factor {r}"
        )
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)
