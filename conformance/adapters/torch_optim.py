#!/usr/bin/env python3
"""An optconf/1 implementation for torch.optim, or for any torch.optim.Optimizer subclass of yours.

The runner starts this file as a command, writes one JSON message per line to its stdin and
reads one JSON reply per line from its stdout (spec/protocol.md). Everything else -- warnings,
tracebacks, progress -- goes to stderr, which the runner keeps as a log.

    python3 torch_optim.py             # torch.optim's SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta,
                                       # Adamax, NAdam and RAdam, on the default single-tensor path
    python3 torch_optim.py --foreach   # the foreach (multi-tensor) code path instead
    python3 torch_optim.py --class MODULE:CLASS --family FAMILY [--variant NAME]
                           [--state-map OURS=THEIRS ...] [--hyper-map OURS=THEIRS ...]

--class checks your own optimizer: MODULE is a dotted module on PYTHONPATH (mypkg.optim) or a
path to a .py file; CLASS is constructed as CLASS(params, lr=..., betas=(beta1, beta2), ...)
with PyTorch's keyword names for FAMILY (spec/protocol.md#PROTO-7). At start-up the adapter
reads the constructor's signature: a hyperparameter it does not take is declared pinned at the
family's default in the hello reply (`fixed`, PROTO-4), so the runner never varies it. It then
runs a few steps in each dtype: every dtype is declared but those where torch itself lacks an
operation ("not implemented for 'Half'"); one where the class raises anything else stays declared,
so its cases report the error and the check fails naming it. What the class
stored in optimizer.state tells how to load a state -- the step counter as an int, a float or a
tensor of some dtype, one-number states (NAdam's mu_product) as 0-dim tensors. State and
hyperparameter names default to PyTorch's; --state-map exp_avg=m (optconf's name = yours) and
--hyper-map maps them. A case from a given state that cannot be loaded (no counter where the
step count matters, state keys optconf cannot supply) is answered `unsupported`. --variant NAME
says the class computes that named variant, so cases asking for it are run. A module, class,
family or map entry that is wrong ends the process at start-up: one line on stderr, exit 2.

Copy this file as the starting point for an adapter of your own: `main` is the hello/run/bye
loop, `run_case` runs one case; the rest (FAMILIES, Layout, load_state, read_state, probe) says
how torch.optim holds each family. Standard library and torch only.

Written against PyTorch 1.13 (CPU). The families are one table (FAMILIES: hyperparameters,
defaults, state names) and torch.optim's classes another (torch_optim(): how each holds its state,
a Layout), read from torch/optim/*.py of 1.13.1: Adam, AdamW, Adagrad, Adamax, NAdam and RAdam
count steps in a float32 scalar tensor, RMSprop and Adadelta in a Python int, SGD not at all;
NAdam keeps mu_product as a float32 0-dim tensor in every dtype (PREC-12). A float32 counter stops
counting at 2**24 (16777217 rounds to 16777216), after which bias corrections use a stale t and
state.step is wrong, so cases that would count past it are answered `unsupported` (NOTE-1); the
same for any floating counter of a class of yours at its own limit. PyTorch 1.13's known defects
(spec/defects.md: RAdam foreach without eps, NAdam single-tensor's mu product, Adagrad foreach's
float32 step size) are left as they are: finding and naming them is optconf's job.
"""

import argparse
import array
import base64
import binascii
import importlib
import importlib.util
import inspect
import json
import math
import os
import sys

# Imported by start() once the command line has been checked (import_torch): importing torch takes
# about a second, and a mistyped family or map entry should not wait for it.
torch = None

PROTOCOL = "optconf/1"

# The dtypes tried, by torch's names (getattr(torch, name)).
DTYPES = ("float64", "float32", "bfloat16", "float16")

# Set by --foreach: which of torch.optim's two code paths is checked.
FOREACH = False
# Set by --class: a user's optimizer class instead of torch.optim's own.
CLASS_MODE = False
# family -> Target: what this process runs, filled in at start-up.
TARGETS = {}


def import_torch():
    global torch
    try:
        import torch as module
    except ImportError as e:  # the wrong interpreter, most often: say which, in one line
        raise StartupError(f"PyTorch cannot be imported by {sys.executable}: {e}") from None
    torch = module


class Unsupported(Exception):
    """The case asks for something torch.optim does not have: a reply of `unsupported`, not `error`."""


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- Numbers on the wire -------------------------------------------------------------------
# JSON numbers are doubles; NaN and the infinities travel as strings; negative zero is `-0`
# (read with keep_negative_zero below; json writes -0.0 as `-0.0`, which is the same JSON number).

