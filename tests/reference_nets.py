"""The lectures' reference networks as plain layer lists, for tests of the counting families.

Written from the lecture tables and torchvision's layouts, independently of
``quizgen/engine/models.py`` and ``quizgen/families/_counting.py``. Spatial sizes are chained
here by counting window positions, not by the output-size formula.
"""
from __future__ import annotations

CONV, POOL, FC = "conv", "pool", "fc"


def _vgg16():
    out, stage, j = [], 1, 0
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"]:
        if v == "M":
            out.append((f"pool{stage}", POOL, 0, 2, 2, 0))
            stage, j = stage + 1, 0
        else:
            j += 1
            out.append((f"conv{stage}_{j}", CONV, v, 3, 1, 1))
    return out + [("fc6", FC, 4096), ("fc7", FC, 4096), ("fc8", FC, 1000)]


#: name → (input channels, input size, layers); conv/pool: (name, kind, c_out, k, s, p)
NETS = {
    "lenet5": (1, 28, [("conv1", CONV, 6, 5, 1, 2), ("pool1", POOL, 0, 2, 2, 0),
                       ("conv2", CONV, 16, 5, 1, 0), ("pool2", POOL, 0, 2, 2, 0),
                       ("fc1", FC, 120), ("fc2", FC, 84), ("fc3", FC, 10)]),
    "alexnet": (3, 227, [("conv1", CONV, 64, 11, 4, 2), ("pool1", POOL, 0, 3, 2, 0),
                         ("conv2", CONV, 192, 5, 1, 2), ("pool2", POOL, 0, 3, 2, 0),
                         ("conv3", CONV, 384, 3, 1, 1), ("conv4", CONV, 256, 3, 1, 1),
                         ("conv5", CONV, 256, 3, 1, 1), ("pool5", POOL, 0, 3, 2, 0),
                         ("fc6", FC, 4096), ("fc7", FC, 4096), ("fc8", FC, 1000)]),
    "vgg16": (3, 224, _vgg16()),
    "googlenet_stem": (3, 224, [("conv1", CONV, 64, 7, 2, 3), ("maxpool1", POOL, 0, 3, 2, 1),
                                ("conv2", CONV, 64, 1, 1, 0), ("conv3", CONV, 192, 3, 1, 1),
                                ("maxpool2", POOL, 0, 3, 2, 1)]),
}


def windows(n: int, k: int, s: int, p: int) -> int:
    """How many k-wide windows at stride s fit in n rows padded with p on each side."""
    count = 0
    while count * s + k <= n + 2 * p:
        count += 1
    return count


def layers() -> dict:
    """``"alexnet.conv1"`` → dict(kind, c_in, h_in, c_out, h_out, k, s, p, n_in)."""
    out = {}
    for net, (c, h, specs) in NETS.items():
        flat = None
        for spec in specs:
            name, kind = spec[:2]
            if kind == FC:
                n_in = flat if flat is not None else c * h * h
                out[f"{net}.{name}"] = dict(kind=kind, c_in=c, h_in=h, c_out=spec[2], h_out=1,
                                            n_in=n_in, k=1, s=1, p=0)
                flat = spec[2]
                continue
            _, _, c_out, k, s, p = spec
            h_out = windows(h, k, s, p)
            c_out = c_out or c
            out[f"{net}.{name}"] = dict(kind=kind, c_in=c, h_in=h, c_out=c_out, h_out=h_out,
                                        n_in=None, k=k, s=s, p=p)
            c, h = c_out, h_out
    return out
