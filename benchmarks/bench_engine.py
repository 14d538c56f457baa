"""Speed and peak memory of the NumPy engine against torch CPU, measured in the same run.

    python benchmarks/bench_engine.py [--threads 2] [--repeats 20] [--only resnet18,lenet5,...]
                                      [--isa native|avx2]

Rows: ResNet-18 (batch 1, 3×224×224, float32), LeNet-5 (batch 64, 1×28×28, padding 2, float32)
and single ops (3×3 conv 64→64 at 56×56, 3×3/2 conv 64→128, 7×7/2 stem conv, 1×1 conv 256→64,
3×3/2 max pool at 112×112). The models come from ``quizgen.engine.models``; the torch twins are
built here by hand with torchvision's module names, load the same weights, and must agree with the
engine (checked before timing, float32 and float64).

Method:

* every (framework, row) runs in its own fresh subprocess, which imports only its framework (the
  NumPy worker never imports torch); BLAS/OpenMP threads are fixed through OPENBLAS_NUM_THREADS /
  OMP_NUM_THREADS / MKL_NUM_THREADS and ``torch.set_num_threads`` to the same count, and the counts
  in force are read back and printed;
* CPU kernels (``--isa``): by default each framework runs the kernels it picks for this CPU;
  variables that pin them lower (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``,
  ``ATEN_CPU_CAPABILITY``, ``DNNL_MAX_CPU_ISA``, ``ONEDNN_MAX_CPU_ISA``) are dropped from the
  workers' environment and named in the output. ``--isa avx2`` pins both to AVX2 kernels instead. The kernels in force
  are read back (OpenBLAS's core name, torch's CPU capability) and printed;
* time: ``--rounds`` rounds, each a fresh engine process then a fresh torch process, each timing
  ``--repeats`` forward passes after ``--warmup`` passes (torch under ``inference_mode``); the
  table gives the median over all timed passes and the ratio of the fastest passes (the machine
  may be shared: the load average is printed);
* peak memory, in a second pair of subprocesses: after the warm-up passes the resident set size
  is the baseline (model, weights and input built, libraries warmed up); the kernel's peak-RSS
  mark (VmHWM) is reset through ``/proc/self/clear_refs`` and one forward pass is run;
  peak = VmHWM − baseline, median of 3; the im2col scratch buffer the engine keeps between calls
  (allocated during warm-up, so outside that figure) is reported beside it and counted in the
  second memory ratio. These processes run with
  ``MALLOC_MMAP_THRESHOLD_=MALLOC_TRIM_THRESHOLD_=65536`` so glibc returns freed buffers to the OS
  and memory freed by an earlier pass cannot hide this pass's allocations (that setting slows
  allocation down, so it is not used in the timing processes).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"resnet18": ((1, 3, 224, 224), 1.15), "lenet5": ((64, 1, 28, 28), 1.3)}
OPS = {
    # name: (input shape, weight shape or pool kernel, keyword arguments)
    "conv3x3 64→64 @56": ((1, 64, 56, 56), (64, 64, 3, 3), dict(stride=1, padding=1)),
    "conv3x3/2 64→128 @56": ((1, 64, 56, 56), (128, 64, 3, 3), dict(stride=2, padding=1)),
    "conv7x7/2 3→64 @224": ((1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
    "conv1x1 256→64 @56": ((1, 256, 56, 56), (64, 256, 1, 1), dict(stride=1, padding=0)),
    "maxpool3x3/2 64ch @112": ((1, 64, 112, 112), 3, dict(stride=2, padding=1)),
}


# --------------------------------------------------------------------------- torch twins

def torch_model(name: str):
    import torch.nn as nn

    if name == "lenet5":
        class LeNet5(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
                self.relu = nn.ReLU()
                self.max_pool_1 = nn.MaxPool2d(2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.max_pool_2 = nn.MaxPool2d(2)
                self.fc1 = nn.Linear(400, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x):
                x = self.max_pool_1(self.relu(self.conv1(x)))
                x = self.max_pool_2(self.relu(self.conv2(x)))
                x = x.flatten(1)
                return self.fc3(self.relu(self.fc2(self.relu(self.fc1(x)))))

        return LeNet5()

    class BasicBlock(nn.Module):  # torchvision.models.resnet.BasicBlock
        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            return self.relu(out + identity)

    class ResNet18(nn.Module):  # torchvision.models.resnet18
        def __init__(self):
            super().__init__()
            self.inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.layer1 = self._layer(64, 1)
            self.layer2 = self._layer(128, 2)
            self.layer3 = self._layer(256, 2)
            self.layer4 = self._layer(512, 2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, 1000)

        def _layer(self, planes, stride):
            down = None
            if stride != 1 or self.inplanes != planes:
                down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                                     nn.BatchNorm2d(planes))
            blocks = [BasicBlock(self.inplanes, planes, stride, down), BasicBlock(planes, planes)]
            self.inplanes = planes
            return nn.Sequential(*blocks)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet18()


def load_torch(name: str, weights: Path, dtype):
    import numpy as np
    import torch

    model = torch_model(name).to(dtype)  # before loading, or float64 weights round to float32
    with np.load(weights) as data:
        model.load_state_dict({k: torch.from_numpy(data[k]) for k in data.files}, strict=True)
    return model.eval()


def engine_model(name: str, weights, dtype):
    from quizgen.engine import models

    return getattr(models, name)(weights=weights, dtype=dtype)


def make_input(shape, dtype):
    import numpy as np

    return np.random.default_rng(7).standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------------- workers

def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _peak_bytes(fn) -> int:
    import gc

    gc.collect()
    base = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    fn()
    return _status("VmHWM") - base


def _openblas_call(suffix: str, restype=None) -> object:
    """Call numpy's OpenBLAS ``openblas_<suffix>`` (under any of its exported names), or None."""
    import ctypes

    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "openblas" in path.lower() and ".so" in path:
            lib = ctypes.CDLL(path)
            for sym in (f"scipy_openblas_{suffix}64_", f"openblas_{suffix}64_",
                        f"openblas_{suffix}"):
                if hasattr(lib, sym):
                    fn = getattr(lib, sym)
                    if restype is not None:
                        fn.restype = restype
                    return fn()
    return None


