// Seeded synthetic tasks for length-generalisation experiments: copy, reverse, associative recall and a
// character-level language model over a text. A task makes batches at any content length L, so a model
// trained at L can be evaluated at 2L, 4L, 8L.
import { fail, options, seed, show, size } from './checks.js';

const TASK = ['kind', 'symbols', 'text'];
// The C++ TaskKind order; 'text' is the character-level language model (char_lm).
const KINDS = ['copy', 'reverse', 'recall', 'text'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createTasks(core, { Module }) {
  const { invoke, valuesArg, output } = core;

  class Task extends Module {
    constructor(opts) {
      const o = options(opts, TASK, 'makeTask');
      const kind = KINDS.indexOf(o.kind ?? 'copy');
      if (kind < 0) fail('OUT_OF_RANGE', `kind must be one of ${KINDS.map(show).join(', ')}, got ${show(o.kind)}`);
      const symbols = size('symbols', o.symbols, 8);
      let text = null;
      if (o.text !== undefined && o.text !== null) {
        if (typeof o.text !== 'string') fail('OUT_OF_RANGE', `text must be a string, got ${show(o.text)}`);
        if (KINDS[kind] !== 'text') fail('OUT_OF_RANGE', `text is an option of kind 'text' only, got kind ${show(KINDS[kind])}`);
        text = valuesArg(new TextEncoder().encode(o.text));
      }
      super('Task', [kind, symbols, text, text ? text.n : 0]);
      this.kind = KINDS[kind];
      this.symbols = symbols;
      this.vocabSize = invoke(this.handle, 'vocabSize', []);
    }
    /** The model's sequence length for content length L: copy/reverse 2L, recall 2L + 2, text L. */
    sequenceLength(length) {
      return invoke(this.handle, 'sequenceLength', [size('length', length)]);
    }
    /** The longest content length this task makes (text: the text's length − 1). */
    get maxLength() {
      return invoke(this.handle, 'maxLength', []);
    }
    /** text: the character of each token id (UTF-8 bytes of the text, one token each). */
    get alphabet() {
      return invoke(this.handle, 'alphabet', []);
    }
    /** A batch { tokens, targets, mask, batch, seq } at content length L; the same arguments give the same batch. */
    sample(batch, length, sampleSeed = 0) {
      const h = this.handle;
      size('batch', batch);
      size('length', length);
      const s = seed(sampleSeed);
      if (length > this.maxLength) fail('BAD_SIZE', `length must be at most ${this.maxLength} for this task, got ${length}`);
      const seq = this.sequenceLength(length);
      const tokens = output('tokens', null, [batch, seq], Int32Array, false);
      const targets = output('targets', null, [batch, seq], Int32Array, false);
      const mask = output('mask', null, [batch, seq], Uint8Array, false);
      invoke(h, 'sample', [batch, length, s, tokens, targets, mask]);
      return { tokens: tokens.result, targets: targets.result, mask: mask.result, batch, seq };
    }
  }

  /** A seeded task: makeTask({ kind: 'copy' | 'reverse' | 'recall' | 'text', symbols, text }). */
  const makeTask = (opts) => new Task(opts);

  return { makeTask, Task };
}
