// Read in the training Worker just before a trained model is deleted: its attention maps, every layer, on
// one sample of its task at the training length and at the longest test length whose sequence stays short
// enough to post and draw. The page draws them in the tiny attention panel.

const MAX_SEQ = 256; // maps are heads·seq² floats per layer: 4·256² = 1 MiB

export function captureAttention(model, task, job) {
  const L = job.trainLength;
  const longer = job.testLengths.filter((t) => t > L && t <= task.maxLength && task.sequenceLength(t) <= MAX_SEQ).at(-1);
  const views = (longer ? [L, longer] : [L]).map((length) => {
    const { tokens, seq } = task.sample(1, length, 424_242 + length);
    const layers = Array.from({ length: model.layers }, (_, layer) => model.attention(tokens, { layer }).data);
    return { length, seq, tokens, layers };
  });
  return {
    heads: model.heads, trainLength: L, trainSeq: task.sequenceLength(L), views,
    kind: task.kind, vocabSize: task.vocabSize, alphabet: task.kind === 'text' ? task.alphabet : '',
  };
}

/** The buffers to transfer with a captured result (each one its own copy). */
export const buffersOf = (maps) => (maps ? maps.views.flatMap((v) => [v.tokens.buffer, ...v.layers.map((a) => a.buffer)]) : []);