def _openblas_threads() -> str:
    """Threads numpy's OpenBLAS will use, read from the library itself."""
    n = _openblas_call("get_num_threads")
    return "unknown" if n is None else str(n)


def _openblas_kernels() -> str:
    """The CPU kernel set numpy's OpenBLAS runs (e.g. SkylakeX for AVX-512, Haswell for AVX2)."""
    import ctypes

    name = _openblas_call("get_corename", ctypes.c_char_p)
    return "unknown" if name is None else name.decode()


def run_worker(args) -> dict:
    import numpy as np

    threads = {}
    if args.framework == "torch":
        import torch

        torch.set_num_threads(args.threads)
        threads = dict(torch_threads=torch.get_num_threads(),
                       kernels=torch.backends.cpu.get_cpu_capability())
        from torch.nn import functional as TF
    else:
        from quizgen.engine import functional as QF
        np.zeros((64, 64)) @ np.zeros((64, 64))
        threads = dict(openblas_threads=_openblas_threads(), kernels=_openblas_kernels())

    dtype = np.float32
    if args.case in MODELS:
        shape = MODELS[args.case][0]
        x = make_input(shape, dtype)
        if args.framework == "torch":
            model = load_torch(args.case, Path(args.weights), torch.float32)
            tx = torch.from_numpy(x)
            fn = lambda: model(tx)  # noqa: E731
        else:
            model = engine_model(args.case, args.weights, dtype)
            fn = lambda: model(x)  # noqa: E731
    else:
        shape, wshape, kw = OPS[args.case]
        x = make_input(shape, dtype)
        if args.framework == "torch":
            tx = torch.from_numpy(x)
            if isinstance(wshape, int):
                fn = lambda: TF.max_pool2d(tx, wshape, **kw)  # noqa: E731
            else:
                tw = torch.from_numpy(make_input(wshape, dtype))
                fn = lambda: TF.conv2d(tx, tw, **kw)  # noqa: E731
        else:
            if isinstance(wshape, int):
                fn = lambda: QF.max_pool2d(x, wshape, **kw)  # noqa: E731
            else:
                w = make_input(wshape, dtype)
                fn = lambda: QF.conv2d(x, w, **kw)  # noqa: E731

    def body():
        for _ in range(args.warmup):
            fn()
        if args.measure == "memory":
            peak = statistics.median(_peak_bytes(fn) for _ in range(3))
            scratch = 0
            if args.framework == "numpy":   # the im2col buffer the engine keeps between calls
                buf = getattr(QF._SCRATCH, "buf", None)
                scratch = 0 if buf is None else buf.nbytes
            return dict(peak_bytes=peak, retained_bytes=scratch)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return dict(times=times)

    if args.framework == "torch":
        with torch.inference_mode():
            result = body()
    else:
        result = body()
    return dict(framework=args.framework, case=args.case, torch_imported="torch" in sys.modules,
                **threads, **result)


