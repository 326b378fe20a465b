// The seed notes' comparison table, cell by cell: kept (ok), qualified (nuance) or corrected (wrong), with
// the evidence beside it — a live measurement key (filled in by answers.js) or a link to a panel. Evidence that
// only shows posenc's own argument checks is labelled as API behaviour: it says nothing about models.
// Cell: [seedText, status, correction, evidence]; evidence is HTML, and {{key}} is replaced by a measurement.
// The rows the Train panel measures (Extrapolation, Train/Test Length, Training Speed, Gradient Flow) also get
// its numbers when a run has finished (answers.js).

const ok = (text, evidence = '') => [text, 'ok', '', evidence];
const nuance = (text, fix, evidence = '') => [text, 'nuance', fix, evidence];
const wrong = (text, fix, evidence = '') => [text, 'wrong', fix, evidence];
const speed = 'Compute cost of each is measured in the <a href="#speed">Speed panel</a>.';

export const encodings = ['Sinusoidal', 'Learned Embeddings', 'RoPE', 'ALiBi'];
/** The Train panel's positional scheme for each column: rows it measures get that scheme's numbers. */
export const trainedSchemes = ['sinusoidal', 'learned', 'rope', 'alibi'];

export const comparison = [
  ['Type', [
    ok('Deterministic'), ok('Learned'),
    wrong('Hybrid (deterministic + learned)', 'Deterministic: a fixed rotation of the (learned) q and k; the rotation itself has no parameters.', '{{ropeFormula}}'),
    wrong('Learned', 'Deterministic: the slopes are a fixed function of the head count.', '{{alibiSlopes}}')]],
  ['Training', [
    ok('Fixed, not trainable'), ok('Trainable'),
    wrong('Partially trainable (applies rotation to learned queries/keys)', 'Nothing to train: W_q and W_k are the attention\'s own weights, not RoPE\'s.', '{{ropeFormula}}'),
    wrong('Trainable', 'Nothing to train (the slopes are buffers).', '{{alibiSlopes}}')]],
  ['Sequence Length', [
    wrong('Fixed maximum length', 'Any position: the formula covers every p; max_len is only the size of a cached buffer.', '{{sinFar}}'),
    ok('Fixed maximum length', '{{learnedFar}}'),
    nuance('Flexible, better generalization', 'Any position can be encoded, but quality beyond the training length degrades without a scaling variant (PI, NTK, YaRN, Llama 3).', '<a href="#rope">Scaling variants in the RoPE panel</a>.'),
    nuance('Excellent extrapolation to longer sequences', 'Any length; the paper shows stable perplexity well past the training length — a language-modelling result, not a guarantee of long-range recall.')]],
  ['Position Info', [
    nuance('Absolute positions', 'Absolute, but PE[p]·PE[q] depends only on p − q, so relative offsets are linearly available.', '{{sinRelative}}'),
    ok('Absolute positions'),
    ok('Relative positions', '{{ropeRelative}}'),
    ok('Relative positions with bias', '<a href="#alibi">Bias per head</a>.')]],
  ['Computation', [
    ok('Additive'), ok('Additive'),
    ok('Multiplicative (rotations)', 'Applied to q and k only, never to v.'),
    wrong('Multiplicative (attention bias)', 'Additive: −m·distance is added to the attention scores before softmax.', '{{alibiAdditive}}')]],
  ['Memory', [
    nuance('Low', 'The tutorial buffer is max_len × d, as big as a learned table (but no gradients or optimiser state); it can also be computed on the fly.', '{{memSin}}'),
    ok('Medium', '{{memLearned}}'),
    nuance('Medium', 'A cos/sin cache of max_len × d_rot, or nothing if computed on the fly.'),
    nuance('Low', 'The slopes are n numbers, but a cached bias (as in the seed\'s module) is heads × max_len².', '{{memAlibi}}')]],
  ['Performance', [
    nuance('Good for short sequences', 'Not established by the notes; depends on task and model size.'),
    nuance('Better than sinusoidal with careful init', 'Vaswani et al. report nearly identical results for learned and sinusoidal.'),
    nuance('Excellent for relative positions', 'Task-dependent; the relativity itself is exact.', '{{ropeRelative}}'),
    nuance('Best for long sequences', 'Task-dependent; see the extrapolation row.')]],
  ['Training Speed', [
    nuance('Fastest', 'With fused kernels the position step is a small part of a transformer\'s cost for all four; unfused it is not: Press et al. 2022 measured rotary (and far more so the T5 bias) training slower than sinusoidal, and ALiBi about as fast.', speed),
    nuance('Slower (learned params)', 'A table lookup is as cheap as adding a fixed table; the extra gradient is one row per position.', speed),
    nuance('Moderate', 'One rotation of q and k per layer: cheap when fused into the attention kernel, measurably slower when written as separate tensor operations (Press et al. 2022).', speed),
    nuance('Fast (efficient bias)', 'One add per score; fused kernels do it in place.', speed)]],
  ['Use Cases', [
    ok('Early Transformers'),
    nuance('Early BERT variants', 'BERT, RoBERTa, GPT-2, OPT — not only early BERT variants.'),
    wrong('LLaMA, GPT-Neo', 'GPT-Neo uses learned absolute positions; RoPE is used by GPT-J, GPT-NeoX, LLaMA, Mistral, Qwen.'),
    ok('BLOOM, BLOOMZ', 'Also MPT and Falcon-RW (Falcon-7B/40B use rotary).')]],
  ['Extrapolation', [
    ok('Poor', 'Press et al. 2022 measure it degrading quickly past the training length.'),
    wrong('Poor', 'None: there is no row for a position ≥ max_len.', '{{learnedFar}}'),
    wrong('Good', 'Poor past the training length without a scaling variant — the reason PI, NTK, YaRN and Llama 3 scaling exist.', '<a href="#rope">Frequencies before/after scaling</a>.'),
    nuance('Excellent', 'Good in the paper\'s perplexity experiments.')]],
  ['Implementation', [
    ok('Simple'), ok('Simple'),
    nuance('Complex', 'About ten lines, but the pairing layout and the cos/sin cache must agree, and so must the layout and the checkpoint; a mismatch fails silently.', '<a href="#rope">A mismatched cache, live in the RoPE panel</a>.'),
    nuance('Moderate', 'Simple, except the slopes for head counts that are not a power of two, which many ports get wrong.', '<a href="#alibi">Try 12 heads</a>.')]],
  ['Attention Pattern', [
    nuance('Global', 'None of the four restricts attention; "global/local" describes no measurable property.'),
    nuance('Global', 'As for sinusoidal.'),
    nuance('Local + Global', 'No mask; q·k of aligned vectors decays with distance on average (RoFormer\'s long-term decay).', '<a href="#rope">q·k versus distance with all-ones vectors</a>.'),
    nuance('Local + Global', 'A per-head recency bias: steep heads are local, shallow heads nearly global.', '<a href="#alibi">Bias per head</a>.')]],
  ['Gradient Flow', [
    nuance('Stable', 'No positional parameters, so no positional gradients at all.'),
    nuance('Can be unstable', 'Unsupported by the notes; rows of rarely seen positions simply train less.'),
    nuance('Stable', 'No positional parameters.'),
    nuance('Very stable', 'No positional parameters.')]],
  ['Popular Models', [ok('Original Transformer'), ok('BERT, GPT-2'), ok('LLaMA, GPT-J'), ok('BLOOM, BLOOMZ')]],
  ['Relative Position', [
    nuance('No', 'Not explicitly, but the dot product of two encodings depends only on their distance.', '{{sinRelative}}'),
    ok('No', 'A learned relative bias is a separate add-on (<a href="#learned">Learned panel</a>).'),
    ok('Yes', '{{ropeRelative}}'),
    ok('Yes')]],
  ['Train/Test Length', [
    wrong('Must match', 'Can differ: any position can be encoded (quality degrades far beyond training lengths).', '{{sinFar}}'),
    wrong('Must match', 'Test length ≤ max_len; any shorter length works.', '{{learnedFar}}'),
    wrong('Can differ', 'Up to the training length; past it quality degrades without a scaling variant (PI, NTK, YaRN, Llama 3), as in the Extrapolation row.', '<a href="#rope">Scaling variants in the RoPE panel</a>.'),
    ok('Can differ significantly')]],
];
