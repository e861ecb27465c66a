/**
 * NOTE-4, NOTE-5: exact-tie, near-tie and cancellation generators for the six families of issue 12
 * — Adagrad, Adadelta, Adamax, NAdam, RAdam, Lion — and each named variant, in every dtype. Each
 * case is derived by hand from the family's clauses (the derivation is beside it); none carries an
 * expected value: correct-rounding.test.ts decides every output with the decimal.js oracle
 * (oracle.ts: exact ties at 1,200 digits; near ties and cancellations screened at 300 and 400
 * digits, at 1,200 where those disagree or a value comes near a boundary), and its tie and near-tie
 * counts confirm each case lands where its derivation says.
 *
 * Notation for a dtype of p significand bits: 1 − 2^−(p+1) is the tie between 1 − 2^−p and 1
 * (→ 1, the even one); odd = 1 + 2^(1−p) has an odd significand, so odd + 2^−p is the tie between
 * odd and 1 + 2^(2−p) (→ the even 1 + 2^(2−p)), and a value just below it rounds to odd, which a
 * 50-digit evaluation that sees the tie gets wrong (the near ties here lie 2^−200 or closer to
 * their tie, relative, below 50 digits in every dtype); tiny = 2^(emin−p+1), half of it the tie
 * between 0 and tiny (→ +0).
 */
import { FORMATS, minSubnormal, roundDoubleToDtype, type Dtype } from '../../reference/dtype.ts';
import type { Family, OptimizerDef } from '../../reference/registry.ts';
import type { CaseInput } from '../../reference/trajectory.ts';

/** The three kinds of generated case of a family, each for one definition (canonical or variant) and dtype. */
export interface TieGenerators {
  exactTies(d: OptimizerDef, dtype: Dtype): CaseInput[];
  nearTies(d: OptimizerDef, dtype: Dtype): CaseInput[];
  cancellations(d: OptimizerDef, dtype: Dtype): CaseInput[];
}

/** The dtype constants the derivations use: p, 2^−p, odd = 1 + 2^(1−p), tiny. */
function dtypeParts(dtype: Dtype) {
  const p = FORMATS[dtype].precision;
  return { p, ulpBelowOne: 2 ** -p, odd: 1 + 2 ** (1 - p), tiny: minSubnormal(dtype) };
}

/**
 * A one-element case: `grads` one per step, from a fresh optimizer or from `state` (the step count
 * and one value per state name).
 */
function oneElement(hyper: Record<string, unknown>, grads: number[], param = 1, state?: Record<string, number>): CaseInput {
  const st = state === undefined ? null : Object.fromEntries(Object.entries(state).map(([k, v]) => [k, k === 'step' ? v : [v]]));
  return { hyper, params: [param], state: st, steps: grads.map((g) => ({ grad: [g] })) };
}

/**
 * ADAGRAD-1 … ADAGRAD-5. With ε = 0 the first direction is g′/√(g′²) = ±1; ε = 1 outside the root
 * (√1 + 1) or ε = 3 inside it (√(1 + 3)) makes it ½. Exact ties: θ = 1 − lr·d = 1 − 2^−(p+1);
 * ADAGRAD-2 at t = 2 with lr_decay = 1 halves lr, from sum₁ = 3 and g′ = 0.5 + 0.5·θ = 1 (L2):
 * sum = 4, d = ½, 2^−(p−1)/2·½; initial_accumulator_value = 3 with g = 1 gives d = ½ from the
 * first step, so lr = tiny halves θ = tiny. Near tie: ε = 2^−200 makes d = −1/(1 + 2^−200)
 * (−1/√(1 + 2^−200) inside), odd + 2^−p·|d| just below the tie. Cancellations: θ = lr = 1,
 * ε = 2^−200: 1 − 1/(1 + 2^−200) ≈ 2^−200; and θ = lr/(1 + lr_decay) = ⅓ rounded to the dtype,
 * the step size an inexact quotient.
 */
const adagrad: TieGenerators = {
  exactTies: (d, dtype) => {
    const { p, tiny } = dtypeParts(dtype);
    const inside = d.name === 'adagrad/eps-inside-sqrt';
    return [
      oneElement({ lr: 2 ** -(p + 1), eps: 0 }, [1]),
      oneElement({ lr: 2 ** -p, eps: inside ? 3 : 1 }, [1]),
      oneElement({ lr: 2 ** -(p - 1), lr_decay: 1, weight_decay: 0.5, eps: 0 }, [0.5], 1, { step: 1, sum: 3 }),
      oneElement({ lr: tiny, eps: 0, initial_accumulator_value: 3 }, [1], tiny),
    ];
  },
  nearTies: (_d, dtype) => {
    const { p, odd } = dtypeParts(dtype);
    return [oneElement({ lr: 2 ** -p, eps: 2 ** -200 }, [-1], odd)];
  },
  cancellations: (_d, dtype) => [
    oneElement({ lr: 1, eps: 2 ** -200 }, [1]),
    oneElement({ lr: 1, lr_decay: 2, eps: 0 }, [1], roundDoubleToDtype(1 / 3, dtype), { step: 1, sum: 0 }),
  ],
};

