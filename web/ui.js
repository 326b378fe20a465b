// Small DOM helpers shared by the panels: element builder, labelled controls, in-page errors,
// coalesced redraws and a seeded random source.
import { logPaints } from './plots/surface.js';

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'html') e.innerHTML = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

function labelled(parent, text, input, title) {
  const label = el('label', { class: 'control', title }, el('span', { text }), input);
  parent.append(label);
  return input;
}

// A numeric input. Reading `.value` gives the raw text; use num(input) to parse it.
export function numberInput(parent, text, { value, min, max, step = 1, id, title, width } = {}) {
  const input = el('input', { type: 'number', value, min, max, step, id, inputmode: 'decimal' });
  if (width) input.style.width = width;
  return labelled(parent, text, input, title);
}

export function selectInput(parent, text, options, { value, id, title } = {}) {
  const s = el('select', { id });
  for (const o of options) {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    s.append(el('option', { value: v, text: label }));
  }
  if (value !== undefined) s.value = value;
  return labelled(parent, text, s, title);
}

export function checkbox(parent, text, { checked = false, id, title } = {}) {
  const input = el('input', { type: 'checkbox', id, title });
  input.checked = checked;
  const label = el('label', { class: 'control check', title }, input, el('span', { text }));
  parent.append(label);
  return input;
}

export function rangeInput(parent, text, { value, min, max, step = 1, id, title } = {}) {
  return labelled(parent, text, el('input', { type: 'range', value, min, max, step, id }), title);
}

// Parses a number input; empty or non-numeric text becomes NaN so the package's own check reports it.
export const num = (input) => (input.value.trim() === '' ? NaN : Number(input.value));

export function errorBox(parent) {
  const box = el('div', { class: 'error', role: 'alert', hidden: true });
  parent.append(box);
  return box;
}

export function showError(box, e) {
  box.hidden = false;
  box.textContent = e && e.code ? `${e.code}: ${e.message}` : `Error: ${e && e.message ? e.message : e}`;
  box.dataset.code = e && e.code ? e.code : 'ERROR';
}

export function clearError(box) { box.hidden = true; box.textContent = ''; delete box.dataset.code; }

// Runs `draw` at most once per animation frame after any number of calls; errors land in `box`, and
// the plots the last good draw painted are dimmed (class 'stale') until a draw succeeds again, so a
// reader never takes an old plot for the answer to an invalid input.
export function redrawer(box, draw) {
  let pending = false;
  let drawn = new Set();
  const run = () => {
    pending = false;
    const now = new Set();
    try {
      logPaints(now, draw);
      clearError(box);
      for (const f of [...drawn, ...now]) f.classList.remove('stale');
      drawn = now;
    } catch (e) {
      showError(box, e);
      for (const f of drawn) if (!now.has(f)) f.classList.add('stale');
    }
  };
  run.schedule = () => { if (!pending) { pending = true; requestAnimationFrame(run); } };
  return run;
}

// Calls `fn` whenever any of the controls changes.
export function onChange(controls, fn) {
  for (const c of controls) { c.addEventListener('input', fn); c.addEventListener('change', fn); }
}

export const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

// Seeded PRNG (mulberry32) with normal draws: the page's toy data must be reproducible.
export function random(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const normals = (n, std = 1) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = normal() * std; return a; };
  return { uniform, normal, normals };
}

export function hashString(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export const grid = (parent, cls = 'grid') => { const g = el('div', { class: cls }); parent.append(g); return g; };
export const controlsRow = (parent) => { const c = el('div', { class: 'controls' }); parent.append(c); return c; };
export const note = (parent, html, cls = 'note') => { const p = el('p', { class: cls, html }); parent.append(p); return p; };
