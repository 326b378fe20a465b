// Horizontal grouped bar chart: one group per category, one bar per series, values printed at the bars.
import { PALETTE } from './colour.js';
import { fmt, linearTicks, makeScale } from './scale.js';
import { Surface, axisLabel } from './surface.js';

export class BarChart {
  // options: height, title, xLabel
  constructor(parent, options = {}) {
    this.options = options;
    this.surface = new Surface(parent, { height: options.height ?? 240, title: options.title, className: 'barchart' });
    this.canvas = this.surface.canvas;
  }

  // groups: category names; series: [{ name, values (one per group, null = not measured), colour }]
  draw(groups, series, extra = {}) {
    const o = { ...this.options, ...extra };
    const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v) => Number.isFinite(v))));
    const colours = series.map((s, i) => s.colour ?? PALETTE[i % PALETTE.length]);
    const bars = [];
    this.surface.paint((ctx, w, h) => {
      ctx.font = '11px system-ui, sans-serif';
      let lx = 10;
      series.forEach((s, i) => {
        ctx.fillStyle = colours[i]; ctx.fillRect(lx, 5, 12, 10);
        ctx.fillStyle = '#222'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle'; ctx.fillText(s.name, lx + 16, 10);
        lx += ctx.measureText(s.name).width + 32;
      });
      const left = Math.max(...groups.map((g) => ctx.measureText(g).width)) + 12, right = 56, top = 24, bottom = 34;
      const pw = Math.max(20, w - left - right), ph = Math.max(20, h - top - bottom);
      const sx = makeScale(0, max, left, left + pw);
      ctx.strokeStyle = '#e3e3e3'; ctx.textAlign = 'center'; ctx.textBaseline = 'top'; ctx.fillStyle = '#222';
      for (const t of linearTicks(0, max, Math.max(2, Math.floor(pw / 70)))) {
        ctx.beginPath(); ctx.moveTo(sx(t), top); ctx.lineTo(sx(t), top + ph); ctx.stroke();
        ctx.fillText(fmt(t), sx(t), top + ph + 3);
      }
      const gh = ph / groups.length, bh = Math.min(18, (gh - 6) / series.length);
      groups.forEach((g, gi) => {
        const gy = top + gi * gh + (gh - bh * series.length) / 2;
        ctx.fillStyle = '#222'; ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
        ctx.fillText(g, left - 6, top + gi * gh + gh / 2);
        series.forEach((s, si) => {
          const v = s.values[gi];
          if (!Number.isFinite(v)) return;
          const y = gy + si * bh;
          ctx.fillStyle = colours[si];
          ctx.fillRect(left, y, Math.max(1, sx(v) - left), bh - 2);
          ctx.fillStyle = '#222'; ctx.textAlign = 'left';
          ctx.fillText(fmt(v), sx(v) + 3, y + bh / 2 - 1);
          bars.push({ x0: left, x1: Math.max(left + 1, sx(v)), y0: y, y1: y + bh - 2, text: `${g} — ${s.name}: ${fmt(v)} ${o.unit ?? ''}` });
        });
      });
      ctx.strokeStyle = '#888'; ctx.beginPath(); ctx.moveTo(left - 0.5, top); ctx.lineTo(left - 0.5, top + ph); ctx.stroke();
      if (o.xLabel) axisLabel(ctx, o.xLabel, left + pw / 2, h - 8);
    });
    this.surface.onHover = (x, y) => bars.find((b) => x >= b.x0 && x <= b.x1 + 30 && y >= b.y0 && y <= b.y1)?.text ?? null;
  }
}
