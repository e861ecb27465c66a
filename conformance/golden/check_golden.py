#!/usr/bin/env python3
"""Check torch.optim against the optconf golden traces (spec/golden-format.md), in Python.

Standard library (json, hashlib, fractions) and torch only: no TypeScript, no optconf runner.
It verifies every file's SHA-256 against manifest.json and its format, then replays each case
that torch.optim has (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam; Lion is
not in torch 1.13) and checks every output after every step:
|got - expected| <= allowed, with `expected` the file's decimal string read exactly and
`allowed` the file's allowed error for that dtype ("Infinity": anything passes; 0: got must
equal the correctly rounded `value`). Variants and families torch does not have are skipped.

By default each step is checked alone (GOLD-7): torch starts from the state before it, as the
file lists it in the dtype, and the step's outputs are held to the single-step bound.
--form trajectory runs each case from its inputs instead and holds every step to the bound
carried along the whole trajectory (GOLD-4, GOLD-6).

    python3 conformance/golden/check_golden.py [FOLDER] [--device cuda] [--mode single,foreach,fused]
                                               [--dtypes float32,bfloat16] [--form step-wise,trajectory]
                                               [--files adam-float32.json,...]

--device and --mode check the other code paths a GPU session has: CUDA tensors, and torch's
foreach and fused implementations (fused is CUDA-only in torch 1.13; families without it are
skipped). bfloat16 and float16 are checked where a file gives expectations for them. --files
checks only the files named. --mode and --form each take one value or several, comma-separated:
every mode is checked in every form, from one start of torch and one reading of the files, with
a summary line for each (FAIL lines come before the summary of the mode and form they belong to).

Known defects (spec/defects.md, GOLD-8). torch 1.13 has three: single-tensor NAdam counts mu_t
twice (DEFECT-2), foreach RAdam has no eps (DEFECT-1), foreach Adagrad computes its decayed step
size in float32 (DEFECT-3). A file whose `known_defects` names the defect of the path being
checked is failed by it, as any other wrong output is; its FAIL line ends with
"-- known defect <id> (<upstream>)" and the summary counts them. They are not passes.

Prints one line per failure and a summary `N passed, M failed (K skipped)` per mode and form;
exits 1 on any failure, hash mismatch or unknown format, 2 when --files names a file the manifest
does not list or --mode, --form or --dtypes a value it does not know. A dtype or code path this
torch refuses ("not implemented for 'Half'", fused) is an UNSUPPORTED line; any other error, and an
output of the wrong length or a step not taken, is a FAIL that names it.
"""

import argparse
import hashlib
import json
import math
import os
import sys
from fractions import Fraction

# Imported by main once the command line and the file names are checked: a refusal needs no torch,
# whose import takes about a second.
torch = None

# torch.optim's class for each family (getattr(torch.optim, name)).
TORCH = {
    "sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad",
    "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "NAdam", "radam": "RAdam",
}
# The known defects of torch.optim 1.13 (spec/defects.md): the code path that has each, and how a
# report names it. A file whose `known_defects` lists the id for the dtype that failed is reported
# as that defect; it is still a failure (a bug must not pass), and the exit status is still 1.
TORCH_DEFECTS = {
    ("radam", "foreach"): "torch-1.13/radam-foreach-eps",
    ("nadam", "single"): "torch-1.13/nadam-mu-product",
    ("adagrad", "foreach"): "torch-1.13/adagrad-foreach-lr-float32",
}
UPSTREAM = {
    "torch-1.13/radam-foreach-eps": "fixed by pytorch/pytorch#92551",
    "torch-1.13/nadam-mu-product": "fixed by pytorch/pytorch#92699",
    "torch-1.13/adagrad-foreach-lr-float32": "no fix identified; PyTorch 2.x computes it in double",
}
DTYPES = ("float32", "float64", "bfloat16", "float16")  # torch's names (getattr(torch, name))
MODES = ("single", "foreach", "fused")
FORMS = ("step-wise", "trajectory")
DEVICE = "cpu"
MODE = "single"
FORM = "step-wise"


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


