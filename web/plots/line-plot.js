// Line plot of one or more series over a shared x axis, linear or log axes, a legend above the plot
// and a hover read-out of every series at the nearest x.
import { PALETTE } from './colour.js';
import { fmt, linearTicks, logTicks, makeScale } from './scale.js';
import { Surface, axisLabel } from './surface.js';

export class LinePlot {
  // options: height, title, xLabel, yLabel, xLog, yLog, yMin, yMax, markers, xInteger (whole-number x ticks only)
  constructor(parent, options = {}) {
    this.options = options;
    this.surface = new Surface(parent, { height: options.height ?? 240, title: options.title, className: 'lineplot' });
    this.canvas = this.surface.canvas;
  }

  // series: [{ name, x, y, colour, dash, width, markers }]
  draw(series, extra = {}) {
    const o = { ...this.options, ...extra };
    const ok = (v, log) => Number.isFinite(v) && (!log || v > 0);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of series) {
      for (let i = 0; i < s.x.length; i++) {
        if (!ok(s.x[i], o.xLog) || !ok(s.y[i], o.yLog)) continue;
        x0 = Math.min(x0, s.x[i]); x1 = Math.max(x1, s.x[i]); y0 = Math.min(y0, s.y[i]); y1 = Math.max(y1, s.y[i]);
      }
    }
    if (x0 === Infinity) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (o.yMin !== undefined) y0 = o.yMin;
    if (o.yMax !== undefined) y1 = o.yMax;
    if (y1 === y0) { const d = o.yLog ? y0 * 0.5 : Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
    if (x1 === x0) x1 = x0 + 1;
    if (!o.yLog && o.yMin === undefined) { const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad; }
    const colours = series.map((s, i) => s.colour ?? PALETTE[i % PALETTE.length]);
    let frame = null;

    this.surface.paint((ctx, w, h) => {
      ctx.font = '11px system-ui, sans-serif';
      // Legend rows first: they decide where the plot starts.
      let lx = 50, ly = 10;
      const legend = [];
      for (let i = 0; i < series.length; i++) {
        if (!series[i].name) continue;
        const tw = ctx.measureText(series[i].name).width + 30;
        if (lx + tw > w - 8 && lx > 50) { lx = 50; ly += 15; }
        legend.push([i, lx, ly]); lx += tw;
      }
      const top = legend.length ? ly + 12 : 10;
      const yT = o.yLog ? logTicks(y0, y1) : linearTicks(y0, y1, 5);
      const left = Math.max(...yT.map((t) => ctx.measureText(fmt(t)).width)) + 24, right = 12, bottom = 36;
      const pw = Math.max(20, w - left - right), ph = Math.max(20, h - top - bottom);
      const sx = makeScale(x0, x1, left, left + pw, o.xLog), sy = makeScale(y0, y1, top + ph, top, o.yLog);
      frame = { left, pw, sx };

      for (const [i, x, y] of legend) {
        ctx.strokeStyle = colours[i]; ctx.lineWidth = 2.5; ctx.setLineDash(series[i].dash ?? []);
        ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 20, y); ctx.stroke(); ctx.setLineDash([]);
        ctx.fillStyle = '#222'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle'; ctx.fillText(series[i].name, x + 24, y);
      }
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#e3e3e3'; ctx.fillStyle = '#222';
      ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      for (const t of yT) {
        const y = sy(t); if (y < top - 1 || y > top + ph + 1) continue;
        ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
        ctx.fillText(fmt(t), left - 4, y);
      }
      let xT = o.xLog ? logTicks(x0, x1) : linearTicks(x0, x1, Math.max(2, Math.floor(pw / 70)));
      if (o.xInteger) xT = xT.filter(Number.isInteger);
      ctx.textAlign = 'center'; ctx.textBaseline = 'top';
      for (const t of xT) {
        const x = sx(t); if (x < left - 1 || x > left + pw + 1) continue;
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + ph); ctx.stroke();
        ctx.fillText(fmt(t), x, top + ph + 3);
      }
      ctx.strokeStyle = '#888'; ctx.strokeRect(left - 0.5, top - 0.5, pw + 1, ph + 1);
      if (o.xLabel) axisLabel(ctx, o.xLabel, left + pw / 2, h - 8);
      if (o.yLabel) axisLabel(ctx, o.yLabel, 9, top + ph / 2, true);

      ctx.save();
      ctx.beginPath(); ctx.rect(left, top, pw, ph); ctx.clip();
      series.forEach((s, k) => {
        ctx.strokeStyle = colours[k]; ctx.fillStyle = colours[k]; ctx.lineWidth = s.width ?? 2;
        ctx.setLineDash(s.dash ?? []);
        ctx.beginPath();
        let pen = false;
        for (let i = 0; i < s.x.length; i++) {
          if (!ok(s.x[i], o.xLog) || !ok(s.y[i], o.yLog)) { pen = false; continue; }
          const x = sx(s.x[i]), y = sy(s.y[i]);
          if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
          pen = true;
        }
        ctx.stroke();
        ctx.setLineDash([]);
        if (s.markers ?? o.markers) {
          for (let i = 0; i < s.x.length; i++) {
            if (!ok(s.x[i], o.xLog) || !ok(s.y[i], o.yLog)) continue;
            ctx.beginPath(); ctx.arc(sx(s.x[i]), sy(s.y[i]), 2.5, 0, 2 * Math.PI); ctx.fill();
          }
        }
      });
      ctx.restore();
    });

    this.surface.onHover = (px) => {
      if (!frame || px < frame.left || px > frame.left + frame.pw) return null;
      const lines = [];
      let xv = null;
      series.forEach((s) => {
        let best = -1, bd = Infinity;
        for (let i = 0; i < s.x.length; i++) { const d = Math.abs(frame.sx(s.x[i]) - px); if (d < bd) { bd = d; best = i; } }
        if (best < 0) return;
        xv ??= s.x[best];
        lines.push(`${s.name || 'y'}: ${fmt(s.y[best])}`);
      });
      return `${o.xLabel || 'x'} ${fmt(xv)}\n${lines.join('\n')}`;
    };
  }
}
