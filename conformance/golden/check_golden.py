#!/usr/bin/env python3
"""Check torch.optim against the optconf golden traces (spec/golden-format.md), in Python.

Standard library (json, hashlib, fractions) and torch only: no TypeScript, no optconf runner.
It verifies every file's SHA-256 against manifest.json, then replays each case that torch.optim
has (SGD, Adam, AdamW, RMSprop; float32 and float64) and checks every output after every step:
|got - expected| <= allowed, with `expected` the file's decimal string read exactly and
`allowed` the file's allowed error for that dtype ("Infinity": anything passes; 0: got must
equal the correctly rounded `value`). Variants and families torch does not have are skipped.

    python3 conformance/golden/check_golden.py [FOLDER] [--device cuda] [--mode foreach|fused]
                                               [--dtypes float32,bfloat16]

--device and --mode check the other code paths a GPU session has: CUDA tensors, and torch's
foreach and fused implementations (fused is CUDA-only in torch 1.13; families without it are
skipped). bfloat16 and float16 are checked where a file gives expectations for them.

Prints one line per failure and a summary `N passed, M failed (K skipped)`; exits 1 on any
failure or hash mismatch.
"""

import argparse
import hashlib
import json
import math
import os
import sys
from fractions import Fraction

import torch

TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}
DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16, "float16": torch.float16}
DEVICE = "cpu"
MODE = "single"


def mode_kwargs(family):
    """Constructor arguments selecting torch's code path; None when the family lacks it."""
    if MODE == "single":
        return {"foreach": False}
    if MODE == "foreach":
        return {"foreach": True}
    return {"fused": True} if family in ("adam", "adamw") else None
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def number(x):
    return SPECIAL[x] if isinstance(x, str) else float(x)


def torch_kwargs(hyper):
    args = {k: v for k, v in hyper.items() if k not in ("beta1", "beta2")}
    if "beta1" in hyper or "beta2" in hyper:
        args["betas"] = (hyper.get("beta1", 0.9), hyper.get("beta2", 0.999))
    return args


def apply_overrides(group, hyper):
    for k, v in hyper.items():
        if k == "beta1":
            group["betas"] = (v, group["betas"][1])
        elif k == "beta2":
            group["betas"] = (group["betas"][0], v)
        else:
            group[k] = v


def load_state(optimizer, p, family, state, dtype):
    step = state["step"]
    arrays = {k: torch.tensor([number(x) for x in v], dtype=dtype, device=DEVICE) for k, v in state.items() if k != "step"}
    if family == "sgd":
        if step >= 1 and "momentum_buffer" in arrays:
            optimizer.state[p] = {"momentum_buffer": arrays["momentum_buffer"]}
        return
    group = optimizer.param_groups[0]
    n = p.numel()
    names = {"adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"], "rmsprop": ["square_avg"]}[family]
    if family in ("adam", "adamw") and group["amsgrad"]:
        names.append("max_exp_avg_sq")
    if family == "rmsprop" and group["momentum"] > 0:
        names.append("momentum_buffer")
    if family == "rmsprop" and group["centered"]:
        names.append("grad_avg")
    loaded = {k: arrays.get(k, torch.zeros(n, dtype=dtype, device=DEVICE)) for k in names}
    # torch 1.13 keeps Adam's step as a float32 tensor (on the device when fused) and RMSprop's as an int.
    step_device = DEVICE if MODE == "fused" else "cpu"
    loaded["step"] = torch.tensor(float(step), device=step_device) if family in ("adam", "adamw") else step
    optimizer.state[p] = loaded


def run(case, dtype):
    """The case through torch.optim: per step, params and state as lists of doubles."""
    family = case["optimizer"]
    p = torch.tensor([number(x) for x in case["params"]], dtype=dtype, device=DEVICE, requires_grad=True)
    optimizer = TORCH[family]([p], **torch_kwargs(case["hyper"]), **mode_kwargs(family))
    group = optimizer.param_groups[0]
    if case["state"] is not None:
        apply_overrides(group, case["steps"][0].get("hyper", {}))
        load_state(optimizer, p, family, case["state"], dtype)
    out = []
    for s in case["steps"]:
        apply_overrides(group, s.get("hyper", {}))
        p.grad = torch.tensor([number(x) for x in s["grad"]], dtype=dtype, device=DEVICE)
        optimizer.step()
        state = {k: v.detach().double().cpu().tolist() for k, v in optimizer.state[p].items()
                 if isinstance(v, torch.Tensor) and k != "step"}
        out.append((p.detach().double().cpu().tolist(), state))
    return out


def within(got, exact, value, allowed):
    if allowed == "Infinity":
        return True
    if allowed == 0 or not math.isfinite(got):
        return got == number(value)
    return abs(Fraction(got) - Fraction(exact)) <= Fraction(allowed)


def check_file(golden, dtype):
    """The first failure of one file in one dtype, as text, or None."""
    replies = run(golden["case"], DTYPES[dtype])
    for expected, (params, state) in zip(golden["expected"], replies):
        want = expected["dtypes"][dtype]
        outputs = [("params", params, expected["params"], want["params"])]
        for name, exact in expected["state"].items():
            if name == "step":
                continue
            if name not in state:
                return f"step {expected['step']}: torch keeps no state {name}"
            outputs.append((name, state[name], exact, want["state"][name]))
        for name, got, exact, w in outputs:
            for i, g in enumerate(got):
                if not within(g, exact[i], w["value"][i], w["allowed"][i]):
                    return (f"step {expected['step']} {name}[{i}]: got {g!r}, expected {exact[i]} "
                            f"(allowed {w['allowed'][i]}, {w['allowed_ulps'][i]} ulps)")
    return None


def main(argv):
    global DEVICE, MODE
    parser = argparse.ArgumentParser(description="Check torch.optim against the optconf golden traces.")
    parser.add_argument("folder", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mode", choices=["single", "foreach", "fused"], default="single")
    parser.add_argument("--dtypes", default="float32,float64")
    args = parser.parse_args(argv)
    folder, DEVICE, MODE = args.folder, args.device, args.mode
    wanted = [d for d in args.dtypes.split(",") if d in DTYPES]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    passed = failed = skipped = unsupported = 0
    for entry in manifest["files"]:
        path = os.path.join(folder, entry["file"])
        with open(path, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            print(f"FAIL {entry['file']}: SHA-256 does not match manifest.json")
            failed += 1
            continue
        golden = json.loads(data, parse_int=lambda s: -0.0 if s == "-0" else int(s))
        case = golden["case"]
        dtypes = [d for d in golden["dtypes"] if d in wanted]
        if case["optimizer"] not in TORCH or case.get("variant") or not dtypes or mode_kwargs(case["optimizer"]) is None:
            skipped += 1
            continue
        for dtype in dtypes:
            try:
                problem = check_file(golden, dtype)
            except (RuntimeError, ValueError, TypeError) as e:  # this torch cannot run it (no float16 Adam on CPU, no fused AdamW in 1.13)
                print(f"UNSUPPORTED {entry['file']} {dtype}: {str(e).splitlines()[0]}")
                unsupported += 1
                continue
            if problem is None:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {entry['file']} {dtype}: {problem}")
    print(f"torch {torch.__version__} {DEVICE} {MODE}: {passed} passed, {failed} failed "
          f"({skipped} files skipped: variants and families torch.optim does not have"
          f"{f'; {unsupported} unsupported by this torch' if unsupported else ''})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
