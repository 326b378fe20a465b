// A Hugging Face rope_scaling object as the C++ side reads it (wire.hpp's read_scaling block), shared by
// the RoPE forward and its gradient (rope.js) and the TinyTransformer's rope option (tiny-transformer.js).
import { bool, choice, fail, num, optNum, optSize, show } from './checks.js';

// Scaling types whose defaults (factor, original length) come from maxPositionEmbeddings.
const NEEDS_MPE = { dynamic: 'the trained length L in the NTK base', yarn: 'the default of original_max_position_embeddings and of factor',
  longrope: 'the default of original_max_position_embeddings and of factor' };

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createScalingArgs(core) {
  const { enums } = core;
  const SLOTS = enums.scalingField; // the rope_scaling keys in the order of the C++ side's slots

  // A Hugging Face rope_scaling object as float64 slots (NaN = absent), short_factor and long_factor
  // appended; the slots hold their type index, truncate as 0/1 and the two lists' lengths.
  function scalingArg(scaling) {
    if (scaling === undefined || scaling === null) return null;
    if (typeof scaling !== 'object' || Array.isArray(scaling)) {
      fail('OUT_OF_RANGE', `scaling must be a Hugging Face rope_scaling object like {rope_type: 'linear', factor: 2}, got ${show(scaling)}`);
    }
    const type = scaling.rope_type ?? scaling.type ?? 'default';
    const typeName = scaling.rope_type !== undefined ? 'scaling.rope_type' : 'scaling.type';
    const lists = { short_factor: factorList(scaling, 'short_factor'), long_factor: factorList(scaling, 'long_factor') };
    const slots = new Float64Array(SLOTS.length + lists.short_factor.length + lists.long_factor.length).fill(NaN);
    SLOTS.forEach((key, i) => {
      const v = scaling[key];
      if (key === 'rope_type') slots[i] = choice(typeName, type, enums.ropeType);
      else if (key === 'truncate') slots[i] = bool('scaling.truncate', v, true) ? 1 : 0;
      else if (key === 'original_max_position_embeddings') slots[i] = optSize(`scaling.${key}`, v);
      else if (key in lists) slots[i] = lists[key].length;
      else slots[i] = optNum(`scaling.${key}`, v);
    });
    slots.set(lists.short_factor, SLOTS.length);
    slots.set(lists.long_factor, SLOTS.length + lists.short_factor.length);
    return core.valuesArg(slots);
  }
  function factorList(scaling, key) {
    const v = scaling[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) fail('SHAPE_MISMATCH', `scaling.${key} must be an array of numbers, got ${show(v)}`);
    return Array.from(v, (x, i) => num(`scaling.${key}[${i}]`, x));
  }
  // dynamic always, yarn and longrope without factor or original length, read maxPositionEmbeddings.
  function requireMpe(scaling, mpe) {
    if (!scaling || !Number.isNaN(mpe)) return;
    const type = scaling.rope_type ?? scaling.type;
    const derived = scaling.factor == null || scaling.original_max_position_embeddings == null;
    if (Object.hasOwn(NEEDS_MPE, type) && (type === 'dynamic' || derived)) {
      fail('BAD_SIZE', `maxPositionEmbeddings is required for rope_type ${type} (${NEEDS_MPE[type]}), got none`);
    }
  }

  return { scalingArg, requireMpe };
}