/**
 * ADADELTA-1 … ADADELTA-5. From u = 0 with ρ = ε = ¼ and g′ = 1 (g = 0.5 plus 0.5·θ, L2):
 * v = ¾, Δ = √¼/√(¾ + ¼) = ½ exactly; from a state u = ¾, v = 6.5 with ρ = ½: v = 3.75,
 * Δ = √1/√4 = ½. So θ − 2^−p·Δ = 1 − 2^−(p+1), and lr = tiny halves θ = tiny. Near tie: ρ = ¾,
 * ε = 2^−400, g = −1: Δ = −2^−200/√(¼ + 2^−400) = −2^−199·(1 − 2^−399 + …), and lr = 2^(199−p) puts
 * odd + lr·|Δ| just below the tie. Cancellation: θ = g = s, lr = ε = 1, ρ = ¼: θ − s/√(1 + ¾s²)
 * ≈ ⅜s³, the leading terms cancelling (2^−600 relative in float64).
 */
const adadelta: TieGenerators = {
  exactTies: (_d, dtype) => {
    const { p, tiny } = dtypeParts(dtype);
    return [
      oneElement({ lr: 2 ** -p, rho: 0.25, eps: 0.25, weight_decay: 0.5 }, [0.5]),
      oneElement({ lr: 2 ** -p, rho: 0.5, eps: 0.25 }, [1], 1, { step: 1, square_avg: 6.5, acc_delta: 0.75 }),
      oneElement({ lr: tiny, rho: 0.25, eps: 0.25 }, [1], tiny),
    ];
  },
  nearTies: (_d, dtype) => {
    const { p, odd } = dtypeParts(dtype);
    return [oneElement({ lr: 2 ** (199 - p), rho: 0.75, eps: 2 ** -400 }, [-1], odd)];
  },
  cancellations: (_d, dtype) => {
    const s = { float64: 2 ** -300, float32: 2 ** -40, bfloat16: 2 ** -40, float16: 2 ** -7 }[dtype];
    return [oneElement({ lr: 1, rho: 0.25, eps: 1 }, [s], s)];
  },
};

/**
 * ADAMAX-1 … ADAMAX-5. β₁ = ½, ε = 0, g′ = 0.5 + 0.5·θ = 1: m = ½, u = 1, θ − lr/(1 − ½)·½ = θ − lr.
 * β₁ = 0, β₂ = ½, gradients 2 then ½: θ₁ = 1 − 2^−p exact, then u = max(½·2, ½) = 1 (the decayed
 * maximum wins) and θ₂ = θ₁ − 2^−(p+1), the tie between 1 − 2^−p and 1 − 2^(1−p) (→ the even
 * 1 − 2^(1−p)). β₁ = ½, ε = 1, g = 1: m/u = ½/2 in the norm (ADAMAX-3) and ½/(1 + 1) after it
 * (ADAMAX-5), so lr = tiny halves θ = tiny. Near tie with the default β's: the step size
 * lr/(1 − β₁) is an inexact quotient, the direction (1 − β₁)·(−1)/(1 + 2^−200). Cancellation: θ = lr
 * = 1, ε = 2^−200, the default β₁: 1 − 1/(1 + 2^−200) through that quotient.
 */
const adamax: TieGenerators = {
  exactTies: (_d, dtype) => {
    const { p, tiny } = dtypeParts(dtype);
    return [
      oneElement({ lr: 2 ** -(p + 1), beta1: 0.5, eps: 0, weight_decay: 0.5 }, [0.5]),
      oneElement({ lr: 2 ** -p, beta1: 0, beta2: 0.5, eps: 0 }, [2, 0.5]),
      oneElement({ lr: tiny, beta1: 0.5, eps: 1 }, [1], tiny),
    ];
  },
  nearTies: (_d, dtype) => {
    const { p, odd } = dtypeParts(dtype);
    return [oneElement({ lr: 2 ** -p, eps: 2 ** -200 }, [-1], odd)];
  },
  cancellations: () => [oneElement({ lr: 1, eps: 2 ** -200 }, [1])],
};

