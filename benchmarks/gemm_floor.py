"""How much of torch's ResNet-18 time the engine's matrix products alone already take.

    python benchmarks/gemm_floor.py [--threads 2] [--repeats 30]

For every conv and linear layer of ResNet-18 (batch 1, 3×224×224, float32) the im2col product
``weight (C_out, C_in·K_h·K_w) @ cols (C_in·K_h·K_w, H_out·W_out)`` is timed alone with random
operands already in memory — no im2col copy, no batch norm, ReLU, pooling or Python — as one
product or in 1 MiB column chunks, whichever is faster. The sum is a floor for any
im2col + BLAS engine on this machine. torch's whole forward pass is timed in a separate process
(its OpenMP threads would otherwise spin while OpenBLAS runs). Both print the minimum over
``--repeats`` runs. Each framework runs the CPU kernels it picks for this machine (variables
pinning them, such as ``OPENBLAS_CORETYPE``, are dropped, as in ``bench_engine.py``).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _best(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def gemm_floor(repeats: int) -> tuple[float, int]:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from quizgen.engine import models
    from quizgen.engine.summary import summary

    rng = np.random.default_rng(0)
    total, macs = 0.0, 0
    for row in summary(models.resnet18(dtype=np.float32), (1, 3, 224, 224)).rows:
        if row.type not in ("Conv2d", "Linear"):
            continue
        c_out = row.output_shape[1]
        depth = row.weight_params // c_out
        cols = row.output_shape[2] * row.output_shape[3] if row.type == "Conv2d" else 1
        a = rng.standard_normal((c_out, depth)).astype(np.float32)
        chunk = min(cols, max(128, (1 << 20) // (depth * 4)))
        b = rng.standard_normal((depth, chunk)).astype(np.float32)
        out = np.empty((c_out, chunk), np.float32)
        chunked = _best(lambda: np.matmul(a, b, out=out), repeats) * -(-cols // chunk)
        whole_b = rng.standard_normal((depth, cols)).astype(np.float32)
        whole = _best(lambda: a @ whole_b, repeats)
        total += min(chunked, whole)
        macs += c_out * depth * cols
    return total, macs


def torch_forward(repeats: int, threads: int) -> float:
    import torch

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_engine import torch_model

    torch.set_num_threads(threads)
    model = torch_model("resnet18").float().eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        return _best(lambda: model(x), repeats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--worker", choices=["gemm", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "gemm":
        total, macs = gemm_floor(args.repeats)
        print(f"{total * 1e3:.2f} {macs}")
        return
    if args.worker == "torch":
        print(f"{torch_forward(args.repeats, args.threads) * 1e3:.2f}")
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_engine import _ISA_PINS

    env = {k: v for k, v in os.environ.items() if k not in _ISA_PINS}   # as bench_engine.py
    env.update(OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))

    def worker(kind: str) -> list[str]:
        cmd = [sys.executable, __file__, "--worker", kind, "--repeats", str(args.repeats),
               "--threads", str(args.threads)]
        return subprocess.run(cmd, env=env, check=True, capture_output=True,
                              text=True).stdout.split()

    gemm_ms, macs = worker("gemm")
    torch_ms = worker("torch")[0]
    ratio = float(gemm_ms) / float(torch_ms)
    print(f"threads: {args.threads}; minimum of {args.repeats} runs each")
    print(f"ResNet-18 products alone (OpenBLAS, {int(macs):,} MACs): {float(gemm_ms):.2f} ms")
    print(f"torch ResNet-18 forward pass:                   {float(torch_ms):.2f} ms")
    print(f"products alone / torch forward: {ratio:.2f}; the 1.15x target leaves "
          f"{1.15 * float(torch_ms) - float(gemm_ms):.1f} ms for everything else")


if __name__ == "__main__":
    main()
