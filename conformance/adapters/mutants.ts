/**
 * The mutant corpus: optimizers that claim to be the canonical one and compute one part wrongly.
 * Each is the honest float implementation (adapters/float.ts) with exactly one part replaced; a
 * conformance check must reject every one of them, and should be able to name what it computes.
 *
 * Some are wrong everywhere (ε inside the root); some only where a case reaches them: after step 10,
 * past element 4096, when the learning rate changes, with dampening, Nesterov, AMSGrad or weight
 * decay switched on, or in the last bits (bfloat16 state under a float32 claim).
 */
import type { Dtype } from '../../reference/dtype.ts';
import { floatImplementation, mutationFamily, type MutationName } from './float.ts';
import type { Implementation } from '../protocol/implementation.ts';

export interface Mutant {
  /** `family/what-is-wrong`, the name of the one part replaced */
  readonly name: string;
  /** the optimizer it claims to be */
  readonly optimizer: string;
  /** the dtype it claims */
  readonly dtype: Dtype;
  /** one line: what it computes instead */
  readonly description: string;
  readonly impl: () => Implementation;
}

/**
 * The implementation with its state hidden, as tfjs does: `returnsState: false`, params only. For a
 * mutant whose state differs in form (lr-in-buffer keeps v = −lr·b), so that only the trajectory,
 * not a rounding in translating its state, can give it away.
 */
function withoutState(impl: Implementation): Implementation {
  return {
    hello: async () => {
      const h = await impl.hello();
      return { ...h, supports: h.supports.map((s) => ({ ...s, returnsState: false })) };
    },
    run: async (request) => {
      const reply = await impl.run(request);
      return reply.op === 'result' ? { ...reply, steps: reply.steps.map((s) => ({ params: s.params })) } : reply;
    },
  };
}

/** A mutant claiming `optimizer` in `dtype` (only that dtype, so a check cannot pass it on another). */
function mutant(name: MutationName, description: string, options: { dtype?: Dtype; hideState?: boolean } = {}): Mutant {
  const optimizer = mutationFamily(name);
  const dtype = options.dtype ?? 'float32';
  const make = () => floatImplementation({ name: `mutant ${name}`, dtypes: [dtype], mutation: name });
  return { name, optimizer, dtype, description, impl: options.hideState ? () => withoutState(make()) : make };
}