def state_names(family, group):
    """NOTE-2: the per-element state arrays torch.optim 1.13 keeps for the family under these hyperparameters."""
    if family == "sgd":
        return ["momentum_buffer"] if group["momentum"] != 0 else []
    if family in ("adam", "adamw"):
        return ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])
    if family == "rmsprop":
        return (["square_avg"] + (["momentum_buffer"] if group["momentum"] > 0 else [])
                + (["grad_avg"] if group["centered"] else []))
    return {"adagrad": ["sum"], "adadelta": ["square_avg", "acc_delta"], "adamax": ["exp_avg", "exp_inf"],
            "nadam": ["exp_avg", "exp_avg_sq"], "radam": ["exp_avg", "exp_avg_sq"]}[family]


def load_state(optimizer, p, family, state, dtype):
    """The state before a step, held as torch 1.13 holds it (read from torch/optim/*.py of 1.13)."""
    step = state["step"]
    arrays = {k: torch.tensor([number(x) for x in v], dtype=dtype, device=DEVICE) for k, v in state.items() if k != "step"}
    group = optimizer.param_groups[0]
    if family == "sgd":
        if step >= 1 and "momentum_buffer" in arrays:
            optimizer.state[p] = {"momentum_buffer": arrays["momentum_buffer"]}
        return
    n = p.numel()
    loaded = {k: arrays.get(k, torch.zeros(n, dtype=dtype, device=DEVICE)) for k in state_names(family, group)}
    if family == "adagrad" and "sum" not in arrays:  # ADAGRAD-3: a fresh sum starts at the initial accumulator
        loaded["sum"] = torch.full((n,), group["initial_accumulator_value"], dtype=dtype, device=DEVICE)
    if family == "nadam":
        # PREC-12: one float32 0-dim tensor per parameter (1 fresh); the file repeats it in every element
        mu = arrays["mu_product"][0].item() if "mu_product" in arrays else 1.0
        loaded["mu_product"] = torch.tensor(mu)
    # 1.13 keeps the step as a float32 tensor (on the device when fused), and as an int in RMSprop and Adadelta.
    step_device = DEVICE if MODE == "fused" else "cpu"
    loaded["step"] = step if family in ("rmsprop", "adadelta") else torch.tensor(float(step), device=step_device)
    optimizer.state[p] = loaded


FORMAT = "optconf-golden/2"


def tensor(values, dtype):
    return torch.tensor([number(x) for x in values], dtype=dtype, device=DEVICE)


def outputs_of(optimizer, p):
    """A step's outputs as lists of doubles; a 0-dim state (NAdam's mu_product) repeated per element, as the file gives it."""
    n = p.numel()
    state = {k: (v.detach().double().cpu().tolist() if v.dim() else [v.item()] * n)
             for k, v in optimizer.state[p].items() if isinstance(v, torch.Tensor) and k != "step"}
    return p.detach().double().cpu().tolist(), state


def run(case, dtype):
    """GOLD-6: the case through torch.optim from its inputs: per step, params and state as lists of doubles."""
    family = case["optimizer"]
    p = tensor(case["params"], dtype).requires_grad_(True)
    optimizer = getattr(torch.optim, TORCH[family])([p], **torch_kwargs(case["hyper"]), **mode_kwargs(family))
    group = optimizer.param_groups[0]
    if case["state"] is not None:
        apply_overrides(group, case["steps"][0].get("hyper", {}))
        load_state(optimizer, p, family, case["state"], dtype)
    out = []
    for s in case["steps"]:
        apply_overrides(group, s.get("hyper", {}))
        p.grad = tensor(s["grad"], dtype)
        optimizer.step()
        out.append(outputs_of(optimizer, p))
    return out


def run_step(golden, k, dtype_name, hyper):
    """GOLD-7: step k alone through torch.optim, from the state before it (step 1: the case's inputs), under `hyper` (NOTE-3)."""
    case = golden["case"]
    family = case["optimizer"]
    dtype = getattr(torch, dtype_name)
    before = golden["expected"][k]["dtypes"][dtype_name]["step_wise"]["before"] if k else case
    p = tensor(before["params"], dtype).requires_grad_(True)
    optimizer = getattr(torch.optim, TORCH[family])([p], **torch_kwargs(hyper), **mode_kwargs(family))
    if before["state"] is not None:
        load_state(optimizer, p, family, before["state"], dtype)
    p.grad = tensor(case["steps"][k]["grad"], dtype)
    optimizer.step()
    return outputs_of(optimizer, p)