def run_check(args) -> dict:
    """Build each model, save its weights for the workers, and compare engine vs torch outputs."""
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    report = {}
    for name, (shape, _) in MODELS.items():
        if name not in args.cases:
            continue
        weights = Path(args.dir) / f"{name}.npz"
        net = engine_model(name, None, np.float64)
        np.savez(weights, **net.state_dict())
        row = {}
        for dtype, tdtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
            ours = engine_model(name, str(weights), dtype)
            theirs = load_torch(name, weights, tdtype)
            x = make_input(shape, dtype)
            with torch.inference_mode():
                want = theirs(torch.from_numpy(x)).numpy()
            got = ours(x)
            scale = float(np.abs(want).max())
            row[np.dtype(dtype).name] = float(np.abs(got - want).max()) / scale
        report[name] = row
    return report


# --------------------------------------------------------------------------- driver

# Variables that pin a framework's CPU kernels below what the CPU offers. "--isa native" drops
# them from the workers' environment so each framework runs the kernels it picks for this CPU;
# "--isa avx2" sets them so both run AVX2 kernels.
_ISA_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA",
             "ONEDNN_MAX_CPU_ISA")
_AVX2_PINS = dict(OPENBLAS_CORETYPE="Haswell", ATEN_CPU_CAPABILITY="avx2",
                  DNNL_MAX_CPU_ISA="AVX2", ONEDNN_MAX_CPU_ISA="AVX2")