export const MUTANTS: readonly Mutant[] = [
  // SGD (claims torch.optim.SGD)
  mutant('sgd/dampening-on-first-step', 'dampening applied on the first step, b₁ = (1−τ)·g′ (PyTorch clones g′)'),
  mutant('sgd/dampening-ignored', 'dampening ignored, b = μ·b + g′ whatever τ is (tfjs, fastai)'),
  mutant('sgd/lerp-momentum', "the notes' interpolated momentum b = μ·b + (1−μ)·g′ from b₀ = 0"),
  mutant('sgd/nesterov-old-buffer', 'Nesterov direction from the buffer before its update, g′ + μ·bₜ₋₁'),
  mutant('sgd/weight-decay-sign', 'weight decay with the wrong sign, g′ = g − λ·θ'),
  mutant('sgd/lr-in-buffer', 'lr inside the buffer, v = μ·v − lr·g′, θ += v (Keras, scikit-learn); state hidden; wrong only once lr changes', {
    hideState: true,
  }),
  // RMSprop (claims torch.optim.RMSprop)
  mutant('rmsprop/eps-inside-root', 'ε inside the root, √(v + ε) (TensorFlow, Keras, optax)'),
  mutant('rmsprop/centered-without-mean', 'centered=True without the ḡ² term: √v + ε'),
  mutant('rmsprop/alpha-swapped', 'α and 1−α swapped in the square average, v ← (1−α)·v + α·g′²'),
  mutant('rmsprop/momentum-on-raw-gradient', 'momentum on the raw gradient, b = μ·b + g′, θ −= lr·b/(√v + ε) (fastai v2)'),
  // Adam (claims torch.optim.Adam)
  mutant('adam/eps-inside-root', 'ε inside the root, m̂/√(v̂ + ε)'),
  mutant('adam/eps-hat', 'ε̂ on the uncorrected root, (√(1−β₂ᵗ)/(1−β₁ᵗ))·m/(√v + ε) (Kingma & Ba §2, Keras, scikit-learn)'),
  mutant('adam/no-bias-correction', "no bias correction, m/(√v + ε) (the notes' spreadsheet)"),
  mutant('adam/bias-correction-t-plus-1', 'bias correction one step ahead, 1 − βᵗ⁺¹'),
  mutant('adam/bias-correction-stops-after-10', 'stops bias-correcting after step 10; right for steps 1–10'),
  mutant('adam/betas-swapped-in-bias-correction', 'β₁ and β₂ swapped in the bias corrections, m/(1−β₂ᵗ) and v/(1−β₁ᵗ)'),
  mutant('adam/eps-doubled-past-4096', 'ε doubled for elements with index ≥ 4096; right for smaller tensors'),
  mutant('adam/bfloat16-state', 'exp_avg and exp_avg_sq stored rounded to bfloat16 under a float32 claim'),
  mutant('adam/amsgrad-max-of-corrected', 'AMSGrad max over the bias-corrected v̂ (optax) instead of the raw v'),
  mutant('adam/decoupled-decay', "AdamW's decoupled decay θ·(1 − lr·λ) where Adam's L2 is claimed"),
  mutant('adam/skips-nan-gradients', 'a NaN gradient element skipped: its parameter and moments left unchanged (NOTE-7: NaN)'),
  // PREC-3 allows βᵗ t roundings: past step 10⁵ in float32 that hides t ± 1, in float64 it does not
  mutant('adam/power-t-minus-1-past-100k', 'βᵗ⁻¹ in the bias corrections past step 100,000; right before', { dtype: 'float64' }),
  mutant('adam/one-minus-beta-past-100k', '(1 − β)ᵗ in place of βᵗ in the bias corrections past step 100,000; right before'),
  // AdamW (claims torch.optim.AdamW)
  mutant('adamw/l2-coupled', 'L2: λ·θ added to the gradient where decoupled decay is claimed'),
  mutant('adamw/decay-after-update', 'decay applied after the update to the new weights, θ ← θ′·(1 − lr·λ)'),
  mutant('adamw/decay-not-lr-scaled', "decay not multiplied by lr, θ·(1 − λ) (the paper's Algorithm 2 with η = 1)"),
  // Adagrad (claims torch.optim.Adagrad)
  mutant('adagrad/eps-inside-root', 'ε inside the root, √(sum + ε) (TensorFlow, Keras, optax, TF.js)'),
  mutant('adagrad/lr-decay-from-t', 'the decay counted from t, lr/(1 + t·lr_decay); right while lr_decay = 0'),
  mutant('adagrad/initial-accumulator-ignored', 'initial_accumulator_value ignored, a fresh sum starts at 0'),
  mutant('adagrad/sum-of-abs', '|g′| accumulated instead of g′²'),
  // Adadelta (claims torch.optim.Adadelta)
  mutant('adadelta/stale-denominator', 'the delta over √(vₜ₋₁ + ε), the square average before this gradient (TF.js 4.22)'),
  mutant('adadelta/eps-outside-roots', 'ε outside both roots, (√u + ε)/(√v + ε)'),
  mutant('adadelta/lr-in-accumulator', 'the delta accumulator fed lr·Δ; right while lr = 1'),
  mutant('adadelta/rho-swapped', 'ρ and 1−ρ swapped in both averages; right at ρ = 0.5'),
  // Adamax (claims torch.optim.Adamax)
  mutant('adamax/eps-after-max', 'ε after the maximum, m/(max(β₂·u, |g′|) + ε) (Keras, TF.js)'),
  mutant('adamax/no-bias-correction', 'no bias correction, lr·m/u'),
  mutant('adamax/norm-not-decayed', 'the norm never decays, u = max(u, |g′| + ε)'),
  mutant('adamax/norm-without-abs', 'the signed gradient in the maximum, max(β₂·u, g′ + ε)'),
  // NAdam (claims torch.optim.NAdam)
  mutant('nadam/no-schedule', 'no momentum schedule, μ ≡ β₁ (optax)'),
  mutant('nadam/mu-product-twice', 'μₜ counted twice in the next-step product (PyTorch 1.13 single-tensor)'),
  mutant('nadam/next-product-not-advanced', 'the moment divided by 1 − Πₜ instead of 1 − Πₜ·μₜ₊₁'),
  mutant('nadam/schedule-base-0.9', "the schedule's base 0.9 instead of 0.96; right at momentum_decay = 0"),
  // RAdam (claims torch.optim.RAdam)
  mutant('radam/threshold-4', "the paper's threshold, rectified when ρₜ > 4"),
  mutant('radam/eps-after-correction', 'ε after the bias correction in the rectified step (fastai, optax)'),
  mutant('radam/no-rectification', 'no rectification term, rₜ = 1; right until the first rectified step'),
  mutant('radam/unrectified-uncorrected', 'the unrectified step without its bias correction, θ − lr·m'),
  // Lion (claims optax.lion)
  mutant('lion/sign-zero-is-one', 'sign(0) taken as +1 (copysign), so a zero interpolation moves by lr'),
  mutant('lion/momentum-first', 'the momentum updated before the sign reads it'),
  mutant('lion/decay-not-lr-scaled', 'the decay not scaled by lr, θ − lr·s − λ·θ'),
  mutant('lion/interpolation-at-beta2', 'the interpolation at β₂ instead of β₁'),
];