WIRE_SPECIALS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def decode_number(x, where):
    if isinstance(x, bool):  # bool is a subclass of int in Python: refuse it explicitly
        raise ValueError(f"{where} must be a number, got {json.dumps(x)}")
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str) and x in WIRE_SPECIALS:
        return WIRE_SPECIALS[x]
    raise ValueError(f"{where} must be a number, got {json.dumps(x)}")


def decode_array(values, where, length=None):
    """A tensor array -- JSON numbers or a base64 array -- as a float64 or float32 tensor.

    Every value is exact in the case's dtype, so converting the result to it is exact too.
    """
    if isinstance(values, dict):
        t = decode_base64_array(values, where)
    elif isinstance(values, list):
        t = torch.tensor([decode_number(x, f"{where}[{i}]") for i, x in enumerate(values)], dtype=torch.float64)
    else:
        raise ValueError(f"{where} must be an array")
    if length is not None and t.numel() != length:
        raise ValueError(f"{where} has {t.numel()} elements, params has {length}")
    return t


def encode_number(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def encode_tensor(t):
    # .tolist() widens every element to a Python float (a double) exactly, whatever the dtype.
    return [encode_number(x) for x in t.detach().double().tolist()]


# --- Base64 arrays (spec/protocol.md#PROTO-9) ------------------------------------------------
# Declared in the hello reply ("base64Arrays": true), so the runner sends every tensor array as
# {"dtype": "float32" | "float64", "base64": ...}: the values' little-endian IEEE 754 bytes. A
# megabyte-sized tensor then costs a base64 decode instead of a million JSON numbers. Replies go
# back the way the request's params came.

BASE64_DTYPES = {"float32": "f", "float64": "d"}  # array typecodes of the base64 dtypes


def decode_base64_array(value, where):
    extra = sorted(set(value) - {"dtype", "base64"})
    if extra:
        raise ValueError(f"{where}: unexpected field {extra[0]!r} in a base64 array")
    name = value.get("dtype")
    if name not in BASE64_DTYPES:
        raise ValueError(f"{where}: base64 dtype {json.dumps(name)} is neither float32 nor float64")
    text = value.get("base64")
    if not isinstance(text, str):
        raise ValueError(f"{where}: base64 is not a string")
    try:
        raw = base64.b64decode(text, validate=True)  # validate: refuse characters outside the alphabet
    except binascii.Error as e:
        raise ValueError(f"{where}: not standard base64 ({e})") from None
    code, dtype = BASE64_DTYPES[name], getattr(torch, name)
    elements = array.array(code)
    if len(raw) % elements.itemsize:
        raise ValueError(f"{where}: base64 holds {len(raw)} bytes, not a multiple of {elements.itemsize} ({name})")
    elements.frombytes(raw)
    if sys.byteorder == "big":
        elements.byteswap()
    if not elements:
        return torch.zeros(0, dtype=dtype)  # frombuffer refuses an empty buffer
    return torch.frombuffer(elements, dtype=dtype)


def encode_base64_tensor(t, name):
    """A tensor as a base64 array of `name` (float32 holds bfloat16 and float16 values exactly)."""
    code, dtype = BASE64_DTYPES[name], getattr(torch, name)
    t = t.detach().to(dtype).contiguous()
    try:
        data = t.numpy().tobytes()  # native byte order
    except RuntimeError:  # a torch built without numpy
        data = array.array(code, t.tolist()).tobytes()
    if sys.byteorder == "big":
        swapped = array.array(code)
        swapped.frombytes(data)
        swapped.byteswap()
        data = swapped.tobytes()
    return {"dtype": name, "base64": base64.b64encode(data).decode("ascii")}


def tensor_encoder(msg):
    """How this case's reply writes tensors: as base64 when its params came so, else as JSON numbers."""
    if not isinstance(msg["params"], dict):
        return encode_tensor
    name = "float64" if msg["dtype"] == "float64" else "float32"
    return lambda t: encode_base64_tensor(t, name)


# --- Families (spec/protocol.md#PROTO-7) ---------------------------------------------------
# What optconf means by each family, whoever implements it: its hyperparameters with PyTorch
# 1.13's defaults (None: required), its state arrays and when each exists (None: always, else the
# hyperparameter that must be non-zero / true), the value a fresh array starts at (a number or a
# hyperparameter's name; absent: 0), whether the step count enters the formula, its named
# variants (with any hyperparameter a variant adds), and hyperparameters that turn every option
# on, for probing.


class Family:
    def __init__(self, hyper, states, fresh=None, counts=True, variants=None, probe=None):
        self.hyper = hyper
        self.states = states
        self.fresh = fresh or {}
        self.counts = counts
        self.variants = variants or {}
        self.probe = probe or {"weight_decay": 0.5}

    def state_names(self, in_force):
        """The state arrays kept under these hyperparameters (PROTO-7)."""
        return [name for name, when in self.states if when is None or in_force.get(when)]


ADAM_HYPER = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
ADAM_STATES = [("exp_avg", None), ("exp_avg_sq", None), ("max_exp_avg_sq", "amsgrad")]

FAMILIES = {
    "sgd": Family({"lr": None, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
                  [("momentum_buffer", "momentum")], counts=False,
                  variants={"lerp-momentum": {}, "decoupled-decay": {}, "lr-in-buffer": {}},
                  probe={"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.5}),
    "rmsprop": Family({"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False},
                      [("square_avg", None), ("momentum_buffer", "momentum"), ("grad_avg", "centered")], counts=False,
                      variants={"tensorflow": {}},
                      probe={"momentum": 0.5, "centered": True, "weight_decay": 0.5}),
    "adam": Family(ADAM_HYPER, ADAM_STATES,
                   variants={"no-bias-correction": {}, "eps-inside-sqrt": {}, "eps-hat": {}},
                   probe={"amsgrad": True, "weight_decay": 0.5}),
    "adamw": Family({**ADAM_HYPER, "weight_decay": 0.01}, ADAM_STATES,
                    variants={"paper": {"schedule_multiplier": 1.0}, "l2-coupled": {}},
                    probe={"amsgrad": True}),
    "adagrad": Family({"lr": 0.01, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
                      [("sum", None)], fresh={"sum": "initial_accumulator_value"},
                      variants={"eps-inside-sqrt": {}},
                      probe={"lr_decay": 0.5, "weight_decay": 0.5, "initial_accumulator_value": 0.5}),
    "adadelta": Family({"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
                       [("square_avg", None), ("acc_delta", None)], counts=False),
    "adamax": Family({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
                     [("exp_avg", None), ("exp_inf", None)], variants={"eps-after-max": {}}),
    "nadam": Family({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 0.004},
                    [("exp_avg", None), ("exp_avg_sq", None), ("mu_product", None)], fresh={"mu_product": 1.0},
                    variants={"no-schedule": {}}),
    "radam": Family({"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
                    [("exp_avg", None), ("exp_avg_sq", None)],
                    variants={"threshold-4": {}, "eps-after-correction": {}}),
    "lion": Family({"lr": None, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.001}, [("exp_avg", None)], counts=False,
                   probe={"lr": 0.1, "weight_decay": 0.5}),
}


# --- How a torch optimizer class holds a family ----------------------------------------------


class Layout:
    """How one optimizer class holds a family: its keyword and state names, and its step counter.

    `counter` is how the class keeps `state["step"]`: None (it keeps none), int, float, or a
    torch dtype (a 0-dim tensor of it). `scalars` are state names held as one 0-dim tensor per
    parameter (name -> its dtype), reported as n equal elements. `hyper_keys` maps a protocol
    hyperparameter to a constructor keyword, or to (keyword, index) inside a pair such as `betas`.
    `state_keys` maps a protocol state name (and "step") to the class's key in optimizer.state[p].
    """

    def __init__(self, counter, scalars=None, hyper_keys=None, state_keys=None):
        self.counter = counter
        self.scalars = scalars or {}
        self.hyper_keys = {"beta1": ("betas", 0), "beta2": ("betas", 1), **(hyper_keys or {})}
        self.state_keys = state_keys or {}
        self.foreign = []  # state keys the class keeps that no protocol name maps to
        self.missing = []  # class keys of protocol state names it does not keep (--class)
        self.returns_state = True

    def counter_kind(self):
        if isinstance(self.counter, torch.dtype):
            return f"{str(self.counter).replace('torch.', '')} tensor"
        return f"Python {self.counter.__name__}"

    def hyper_key(self, name):
        return self.hyper_keys.get(name, name)

    def state_key(self, name):
        return self.state_keys.get(name, name)

    def counter_limit(self):
        """The last step a floating counter still counts exactly (NOTE-1); None for an int."""
        if self.counter is float:
            return 2 ** 53
        if isinstance(self.counter, torch.dtype) and self.counter.is_floating_point:
            return round(2 / torch.finfo(self.counter).eps)  # 2**24 for float32
        return None


def torch_optim():
    """torch.optim 1.13's own classes: which holds its counter how (read from torch/optim/*.py, 1.13.1)."""
    F32 = torch.float32
    return {
        "sgd": (torch.optim.SGD, Layout(counter=None)),
        "rmsprop": (torch.optim.RMSprop, Layout(counter=int)),
        "adam": (torch.optim.Adam, Layout(counter=F32)),
        "adamw": (torch.optim.AdamW, Layout(counter=F32)),
        "adagrad": (torch.optim.Adagrad, Layout(counter=F32)),
        "adadelta": (torch.optim.Adadelta, Layout(counter=int)),
        "adamax": (torch.optim.Adamax, Layout(counter=F32)),
        "nadam": (torch.optim.NAdam, Layout(counter=F32, scalars={"mu_product": F32})),
        "radam": (torch.optim.RAdam, Layout(counter=F32)),
    }


class Target:
    """The optimizer class this process drives, as one family (or, --class, a user's class as one)."""

    def __init__(self, family, cls, layout, name, fixed=None, takes_foreach=True, variant=None):
        self.family = family
        self.spec = FAMILIES[family]
        self.cls = cls
        self.layout = layout
        self.name = name
        self.fixed = fixed or {}  # PROTO-4 pins: hyperparameters the constructor does not take
        self.takes_foreach = takes_foreach
        self.variant = variant
        self.dtypes = []

    def hyper_names(self):
        extra = self.spec.variants.get(self.variant, {}) if self.variant else {}
        return {**self.spec.hyper, **extra}

    def construct(self, params, hyper):
        """The optimizer for these protocol hyperparameters (pins left to the class's own defaults)."""
        kwargs = {}
        defaults = self.hyper_names()
        for name, value in hyper.items():
            if name in self.fixed:
                continue
            key = self.layout.hyper_key(name)
            if isinstance(key, tuple):
                keyword, index = key
                members = sorted((k[1], n) for n, k in self.layout.hyper_keys.items() if isinstance(k, tuple) and k[0] == keyword)
                pair = list(kwargs.get(keyword) or [defaults[n] for _, n in members])
                pair[index] = value
                kwargs[keyword] = tuple(pair)
            else:
                kwargs[key] = value
        if self.takes_foreach:
            kwargs["foreach"] = FOREACH
        return self.cls(params, **kwargs)

    def apply_to_group(self, group, overrides):
        """Per-step overrides (a learning-rate schedule): change the param group in place."""
        for name, value in overrides.items():
            if name in self.fixed:
                continue
            key = self.layout.hyper_key(name)
            keyword = key[0] if isinstance(key, tuple) else key
            if keyword not in group:
                raise Unsupported(f"{self.name} keeps no {keyword!r} in its param group, so {name} cannot change mid-run")
            if isinstance(key, tuple):
                pair = list(group[keyword])
                pair[key[1]] = value
                group[keyword] = tuple(pair)
            else:
                group[keyword] = value


def arguments(target, hyper, where):
    """Protocol hyperparameters, checked: names of the family, numbers as floats, pins kept."""
    if not isinstance(hyper, dict):
        raise ValueError(f"{where} must be an object")
    names = target.hyper_names()
    args = {}
    for name, value in hyper.items():
        if name not in names:
            raise Unsupported(f"{target.name} has no hyperparameter {name!r} for {target.family}")
        if isinstance(value, bool):
            args[name] = value
        elif isinstance(value, (int, float)):
            args[name] = float(value)
        else:
            raise ValueError(f"{where}.{name} must be a number or a boolean, got {json.dumps(value)}")
        if name in target.fixed and args[name] != target.fixed[name]:
            raise Unsupported(f"{target.name} takes no {name}: it is pinned at {json.dumps(target.fixed[name])}")
    return args


# --- State -----------------------------------------------------------------------------------


def fresh_value(target, name, in_force):
    start = target.spec.fresh.get(name, 0.0)
    return float(in_force[start]) if isinstance(start, str) else start


def load_state(optimizer, p, target, wire_state, in_force, dtype):
    """Start from the case's state, held the way the class holds it (its Layout)."""
    if not isinstance(wire_state, dict):
        raise ValueError("state must be null or an object")
    step = wire_state.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError("state.step must be an integer >= 0")
    layout, n = target.layout, p.numel()
    names = target.spec.state_names(in_force)
    for name in wire_state:
        if name != "step" and name not in names:  # as the reference does: ignore it, but say so
            log(f"torch_optim: ignoring state.{name}: {target.family} keeps no {name} with these hyperparameters")
    arrays = {}
    for name in names:
        if name in wire_state:
            arrays[name] = decode_array(wire_state[name], f"state.{name}", n)
        elif step == 0:
            arrays[name] = torch.full((n,), fresh_value(target, name, in_force), dtype=torch.float64)  # NOTE-2
        else:
            raise ValueError(f"state.{name} is missing (state.step = {step})")

    fresh = all(bool(a.eq(fresh_value(target, k, in_force)).all() and not a.signbit().any()) for k, a in arrays.items())
    if step == 0 and (fresh or (layout.counter is None and not target.spec.counts)):
        # A fresh optimizer (NOTE-2): nothing to load. SGD's buffer has no effect at t = 0 (PROTO-5):
        # its first step sets it to the gradient, as a class without a counter knows it by an empty state.
        return
    if layout.foreign or not layout.returns_state:
        what = f"keeps {', '.join(layout.foreign)}, which optconf cannot supply" if layout.foreign else \
            f"keeps no {', '.join(layout.missing)}"
        raise Unsupported(f"{target.name} {what} (see --state-map), so a case from step {step} cannot be loaded")
    if layout.counter is None and target.spec.counts:
        raise Unsupported(f"{target.name} keeps no step counter optconf can set, so a case from step {step} cannot be loaded")
    state = dict(optimizer.state.get(p, {}))  # what the class made in its constructor (Adagrad's sum)
    for name, values in arrays.items():
        key = layout.state_key(name)
        if name in layout.scalars:
            if values.numel() and not bool(values.eq(values[0]).all()):
                raise ValueError(f"state.{name} must hold one value in every element: {target.name} keeps one number")
            state[key] = torch.tensor(float(values[0]), dtype=layout.scalars[name])
        else:
            state[key] = values.to(dtype)
    if layout.counter is not None:
        c = layout.counter
        state[layout.state_key("step")] = step if c is int else float(step) if c is float else torch.tensor(float(step), dtype=c)
    optimizer.state[p] = state


def read_state(optimizer, p, target, names, step, encode, dtype):
    """The state after a step under the protocol names: `step` an int, arrays written by `encode`.

    `step` is the class's own counter where it keeps one (a float32 tensor for Adam, an int for
    RMSprop), so a counter that stops counting shows up; SGD keeps none, so we report the steps we took.
    """
    layout, state = target.layout, optimizer.state[p]
    counter = state.get(layout.state_key("step"), step) if layout.counter is not None else step
    out = {"step": int(counter.item()) if isinstance(counter, torch.Tensor) else int(counter)}
    for name in names:
        value = state.get(layout.state_key(name))
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{target.name} keeps no tensor {layout.state_key(name)!r} in its state after the step")
        if name in layout.scalars:  # one number (PyTorch's float32 μ product), n elements in the dtype (NADAM-3)
            value = value.reshape(()).to(dtype).expand(p.numel())
        out[name] = encode(value)
    return out


# --- One case ------------------------------------------------------------------------------


def check_asked(target, msg):
    """Unsupported unless the case asks for what this target runs: its variant and dtype."""
    family = msg["optimizer"]
    variant = msg.get("variant")
    asked = None if variant in (None, "", family) else variant.split("/", 1)[-1] if isinstance(variant, str) else variant
    if asked != target.variant and asked is not None:
        computes = f"the variant {target.variant!r}" if target.variant else f"only the canonical {family}"
        raise Unsupported(f"{target.name} implements {computes}, not the variant {variant!r}")
    if msg["dtype"] not in target.dtypes:
        raise Unsupported(f"{target.name} on torch {torch.__version__} (CPU) cannot run {family} in {msg['dtype']}")


def run_case(msg):
    target = TARGETS[msg["optimizer"]]  # handle() answered `unsupported` to any other family
    check_asked(target, msg)
    dtype = getattr(torch, msg["dtype"])

    start = msg["state"].get("step", 0) if isinstance(msg["state"], dict) else 0
    limit = target.layout.counter_limit()
    if limit is not None and isinstance(start, int) and start + len(msg["steps"]) > limit:
        raise Unsupported(f"{target.name} counts {target.family} steps in a {target.layout.counter_kind()}, which stops at "
                          f"2**{limit.bit_length() - 1} = {limit}; this case reaches step {start + len(msg['steps'])}")

    hyper = arguments(target, msg["hyper"], "hyper")
    values = decode_array(msg["params"], "params")
    encode = tensor_encoder(msg)
    steps = msg["steps"]
    if not isinstance(steps, list) or not steps:
        raise ValueError("steps must be a non-empty array")
    grads = []
    overrides = []
    for k, s in enumerate(steps):
        if not isinstance(s, dict) or "grad" not in s:
            raise ValueError(f"steps[{k}] must be an object with grad")
        grads.append(decode_array(s["grad"], f"steps[{k}].grad", values.numel()))
        overrides.append(arguments(target, s.get("hyper", {}), f"steps[{k}].hyper"))

    # The parameter: a leaf tensor of the case's dtype (every value is exact in it).
    p = values.to(dtype).clone().requires_grad_(True)
    optimizer = target.construct([p], hyper)
    group = optimizer.param_groups[0]
    # The state names depend on the first step's hyperparameters (PROTO-5).
    in_force = {**target.hyper_names(), **target.fixed, **hyper, **overrides[0]}
    names = target.spec.state_names(in_force)

    step = 0
    if msg["state"] is not None:
        target.apply_to_group(group, overrides[0])
        load_state(optimizer, p, target, msg["state"], in_force, dtype)
        step = msg["state"]["step"]

    results = []
    for grad, override in zip(grads, overrides):
        p.grad = grad.to(dtype).clone()  # a fresh tensor each step (foreach may write into it)
        target.apply_to_group(group, override)  # from this step on
        optimizer.step()
        step += 1
        result = {"params": encode(p)}
        if target.layout.returns_state:
            result["state"] = read_state(optimizer, p, target, names, step, encode, dtype)
        results.append(result)
    return results


# --- Capabilities --------------------------------------------------------------------------

PROBE_STEPS = 8  # RAdam rectifies from step 6 on: both of its branches run


FAILED = object()  # probe: the optimizer raised in a dtype torch runs (its cases will report the error)


def probe(target, dtype):
    """The state after steps of `target` with every option on in `dtype`.

    None where torch itself does not implement an operation in the dtype (1.13's CPU kernels: '"addcmul_cpu_out"
    not implemented for 'Half''): the dtype is not offered. FAILED where the optimizer raised anything else --
    a bug of its own, say, met in that dtype only: the dtype is offered all the same, so that its cases
    report the error and the check fails naming it, rather than the dtype vanishing from hello unseen.
    """
    try:
        p = torch.ones(2, dtype=dtype, requires_grad=True)
        hyper = {k: v for k, v in target.spec.probe.items() if k not in target.fixed}
        optimizer = target.construct([p], {k: float(v) if not isinstance(v, bool) else v for k, v in hyper.items()})
        for _ in range(PROBE_STEPS):
            p.grad = torch.ones(2, dtype=dtype)
            optimizer.step()
        return optimizer.state[p]
    except Exception as e:
        if isinstance(e, RuntimeError) and "not implemented for '" in str(e):
            log(f"torch_optim: {target.name} in {dtype} not supported: {type(e).__name__}: {e}")
            return None
        log(f"torch_optim: {target.name} failed in {dtype}: {type(e).__name__}: {e} (its cases will report it)")
        return FAILED


def hello_reply():
    supports = []
    for t in TARGETS.values():
        entry = {"optimizer": t.family, "dtypes": t.dtypes}
        if t.fixed:
            entry["fixed"] = t.fixed
        if not t.layout.returns_state:
            entry["returnsState"] = False
        supports.append(entry)
    path = "foreach" if FOREACH else "single-tensor"
    name = f"torch {torch.__version__} ({path})" if not CLASS_MODE else f"{next(iter(TARGETS.values())).name} on torch {torch.__version__}"
    return {"op": "hello", "protocol": PROTOCOL, "implementation": name, "supports": supports, "base64Arrays": True}


# --- Your own class (--class MODULE:CLASS --family FAMILY) ---------------------------------


class StartupError(Exception):
    """A command line or class this adapter cannot run: one line on stderr, exit status 2."""


def is_file_path(module_name):
    return module_name.endswith(".py") or os.sep in module_name


def not_found(where, module_name, missing):
    """A StartupError when the module found missing is MODULE itself or a package above it, else None."""
    if missing and (module_name == missing or module_name.startswith(missing + ".")):
        return StartupError(f"--class {where}: module {module_name} not found (PYTHONPATH={os.environ.get('PYTHONPATH', '')!r})")
    return None


def locate_class(where):
    """MODULE and CLASS of MODULE:CLASS, once MODULE is known to exist: found without running it, before torch is imported."""
    module_name, colon, class_name = where.rpartition(":")
    if not colon or not module_name or not class_name:
        raise StartupError(f"--class {where!r}: expected MODULE:CLASS, e.g. mypkg.optim:MyAdam or path/to/my_adam.py:MyAdam")
    if is_file_path(module_name):
        if not os.path.isfile(os.path.abspath(module_name)):
            raise StartupError(f"--class {where}: module file {module_name} not found")
        return module_name, class_name
    try:
        missing = None if importlib.util.find_spec(module_name) else module_name  # runs the packages above it, not the module
    except ModuleNotFoundError as e:
        missing = e.name
    except Exception:  # a package above it fails: import_class says how
        missing = None
    error = not_found(where, module_name, missing)
    if error:
        raise error
    return module_name, class_name


def import_class(where, module_name, class_name):
    """The class named by MODULE:CLASS (located), MODULE a dotted module on PYTHONPATH or a path to a .py file."""
    try:
        if is_file_path(module_name):
            path = os.path.abspath(module_name)
            sys.path.insert(0, os.path.dirname(path))  # so that it imports its neighbours as a script would
            name = os.path.splitext(os.path.basename(path))[0]
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        error = not_found(where, module_name, e.name)
        if error:
            raise error from None
        raise StartupError(f"--class {where}: importing {module_name} failed: {e}") from None
    except Exception as e:  # its own code failed: say so in one line
        raise StartupError(f"--class {where}: importing {module_name} failed: {type(e).__name__}: {e}") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise StartupError(f"--class {where}: module {module_name} has no class {class_name}")
    if not (inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)):
        raise StartupError(f"--class {where}: {class_name} is not a torch.optim.Optimizer subclass")
    return cls


def parse_map(entries, option, known):
    """`ours=theirs` entries: optconf's name (PROTO-7) = the class's name."""
    mapping = {}
    for entry in entries:
        ours, eq, theirs = entry.partition("=")
        if not eq or not ours.isidentifier() or not theirs.isidentifier():
            raise StartupError(f"{option} {entry!r}: expected OURS=THEIRS, optconf's name = your class's name (e.g. exp_avg=m)")
        if ours not in known:
            raise StartupError(f"{option} {entry!r}: {ours!r} is not one of optconf's names here ({', '.join(known)})")
        mapping[ours] = theirs
    return mapping


def constructor_keywords(cls):
    """The keyword arguments cls(params, …) takes; None when it takes any (**kwargs)."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]  # self
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in parameters if p.kind in keyword}


def class_target(args):
    """A Target for the user's class: pins for what its constructor lacks (PROTO-4)."""
    if args.family not in FAMILIES:
        raise StartupError(f"--family {args.family!r}: unknown family; optconf has {', '.join(FAMILIES)}")
    family = FAMILIES[args.family]
    variant = None
    if args.variant is not None:
        variant = args.variant.split("/", 1)[1] if args.variant.startswith(args.family + "/") else args.variant
        if variant not in family.variants:
            raise StartupError(f"--variant {args.variant!r}: {args.family} has no such variant ({', '.join(family.variants) or 'none'})")
    names = {**family.hyper, **family.variants.get(variant, {})}
    hyper_keys = parse_map(args.hyper_map, "--hyper-map", list(names))
    if len({"beta1", "beta2"} & set(hyper_keys)) == 1:  # one of PyTorch's pair: the other has no place
        raise StartupError("--hyper-map: map both beta1 and beta2 (your class takes them apart), or neither (it takes betas)")
    state_keys = parse_map(args.state_map, "--state-map", ["step"] + [n for n, _ in family.states])
    module_name, class_name = locate_class(args.cls)
    import_torch()  # only now: every mistake above is reported without it
    cls = import_class(args.cls, module_name, class_name)
    layout = Layout(counter=None, hyper_keys=hyper_keys, state_keys=state_keys)
    keywords = constructor_keywords(cls)
    fixed = {}
    for name, default in names.items():
        key = layout.hyper_key(name)
        if keywords is None or (key[0] if isinstance(key, tuple) else key) in keywords:
            continue
        if default is None:
            raise StartupError(f"{cls.__name__}'s constructor takes no {name} (or --hyper-map {name}=…), "
                               f"and {args.family}'s {name} has no default to pin it at")
        fixed[name] = default
    if FOREACH and keywords is not None and "foreach" not in keywords:
        raise StartupError(f"--foreach: {cls.__name__}'s constructor takes no foreach argument")
    name = f"{args.cls}" + (f" ({args.family}/{variant})" if variant else f" ({args.family})")
    return Target(args.family, cls, layout, name, fixed=fixed, takes_foreach=FOREACH, variant=variant)


def learn_layout(target, state):
    """How the class holds its state, from what it stored after the probe's steps (its Layout)."""
    layout = target.layout
    counter = state.get(layout.state_key("step"))
    if isinstance(counter, torch.Tensor) and counter.numel() == 1:
        layout.counter = counter.dtype
    elif isinstance(counter, (int, float)) and not isinstance(counter, bool):
        layout.counter = type(counter)
    in_force = {**target.spec.hyper, **target.spec.probe, **target.fixed}
    names = target.spec.state_names(in_force)
    for name in names:
        value = state.get(layout.state_key(name))
        if isinstance(value, torch.Tensor) and value.dim() == 0:  # one number per parameter, as NAdam's μ product
            layout.scalars[name] = value.dtype
    mapped = {layout.state_key(n) for n, _ in target.spec.states} | {layout.state_key("step")}
    layout.foreign = sorted(str(k) for k, v in state.items() if k not in mapped and v is not None)
    missing = layout.missing = [layout.state_key(n) for n in names if layout.state_key(n) not in state]
    if missing:
        layout.returns_state = False
        log(f"torch_optim: {target.name} keeps no {', '.join(missing)} (its state: {', '.join(map(str, state)) or 'none'}); "
            f"checking whole trajectories without state, and no case from a given state (map names with --state-map)")
    if layout.foreign:
        log(f"torch_optim: {target.name} keeps {', '.join(layout.foreign)}, which optconf cannot supply: "
            f"cases from a given state are answered `unsupported`")


def builtin_targets():
    return {f: Target(f, cls, layout, f"torch.optim.{cls.__name__}") for f, (cls, layout) in torch_optim().items()}


# --- The loop ------------------------------------------------------------------------------


def send(message):
    # allow_nan=False: a NaN that escaped encode_number is a bug here, not something to emit.
    sys.stdout.write(json.dumps(message, allow_nan=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def keep_negative_zero(text):
    # JSON has one number type. Python reads `-0` as the int 0 and would lose the sign; keep it.
    return -0.0 if text == "-0" else int(text)


def handle(msg):
    """The reply to one parsed message (not `bye`, which ends the loop)."""
    if not isinstance(msg, dict):
        return {"op": "error", "id": None, "message": "a message must be a JSON object"}
    op = msg.get("op")
    mid = msg.get("id") if isinstance(msg.get("id"), str) else None
    if op == "hello":
        if msg.get("protocol") != PROTOCOL:
            return {"op": "error", "id": None, "message": f"unsupported protocol {msg.get('protocol')!r}; this speaks {PROTOCOL}"}
        return hello_reply()
    if op != "run":
        return {"op": "error", "id": mid, "message": f"unknown op {op!r}; expected hello, run or bye"}
    missing = [k for k in ("id", "optimizer", "dtype", "hyper", "params", "state", "steps") if k not in msg]
    if missing or mid is None:
        return {"op": "error", "id": mid, "message": f"malformed run message: missing {', '.join(missing) or 'a string id'}"}
    try:
        if msg["optimizer"] not in TARGETS:
            raise Unsupported(f"no optimizer for {msg['optimizer']!r} here; this adapter runs {', '.join(TARGETS)}")
        return {"op": "result", "id": mid, "steps": run_case(msg)}
    except Unsupported as e:
        return {"op": "unsupported", "id": mid, "reason": str(e)}
    except Exception as e:  # a bad case or a torch error: report it, keep serving
        log(f"torch_optim: case {mid}: {type(e).__name__}: {e}")
        return {"op": "error", "id": mid, "message": f"{type(e).__name__}: {e}"}


USAGE = ("usage: torch_optim.py [--foreach] [--class MODULE:CLASS --family FAMILY [--variant NAME] "
         "[--state-map OURS=THEIRS ...] [--hyper-map OURS=THEIRS ...]]")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        raise StartupError(f"{message} ({USAGE})")


def parse_args(argv):
    parser = OneLineParser(prog="torch_optim.py", add_help=False)
    parser.add_argument("--foreach", action="store_true")
    parser.add_argument("--class", dest="cls")
    parser.add_argument("--family")
    parser.add_argument("--variant")
    parser.add_argument("--state-map", nargs="+", action="extend", default=[])
    parser.add_argument("--hyper-map", nargs="+", action="extend", default=[])
    args = parser.parse_args(argv)
    if args.cls is None and (args.family or args.variant or args.state_map or args.hyper_map):
        raise StartupError("--family, --variant, --state-map and --hyper-map go with --class MODULE:CLASS")
    if args.cls is not None and args.family is None:
        raise StartupError(f"--class {args.cls}: which family does it implement? add --family ({', '.join(FAMILIES)})")
    return args


def start(argv):
    """The targets this process runs, probed: the dtypes each really runs, and a class's layout."""
    global FOREACH, CLASS_MODE
    args = parse_args(argv)
    FOREACH, CLASS_MODE = args.foreach, args.cls is not None
    if not CLASS_MODE:
        import_torch()
        targets = builtin_targets()
        for t in targets.values():
            t.dtypes = [name for name in DTYPES if probe(t, getattr(torch, name)) is not None]
        return targets
    target = class_target(args)
    learnt = False
    for name in DTYPES:
        state = probe(target, getattr(torch, name))
        if state is None:
            continue
        if state is not FAILED and not learnt:
            learn_layout(target, state)
            learnt = True
        target.dtypes.append(name)
    if not learnt:
        raise StartupError(f"{target.name} did not run {PROBE_STEPS} steps in any dtype (the errors are above)")
    return {target.family: target}


def main(argv):
    global TARGETS
    try:
        TARGETS = start(argv)
    except StartupError as e:
        log(f"torch_optim.py: {e}")
        return 2

    # One message a line; one reply a line. `bye` or the end of stdin ends the process.
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line, parse_int=keep_negative_zero)
        except ValueError as e:
            send({"op": "error", "id": None, "message": f"not JSON: {e}"})
            continue
        if isinstance(msg, dict) and msg.get("op") == "bye":
            break
        send(handle(msg))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
