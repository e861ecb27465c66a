#!/usr/bin/env python3
"""An optconf/1 implementation for torch.optim (SGD, Adam, AdamW, RMSprop).

The runner starts this file as a command, writes one JSON message per line to its stdin and
reads one JSON reply per line from its stdout (spec/protocol.md). Everything else -- warnings,
tracebacks, progress -- goes to stderr, which the runner keeps as a log.

    python3 torch_optim.py             # torch.optim's default single-tensor code path
    python3 torch_optim.py --foreach   # the foreach (multi-tensor) code path instead

Copy this file as the starting point for an adapter of your own: `main` is the hello/run/bye
loop, `run_case` is the only part that knows about torch. Standard library and torch only.

Written against PyTorch 1.13 (CPU). The state it loads mirrors what 1.13 itself keeps: Adam and
AdamW count steps in a float32 scalar tensor, RMSprop in a Python int, SGD not at all. A float32
counter stops counting at 2**24 (16777217 rounds to 16777216), after which Adam's bias corrections
use a stale t: visibly wrong in float64 with beta near 1, and a wrong state.step in every dtype. So
Adam and AdamW cases that would count past 2**24 are answered `unsupported` (spec/notation.md NOTE-1).
"""

import array
import base64
import binascii
import json
import math
import sys

import torch

PROTOCOL = "optconf/1"

DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}