def _spawn(mode: str, args, extra: list[str], memory: bool = False) -> dict:
    env = dict(os.environ)
    for var in _ISA_PINS:
        env.pop(var, None)
    if args.isa == "avx2":
        env.update(_AVX2_PINS)
    n = str(args.threads)
    env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n,
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    if memory:
        env.update(MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="65536")
        extra = extra + ["--measure", "memory"]
    cmd = [sys.executable, __file__, "--mode", mode, "--threads", n, "--dir", args.dir,
           "--repeats", str(args.repeats), "--warmup", str(args.warmup),
           "--only", ",".join(args.cases)] + extra
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"worker failed: {' '.join(cmd)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _machine() -> str:
    import platform

    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} logical CPUs, Linux {platform.release()}, " \
           f"Python {platform.python_version()}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--only", default=",".join(list(MODELS) + list(OPS)))
    p.add_argument("--isa", default="native", choices=["native", "avx2"],
                   help="native: each framework's own choice of CPU kernels (pins such as "
                        "OPENBLAS_CORETYPE in the environment are dropped); avx2: both pinned "
                        "to AVX2 kernels")
    p.add_argument("--mode", default="driver", choices=["driver", "check", "worker"])
    p.add_argument("--framework", choices=["numpy", "torch"])
    p.add_argument("--measure", default="time", choices=["time", "memory"])
    p.add_argument("--case")
    p.add_argument("--weights")
    p.add_argument("--dir")
    args = p.parse_args()
    args.cases = [c for c in args.only.split(",") if c]

    if args.mode == "worker":
        print(json.dumps(run_worker(args)))
        return
    if args.mode == "check":
        print(json.dumps(run_check(args)))
        return

    import numpy
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        args.dir = tmp
        print(f"machine: {_machine()}")
        print(f"numpy {numpy.__version__}, torch {torch.__version__}; threads requested: "
              f"{args.threads}; time = median (and min) of {args.rounds} rounds x "
              f"{args.repeats} runs, each round a fresh process after {args.warmup} warm-up "
              f"runs, engine and torch alternating")
        print("load average at start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
        pins = {v: os.environ[v] for v in _ISA_PINS if v in os.environ}
        if args.isa == "native":
            print("CPU kernels: each framework's own choice"
                  + (" (dropped from the environment: "
                     + ", ".join(f"{k}={v}" for k, v in pins.items()) + ")" if pins else ""))
        else:
            print("CPU kernels: pinned to AVX2 (" + ", ".join(f"{k}={v}" for k, v in
                                                              _AVX2_PINS.items()) + ")")
        check = _spawn("check", args, [])
        for name, errs in check.items():
            print(f"agreement {name}: max |engine − torch| / max |torch| = "
                  + ", ".join(f"{e:.1e} ({d})" for d, e in errs.items()))
            if errs["float64"] > 1e-9 or errs["float32"] > 1e-3:
                raise SystemExit(f"{name}: engine and torch disagree, not timing")
        rows = []
        for case in args.cases:
            extra = ["--case", case]
            if case in MODELS:
                extra += ["--weights", str(Path(tmp) / f"{case}.npz")]
            res = {fw: dict(times=[]) for fw in ("numpy", "torch")}
            for _ in range(args.rounds):  # alternate, so both see the same machine load
                for fw in ("numpy", "torch"):
                    got = _spawn("worker", args, extra + ["--framework", fw])
                    res[fw]["times"] += got.pop("times")
                    res[fw].update(got)
            for fw in ("numpy", "torch"):
                res[fw].update(_spawn("worker", args, extra + ["--framework", fw], memory=True))
                res[fw]["median_s"] = statistics.median(res[fw]["times"])
                res[fw]["min_s"] = min(res[fw]["times"])
            assert not res["numpy"]["torch_imported"]
            rows.append((case, res))
        eng, ref = rows[0][1]["numpy"], rows[0][1]["torch"]
        print(f"threads in force: numpy OpenBLAS {eng['openblas_threads']}, "
              f"torch {ref['torch_threads']}; kernels in force: OpenBLAS {eng['kernels']}, "
              f"torch {ref['kernels']}")
        print("peak memory: peak RSS during one forward pass minus the RSS before it (model, weights, "
          "input built; after warm-up), each framework in its own process, glibc mmap threshold "
          "64 KiB")
        print()
        print("load average at end: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
        print()
        print("| row | engine ms | torch ms | time ratio (median) | ratio of mins | target | "
              "engine peak MB (+ kept scratch) | torch peak MB | memory ratio (with scratch) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for case, res in rows:
            a, b = res["numpy"], res["torch"]
            target = f"≤ {MODELS[case][1]:.2f}×" if case in MODELS else ""
            label = {"resnet18": "ResNet-18, batch 1, 224×224, float32",
                     "lenet5": "LeNet-5, batch 64, 28×28, float32"}.get(case, case + ", float32")
            print(f"| {label} | {a['median_s'] * 1e3:.2f} | {b['median_s'] * 1e3:.2f} | "
                  f"{a['median_s'] / b['median_s']:.2f}× | {a['min_s'] / b['min_s']:.2f}× | "
                  f"{target} | "
                  f"{a['peak_bytes'] / 2**20:.1f} (+ {a['retained_bytes'] / 2**20:.1f}) | "
                  f"{b['peak_bytes'] / 2**20:.1f} | "
                  f"{a['peak_bytes'] / max(b['peak_bytes'], 1):.2f}× "
                  f"({(a['peak_bytes'] + a['retained_bytes']) / max(b['peak_bytes'], 1):.2f}×) |")


if __name__ == "__main__":
    main()