def trajectory_expectation(expected, dtype):
    """GOLD-3, GOLD-4: per output, the exact strings and the dtype's entry along the trajectory."""
    want = expected["dtypes"][dtype]
    outs = {"params": (expected["params"], want["params"])}
    for name, exact in expected["state"].items():
        if name != "step":
            outs[name] = (exact, want["state"][name])
    return outs


def step_wise_expectation(expected, k, dtype):
    """GOLD-7: per output, the exact strings from the state before the step and the single-step entry."""
    if k == 0:
        return trajectory_expectation(expected, dtype)
    sw = expected["dtypes"][dtype]["step_wise"]
    outs = {"params": (sw["params"]["expected"], sw["params"])}
    for name, o in sw["state"].items():
        outs[name] = (o["expected"], o)
    return outs


def known_defect(golden, dtype):
    """The known defect this torch and code path has that the file declares it catches in `dtype`, or None (GOLD-8)."""
    if not torch.__version__.startswith("1.13"):
        return None
    defect = TORCH_DEFECTS.get((golden["case"]["optimizer"], MODE))
    return defect if dtype in golden.get("known_defects", {}).get(defect, []) else None


def within(got, exact, value, allowed):
    """GOLD-4's rule, exactly: |got - exact| <= allowed with every number at its exact value."""
    if allowed == "Infinity":
        return True
    if allowed == 0 or not math.isfinite(got):
        return got == number(value)
    # Decided in doubles where that is certain: float(exact) is within ulp(x)/2 of the exact value and
    # the difference is rounded by at most 2^-53 of itself, so `slack` covers both with room.
    x = float(exact)
    d = abs(got - x)
    slack = d * 2.0 ** -52 + math.ulp(x)
    if d + slack < allowed:
        return True
    if d - slack > allowed:
        return False
    return abs(Fraction(got) - Fraction(exact)) <= Fraction(allowed)


def compare(step, outs, params, state):
    """The first output of one step outside its allowed error, as text, or None."""
    got_of = {"params": params, **state}
    for name, (exact, w) in outs.items():
        if name not in got_of:
            return f"step {step}: torch keeps no state {name}"
        if len(got_of[name]) != len(exact):
            return f"step {step}: torch's {name} has {len(got_of[name])} elements, the file expects {len(exact)}"
        for i, g in enumerate(got_of[name]):
            if not within(g, exact[i], w["value"][i], w["allowed"][i]):
                return (f"step {step} {name}[{i}]: got {g!r}, expected {exact[i]} "
                        f"(allowed {w['allowed'][i]}, {w['allowed_ulps'][i]} ulps)")
    return None


def check_file(golden, dtype):
    """The first failure of one file in one dtype, as text, or None."""
    if FORM == "trajectory":
        # strict: a step torch did not take is a failure, never skipped by a shorter zip
        for expected, (params, state) in zip(golden["expected"], run(golden["case"], getattr(torch, dtype)), strict=True):
            problem = compare(expected["step"], trajectory_expectation(expected, dtype), params, state)
            if problem:
                return problem
        return None
    hyper = dict(golden["case"]["hyper"])
    for k, expected in enumerate(golden["expected"]):
        hyper.update(golden["case"]["steps"][k].get("hyper", {}))  # NOTE-3: in force from this step on
        params, state = run_step(golden, k, dtype, dict(hyper))
        problem = compare(expected["step"], step_wise_expectation(expected, k, dtype), params, state)
        if problem:
            return f"{problem} (step-wise)"
    return None


def unsupported_by_torch(error):
    """Whether torch refused the dtype or code path (no float16 Adam on CPU in 1.13, no fused AdamW), not a bug."""
    text = str(error)
    return isinstance(error, (RuntimeError, TypeError)) and ("not implemented for" in text or "fused" in text)


