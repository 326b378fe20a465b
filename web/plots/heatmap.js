// Heatmap of a row-major matrix with labelled axes, a colour bar and a hover read-out.
// Masked cells (−∞ or NaN) are grey. Matrices larger than the plot area are averaged down to its pixels.
import { colourScales, MASKED } from './colour.js';
import { indexTicks, fmt, linearTicks } from './scale.js';
import { Surface, axisLabel } from './surface.js';

// One pixel per cell, or, when there are more cells than pixels, the mean of each pixel's cells: a
// sin that oscillates faster than the pixels shows as its average instead of as aliasing stripes.
function cellImage(data, rows, cols, maxW, maxH, toRgb) {
  const w = Math.min(cols, maxW), h = Math.min(rows, maxH);
  const image = new ImageData(w, h);
  for (let y = 0; y < h; y++) {
    const r0 = Math.floor(y * rows / h), r1 = Math.max(r0 + 1, Math.floor((y + 1) * rows / h));
    for (let x = 0; x < w; x++) {
      const c0 = Math.floor(x * cols / w), c1 = Math.max(c0 + 1, Math.floor((x + 1) * cols / w));
      let sum = 0, n = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) { const v = data[r * cols + c]; if (Number.isFinite(v)) { sum += v; n++; } }
      const rgb = toRgb(n ? sum / n : NaN), i = 4 * (y * w + x);
      image.data[i] = rgb[0]; image.data[i + 1] = rgb[1]; image.data[i + 2] = rgb[2]; image.data[i + 3] = 255;
    }
  }
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  canvas.getContext('2d').putImageData(image, 0, 0);
  return canvas;
}

// Approximate percentiles from an evenly strided sample of at most 20 000 finite values.
function percentiles(data, p0, p1) {
  const step = Math.max(1, Math.floor(data.length / 20000)), sample = [];
  for (let i = 0; i < data.length; i += step) if (Number.isFinite(data[i])) sample.push(data[i]);
  if (!sample.length) return [Infinity, -Infinity];
  sample.sort((x, y) => x - y);
  const at = (p) => sample[Math.min(sample.length - 1, Math.floor(p * (sample.length - 1)))];
  return [at(p0), at(p1)];
}

export class Heatmap {
  // options: height, title, xLabel, yLabel, colour ('diverging' | 'sequential'), valueLabel,
  // robust (colour range from the 0.5th…99.5th percentiles, so a few outliers do not wash out real tables)
  constructor(parent, options = {}) {
    this.options = { colour: 'diverging', valueLabel: 'value', ...options };
    this.surface = new Surface(parent, { height: options.height ?? 240, title: options.title, className: 'heatmap' });
    this.canvas = this.surface.canvas;
  }