/** NADAM-2: β₁ = 0 makes every μ 0 whatever ψ; ψ = 0 spares the oracle 0.96^(t·ψ) at 1,200 digits (about 1 s a case). */
const muZero = { beta1: 0, momentum_decay: 0 };

/**
 * NADAM-1 … NADAM-6, at the first step with β₂'s correction exact (v̂ = (1 − β₂)g²/(1 − β₂) = g²).
 * β₁ = 0: μ = Π = 0 and the update is θ − lr·g′/den (g′ = 0.5 + 0.5·θ = 1, L2; ε = 1 makes
 * den = 2, so lr = tiny halves θ = tiny). No schedule, β₁ = β₂ = ½, g = 1: μ = Π = ½,
 * θ − lr·(½/½)·1 − lr·(½/¾)·½ = θ − (4/3)·lr, a tie with lr = 3·2^−(p+3) (each quotient exact:
 * lr·½/¾ = 2^−(p+2)). The schedule with ψ = 0: μ = β₁·(1 − ½·0.96⁰) = ¼ at β₁ = ½,
 * θ − lr·(¾/¾) − lr·(¼/(15/16))·½ = θ − (17/15)·lr; lr = 15·2^−p and θ = 1 + 9·2^(1−p) leave
 * 1 + 2^−p, the tie between 1 and odd. Near ties: ε = 2^−200 divides the same updates by
 * 1 + 2^−200 (the last one then lands just above the tie 1 + 2^−p: correct is odd, the tie's even
 * side 1). Cancellations: θ = lr = 1 at β₁ = 0, ε = 2^−200; and, in float64, θ the first update
 * with the default β₁ and ψ rounded to a double, 53 bits cancelled through the irrational μ's (a
 * narrow dtype's θ would cancel only its p bits, and the oracle's 0.96^(t·ψ) costs about 1 s a case).
 */
const nadam: TieGenerators = {
  exactTies: (d, dtype) => {
    const { p, tiny } = dtypeParts(dtype);
    const momentum =
      d.name === 'nadam/no-schedule'
        ? oneElement({ lr: 3 * 2 ** -(p + 3), beta1: 0.5, beta2: 0.5, eps: 0 }, [1])
        : oneElement({ lr: 15 * 2 ** -p, beta1: 0.5, beta2: 0.5, eps: 0, momentum_decay: 0 }, [1], 1 + 9 * 2 ** (1 - p));
    return [oneElement({ lr: 2 ** -(p + 1), ...muZero, eps: 0, weight_decay: 0.5 }, [0.5]), oneElement({ lr: tiny, ...muZero, eps: 1 }, [1], tiny), momentum];
  },
  nearTies: (d, dtype) => {
    const { p, odd } = dtypeParts(dtype);
    const momentum =
      d.name === 'nadam/no-schedule'
        ? oneElement({ lr: 3 * 2 ** -(p + 2), beta1: 0.5, beta2: 0.5, eps: 2 ** -200 }, [-1], odd)
        : oneElement({ lr: 15 * 2 ** -p, beta1: 0.5, beta2: 0.5, eps: 2 ** -200, momentum_decay: 0 }, [1], 1 + 9 * 2 ** (1 - p));
    return [oneElement({ lr: 2 ** -p, ...muZero, eps: 2 ** -200 }, [-1], odd), momentum];
  },
  cancellations: (d, dtype) => [
    oneElement({ lr: 1, ...muZero, eps: 2 ** -200 }, [1]),
    ...(dtype === 'float64' ? [oneElement({ lr: 1, eps: 0 }, [1], nadamFirstUpdate(d))] : []),
  ],
};

/** NADAM-2, NADAM-3, NADAM-5 in doubles: the first update of lr = 1, g = 1, ε = 0 and the default β₁, ψ — close to, not equal to, the exact one. */
function nadamFirstUpdate(d: OptimizerDef): number {
  const [beta1, psi] = [0.9, 0.004];
  const mu = (t: number) => (d.name === 'nadam/no-schedule' ? beta1 : beta1 * (1 - 0.5 * 0.96 ** (t * psi)));
  const product = Math.fround(mu(1));
  return (1 - mu(1)) / (1 - product) + (mu(2) / (1 - product * mu(2))) * (1 - beta1);
}