# Each optimizer family under its protocol name: the torch.optim class and its hyperparameters
# (protocol name -> constructor argument). beta1 and beta2 travel as PyTorch's `betas` pair.
FAMILIES = {
    "sgd": (torch.optim.SGD, ["lr", "momentum", "dampening", "weight_decay", "nesterov"]),
    "rmsprop": (torch.optim.RMSprop, ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"]),
    "adam": (torch.optim.Adam, ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"]),
    "adamw": (torch.optim.AdamW, ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"]),
}

# Adam's and AdamW's float32 step counter counts exactly up to here (NOTE-1).
FLOAT32_COUNTER_LIMIT = 2 ** 24

# Set by --foreach: which of torch.optim's two code paths is checked.
FOREACH = False


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

BASE64_DTYPES = {"float32": ("f", torch.float32), "float64": ("d", torch.float64)}


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
    code, dtype = BASE64_DTYPES[name]
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
    code, dtype = BASE64_DTYPES[name]
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


# --- Hyperparameters and state -------------------------------------------------------------


def torch_arguments(family, hyper, where):
    """Protocol hyperparameters -> keyword arguments of the torch.optim class (or of a param group)."""
    _, names = FAMILIES[family]
    if not isinstance(hyper, dict):
        raise ValueError(f"{where} must be an object")
    args = {}
    for name, value in hyper.items():
        if name not in names:
            raise Unsupported(f"torch.optim has no hyperparameter {name!r} for {family}")
        if isinstance(value, bool):
            args[name] = value
        elif isinstance(value, (int, float)):
            args[name] = float(value)
        else:
            raise ValueError(f"{where}.{name} must be a number or a boolean, got {json.dumps(value)}")
    return args


def apply_to_group(group, args):
    """Per-step overrides (a learning-rate schedule): change the param group in place."""
    for name, value in args.items():
        if name == "beta1":
            group["betas"] = (value, group["betas"][1])
        elif name == "beta2":
            group["betas"] = (group["betas"][0], value)
        else:
            group[name] = value


def state_names(family, group):
    """The per-element state arrays torch.optim keeps for these hyperparameters."""
    if family == "sgd":
        return ["momentum_buffer"] if group["momentum"] != 0 else []
    if family == "rmsprop":
        return (["square_avg"]
                + (["momentum_buffer"] if group["momentum"] > 0 else [])
                + (["grad_avg"] if group["centered"] else []))
    return ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])


def load_state(optimizer, p, family, wire_state, dtype):
    """Start from the case's state, held the way PyTorch 1.13 holds it."""
    if not isinstance(wire_state, dict):
        raise ValueError("state must be null or an object")
    step = wire_state.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError("state.step must be an integer >= 0")
    n = p.numel()
    names = state_names(family, optimizer.param_groups[0])
    for name in wire_state:
        if name != "step" and name not in names:  # as the reference does: ignore it, but say so
            log(f"torch_optim: ignoring state.{name}: {family} keeps no {name} with these hyperparameters")
    arrays = {}
    for name in names:
        if name in wire_state:
            arrays[name] = decode_array(wire_state[name], f"state.{name}", n).to(dtype)
        elif step == 0:
            arrays[name] = torch.zeros(n, dtype=dtype)  # a step-0 state may leave arrays out: zeros
        else:
            raise ValueError(f"state.{name} is missing (state.step = {step})")

    if family == "sgd":
        # SGD keeps no step counter. Before the first step there is no buffer at all: the first
        # step sets it to the gradient, whatever state came in.
        state = {"momentum_buffer": arrays["momentum_buffer"]} if names and step >= 1 else {}
    elif family == "rmsprop":
        state = {"step": step, **arrays}  # 1.13: a Python int (2.x: a tensor)
    else:
        state = {"step": torch.tensor(float(step), dtype=torch.float32), **arrays}  # 1.13 Adam/AdamW
    if state:
        optimizer.state[p] = state


def read_state(optimizer, p, step, encode):
    """The state after a step under the protocol names: `step` an int, arrays written by `encode`.

    `step` is torch's own counter where it keeps one (Adam's float32 tensor, RMSprop's int), so
    a counter that stops counting shows up; SGD keeps none, so we report the steps we took.
    """
    state = optimizer.state[p]
    counter = state.get("step", step)
    out = {"step": int(counter.item()) if isinstance(counter, torch.Tensor) else int(counter)}
    for name, value in state.items():
        if name != "step" and isinstance(value, torch.Tensor):  # SGD stores None without momentum
            out[name] = encode(value)
    return out


# --- One case ------------------------------------------------------------------------------


def run_case(msg):
    family = msg["optimizer"]
    if family not in FAMILIES:
        raise Unsupported(f"no torch.optim optimizer for {family!r}; this adapter has {', '.join(FAMILIES)}")
    variant = msg.get("variant")
    if variant not in (None, "", family):
        raise Unsupported(f"torch.optim implements only the canonical {family}, not the variant {variant!r}")
    if msg["dtype"] not in SUPPORTED.get(family, []):
        raise Unsupported(f"torch {torch.__version__} on CPU cannot run {family} in {msg['dtype']}")
    dtype = DTYPES[msg["dtype"]]

    start = msg["state"].get("step", 0) if isinstance(msg["state"], dict) else 0
    if family in ("adam", "adamw") and isinstance(start, int) and start + len(msg["steps"]) > FLOAT32_COUNTER_LIMIT:
        raise Unsupported(f"torch {torch.__version__} counts {family} steps in a float32 tensor, which stops at 2**24 = "
                          f"{FLOAT32_COUNTER_LIMIT}; this case reaches step {start + len(msg['steps'])}")

    cls, _ = FAMILIES[family]
    args = torch_arguments(family, msg["hyper"], "hyper")
    if "beta1" in args or "beta2" in args:
        args["betas"] = (args.pop("beta1", 0.9), args.pop("beta2", 0.999))

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
        overrides.append(torch_arguments(family, s.get("hyper", {}), f"steps[{k}].hyper"))

    # The parameter: a leaf tensor of the case's dtype (every value is exact in it).
    p = values.to(dtype).clone().requires_grad_(True)
    optimizer = cls([p], foreach=FOREACH, **args)
    group = optimizer.param_groups[0]

    step = 0
    if msg["state"] is not None:
        apply_to_group(group, overrides[0])  # the state names depend on the first step's hyperparameters
        load_state(optimizer, p, family, msg["state"], dtype)
        step = msg["state"]["step"]

    results = []
    for grad, override in zip(grads, overrides):
        p.grad = grad.to(dtype).clone()  # a fresh tensor each step (foreach may write into it)
        apply_to_group(group, override)  # from this step on
        optimizer.step()
        step += 1
        results.append({"params": encode(p), "state": read_state(optimizer, p, step, encode)})
    return results


# --- Capabilities --------------------------------------------------------------------------


def probe(family, dtype):
    """Whether one step of `family` with every option on runs in `dtype` on this build."""
    everything = {
        "sgd": {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.5},
        "rmsprop": {"momentum": 0.5, "centered": True, "weight_decay": 0.5},
        "adam": {"amsgrad": True, "weight_decay": 0.5},
        "adamw": {"amsgrad": True},
    }[family]
    try:
        p = torch.ones(2, dtype=dtype, requires_grad=True)
        optimizer = FAMILIES[family][0]([p], foreach=FOREACH, **everything)
        for _ in range(2):
            p.grad = torch.ones(2, dtype=dtype)
            optimizer.step()
        return True
    except RuntimeError as e:  # e.g. 1.13: "addcmul_cpu_out" not implemented for 'Half'
        log(f"torch_optim: {family} in {dtype} not supported: {e}")
        return False


SUPPORTED = {}  # family -> dtype names, filled in at start-up by probing


def hello_reply():
    supports = [{"optimizer": f, "dtypes": SUPPORTED[f]} for f in FAMILIES]
    path = "foreach" if FOREACH else "single-tensor"
    return {"op": "hello", "protocol": PROTOCOL, "implementation": f"torch {torch.__version__} ({path})",
            "supports": supports, "base64Arrays": True}


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
        return {"op": "result", "id": mid, "steps": run_case(msg)}
    except Unsupported as e:
        return {"op": "unsupported", "id": mid, "reason": str(e)}
    except Exception as e:  # a bad case or a torch error: report it, keep serving
        log(f"torch_optim: case {mid}: {type(e).__name__}: {e}")
        return {"op": "error", "id": mid, "message": f"{type(e).__name__}: {e}"}


def main(argv):
    global FOREACH
    for arg in argv:
        if arg == "--foreach":
            FOREACH = True
        else:
            log(f"usage: torch_optim.py [--foreach]   (unknown argument {arg!r})")
            return 2
    for family in FAMILIES:
        SUPPORTED[family] = [name for name, dtype in DTYPES.items() if probe(family, dtype)]

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