  // m: { data, rows, cols, xTick(i), yTick(i) (labels), xLabels / yLabels (arrays), min, max, xLabel, yLabel,
  //      guides (indices: a dashed line before that row and column) }
  draw(m) {
    const o = { ...this.options, ...m };
    const { data, rows, cols } = o;
    let lo = o.min, hi = o.max;
    if (lo === undefined || hi === undefined) {
      let a = Infinity, b = -Infinity;
      if (o.robust) [a, b] = percentiles(data, 0.005, 0.995);
      else for (let i = 0; i < data.length; i++) { const v = data[i]; if (Number.isFinite(v)) { if (v < a) a = v; if (v > b) b = v; } }
      if (a === Infinity) { a = 0; b = 1; }
      if (o.colour === 'diverging') { const r = Math.max(Math.abs(a), Math.abs(b)) || 1; a = -r; b = r; }
      lo = lo ?? a; hi = hi ?? b;
    }
    if (hi === lo) hi = lo + 1;
    const colour = colourScales[o.colour];
    const xName = (i) => (o.xLabels ? o.xLabels[i] : o.xTick ? o.xTick(i) : i);
    const yName = (i) => (o.yLabels ? o.yLabels[i] : o.yTick ? o.yTick(i) : i);

    let box = null;
    this.surface.paint((ctx, w, h) => {
      ctx.font = '11px system-ui, sans-serif';
      const yTicks = o.yLabels && rows <= 40 ? [...Array(rows).keys()] : indexTicks(rows, 5);
      const labelW = Math.max(...yTicks.map((i) => ctx.measureText(String(yName(i))).width), 10);
      const left = Math.min(90, labelW + 26), right = 62, top = 8;
      const pw = Math.max(20, w - left - right);
      // Word labels are turned when they would overlap their neighbours.
      const xLabelW = o.xLabels ? Math.max(...o.xLabels.map((s) => ctx.measureText(String(s)).width)) : 0;
      const xRotated = !!o.xLabels && xLabelW > pw / cols - 4;
      const bottom = xRotated ? 30 + Math.min(50, xLabelW * 0.87) : 38;
      const ph = Math.max(20, h - top - bottom);
      box = { left, top, pw, ph };
      this.box = box;  // the cell area in CSS pixels, for interactions such as drag-to-zoom
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(cellImage(data, rows, cols, Math.ceil(pw), Math.ceil(ph), (v) => (Number.isFinite(v) ? colour((v - lo) / (hi - lo)) : MASKED)), left, top, pw, ph);
      ctx.strokeStyle = '#888';
      ctx.strokeRect(left - 0.5, top - 0.5, pw + 1, ph + 1);
      // Guides: a dashed line before row i and before column i (a boundary such as the training length).
      ctx.save(); ctx.setLineDash([4, 3]); ctx.strokeStyle = '#d0183a'; ctx.lineWidth = 1.5;
      for (const i of o.guides ?? []) {
        if (i > 0 && i < cols) { const x = left + i * pw / cols; ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke(); }
        if (i > 0 && i < rows) { const y = top + i * ph / rows; ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke(); }
      }
      ctx.restore();

      ctx.fillStyle = '#222';
      ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      for (const i of yTicks) {
        const y = top + (i + 0.5) * ph / rows;
        ctx.fillText(String(yName(i)), left - 4, y);
      }
      const xTicks = o.xLabels && cols <= 40 ? [...Array(cols).keys()] : indexTicks(cols, Math.max(2, Math.floor(pw / 60)));
      for (const i of xTicks) {
        const x = left + (i + 0.5) * pw / cols;
        if (xRotated) {
          ctx.save(); ctx.translate(x, top + ph + 4); ctx.rotate(-Math.PI / 3);
          ctx.textAlign = 'right'; ctx.textBaseline = 'middle'; ctx.fillText(String(xName(i)), 0, 0); ctx.restore();
        } else {
          ctx.textAlign = 'center'; ctx.textBaseline = 'top'; ctx.fillText(String(xName(i)), x, top + ph + 3);
        }
      }
      if (o.xLabel) axisLabel(ctx, o.xLabel, left + pw / 2, h - 8);
      if (o.yLabel) axisLabel(ctx, o.yLabel, 9, top + ph / 2, true);

      // Colour bar with its own ticks.
      const bx = left + pw + 10, bw = 10;
      for (let k = 0; k < ph; k++) {
        const c = colour(1 - k / (ph - 1));
        ctx.fillStyle = `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;
        ctx.fillRect(bx, top + k, bw, 1.5);
      }
      ctx.strokeStyle = '#888'; ctx.strokeRect(bx - 0.5, top - 0.5, bw + 1, ph + 1);
      ctx.fillStyle = '#222'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
      for (const t of linearTicks(lo, hi, 4)) ctx.fillText(fmt(t), bx + bw + 3, top + (hi - t) / (hi - lo) * ph);
    });

    this.surface.onHover = (x, y) => {
      if (!box) return null;
      const c = Math.floor((x - box.left) / box.pw * cols), r = Math.floor((y - box.top) / box.ph * rows);
      if (c < 0 || r < 0 || c >= cols || r >= rows) return null;
      return `${o.yLabel || 'row'} ${yName(r)}, ${o.xLabel || 'col'} ${xName(c)}\n${o.valueLabel}: ${fmt(data[r * cols + c])}`;
    };
  }
}