def choices(option, text, known):
    """A comma-separated list of values of `option`, each one of `known`, in the order given; None if one is not."""
    values = list(dict.fromkeys(text.split(",")))
    unknown = [v for v in values if v not in known]
    if unknown:
        print(f"check_golden.py: {option} {', '.join(unknown)}: expected one or more of {', '.join(known)}", file=sys.stderr)
        return None
    return values


def read_files(folder, manifest, only):
    """Each listed file (or only those named) as (name, golden), or (name, why it is refused): hash and format (GOLD-1)."""
    files = []
    for entry in manifest["files"]:
        if only is not None and entry["file"] not in only:
            continue
        with open(os.path.join(folder, entry["file"]), "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            files.append((entry["file"], "SHA-256 does not match manifest.json"))
            continue
        golden = json.loads(data, parse_int=lambda s: -0.0 if s == "-0" else int(s))
        if golden.get("format") != FORMAT:
            files.append((entry["file"], f"format {golden.get('format')!r} is not {FORMAT} (GOLD-1)"))
            continue
        files.append((entry["file"], golden))
    return files


def check_all(files, wanted):
    """Every file in every wanted dtype on the current MODE and FORM: FAIL lines, then the summary. True when none failed."""
    passed = failed = skipped = unsupported = 0
    defects = {}
    for name, golden in files:
        if isinstance(golden, str):  # refused before any replay: a failure in every mode and form
            print(f"FAIL {name}: {golden}")
            failed += 1
            continue
        case = golden["case"]
        dtypes = [d for d in golden["dtypes"] if d in wanted]
        if case["optimizer"] not in TORCH or case.get("variant") or not dtypes or mode_kwargs(case["optimizer"]) is None:
            skipped += 1
            continue
        for dtype in dtypes:
            try:
                problem = check_file(golden, dtype)
            except Exception as e:  # pylint: disable=broad-except
                if not unsupported_by_torch(e):  # anything else is a failure that names itself, never a skip
                    problem = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"
                else:
                    print(f"UNSUPPORTED {name} {dtype}: {str(e).splitlines()[0]}")
                    unsupported += 1
                    continue
            if problem is None:
                passed += 1
                continue
            failed += 1
            defect = known_defect(golden, dtype)
            named = f" -- known defect {defect} ({UPSTREAM[defect]})" if defect else ""
            if defect:
                defects[defect] = defects.get(defect, 0) + 1
            print(f"FAIL {name} {dtype}: {problem}{named}")
    known = "".join(f"; {n} of them known defect {d}" for d, n in sorted(defects.items()))
    print(f"torch {torch.__version__} {DEVICE} {MODE} {FORM}: {passed} passed, {failed} failed{known} "
          f"({skipped} files skipped: variants and families torch.optim does not have"
          f"{f'; {unsupported} unsupported by this torch' if unsupported else ''})")
    return failed == 0


def main(argv):
    global torch, DEVICE, MODE, FORM
    parser = argparse.ArgumentParser(description="Check torch.optim against the optconf golden traces.")
    parser.add_argument("folder", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mode", default="single", help=f"one or more of {', '.join(MODES)}, comma-separated")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--form", default="step-wise", help=f"one or more of {', '.join(FORMS)}, comma-separated")
    parser.add_argument("--files", help="only these files, comma-separated names as in manifest.json")
    args = parser.parse_args(argv)
    folder, DEVICE = args.folder, args.device
    modes, forms = choices("--mode", args.mode, MODES), choices("--form", args.form, FORMS)
    wanted = choices("--dtypes", args.dtypes, list(DTYPES))
    if modes is None or forms is None or wanted is None:
        return 2
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    only = set(args.files.split(",")) if args.files else None
    unknown = sorted((only or set()) - {entry["file"] for entry in manifest["files"]})
    if unknown:
        print(f"check_golden.py: not in {os.path.join(folder, 'manifest.json')}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    import torch as imported
    torch = imported
    files = read_files(folder, manifest, only)
    ok = True
    for MODE in modes:
        for FORM in forms:
            ok = check_all(files, wanted) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