/**
 * RADAM-1 … RADAM-8. ρ₁ = 1 and ρ₂ ≈ 2 are below both thresholds: the unrectified step θ − lr·m̂,
 * m̂ = (1 − β₁)g′/(1 − β₁) = g′ exactly at t = 1 (g′ = 0.5 + 0.5·θ = 1), and at t = 2 from m = 2 with
 * β₁ = ½: m̂ = 1.5/¾ = 2; lr = ½ halves θ = g = tiny. The rectified branch: at t = 1000 with β₂ = ¾
 * (ρ∞ = 7), m = −1 and v = 1 carried in, ρₜ = 7 − 2000·¾¹⁰⁰⁰/(1 − ¾¹⁰⁰⁰) and rₜ fall short of 7 and 1
 * by about 10⁻¹²², so the direction is −(1 − ~10⁻¹²²)·… (both ε placements agree at ε = 0): odd +
 * 2^−p·|d| a near tie below the tie, and θ = lr = 1 with m = 1 a cancellation to ~10⁻¹²²; the
 * unrectified t = 2 step with the default β₁ divides by the inexact 1 − β₁², θ its double.
 */
const radam: TieGenerators = {
  exactTies: (_d, dtype) => {
    const { p, tiny } = dtypeParts(dtype);
    return [
      oneElement({ lr: 2 ** -(p + 1), weight_decay: 0.5 }, [0.5]),
      oneElement({ lr: 2 ** -(p + 2), beta1: 0.5 }, [1], 1, { step: 1, exp_avg: 2, exp_avg_sq: 0 }),
      oneElement({ lr: 0.5 }, [tiny], tiny),
    ];
  },
  nearTies: (_d, dtype) => {
    const { p, odd } = dtypeParts(dtype);
    return [oneElement({ lr: 2 ** -p, beta1: 0.5, beta2: 0.75, eps: 0 }, [-1], odd, { step: 999, exp_avg: -1, exp_avg_sq: 1 })];
  },
  cancellations: (_d, dtype) => [
    oneElement({ lr: 1, beta1: 0.5, beta2: 0.75, eps: 0 }, [1], 1, { step: 999, exp_avg: 1, exp_avg_sq: 1 }),
    oneElement({ lr: 1 }, [1], roundDoubleToDtype((1 - 0.9) / (1 - 0.9 * 0.9), dtype), { step: 1, exp_avg: 0, exp_avg_sq: 0 }),
  ],
};

/**
 * LION-1 … LION-4: θ·(1 − lr·λ) − lr·sign(c), + − × only. Exact ties: θ − 2^−(p+1) from sign(1) = 1;
 * g = 0 gives c = 0 and sign(0) = 0 (LION-2), so only the decay moves θ: 1 − 2^−p·½·1; c = ½·m₀ +
 * ½·g from a carried m₀ = 1 and g = −½ is ¼ (LION-1: the sign is c's, not g's), odd − 2^−p the tie
 * between 1 and odd (→ 1; g's sign would give the tie above odd, → 1 + 2^(2−p)); lr·λ = ½ halves
 * θ = tiny. Near tie: sign(−1) with λ = 2^−200: odd·(1 − 2^−p·2^−200) + 2^−p, just below the tie.
 * Cancellations: lr·λ = (1 + 2^−52)(1 − 2^−52) = 1 − 2^−104 leaves θ·2^−104; θ = 1, lr = ⅔ rounded,
 * λ = ½: 1 − ½·lr − lr = 1 − 1.5·lr, the double's error.
 */
const lion: TieGenerators = {
  exactTies: (_d, dtype) => {
    const { p, ulpBelowOne, odd, tiny } = dtypeParts(dtype);
    return [
      oneElement({ lr: 2 ** -(p + 1), weight_decay: 0 }, [1]),
      oneElement({ lr: ulpBelowOne, weight_decay: 0.5 }, [0]),
      oneElement({ lr: ulpBelowOne, beta1: 0.5, weight_decay: 0 }, [-0.5], odd, { step: 1, exp_avg: 1 }),
      oneElement({ lr: 0.5, weight_decay: 1 }, [0], tiny),
    ];
  },
  nearTies: (_d, dtype) => {
    const { ulpBelowOne, odd } = dtypeParts(dtype);
    return [oneElement({ lr: ulpBelowOne, weight_decay: 2 ** -200 }, [-1], odd)];
  },
  cancellations: (_d, dtype) => [
    oneElement({ lr: 1 + 2 ** -52, weight_decay: 1 - 2 ** -52 }, [0], roundDoubleToDtype(0.1, dtype)),
    oneElement({ lr: 2 / 3, weight_decay: 0.5 }, [1]),
  ],
};

/** The generators of the families of issue 12, by family. */
export const TIE_GENERATORS: Partial<Record<Family, TieGenerators>> = { adagrad, adadelta, adamax, nadam, radam, lion };
