// A canvas that keeps its size in step with its container and the device pixel ratio, plus the shared
// hover tooltip. Every plot draws through one of these.

let tooltip = null;

export function showTooltip(evt, text) {
  if (!tooltip) {
    tooltip = document.createElement('div');
    tooltip.className = 'tooltip';
    document.body.append(tooltip);
  }
  tooltip.textContent = text;
  tooltip.hidden = false;
  const pad = 14, w = tooltip.offsetWidth, h = tooltip.offsetHeight;
  let x = evt.clientX + pad, y = evt.clientY + pad;
  if (x + w > window.innerWidth - 4) x = evt.clientX - w - pad;
  if (y + h > window.innerHeight - 4) y = evt.clientY - h - pad;
  tooltip.style.left = `${Math.max(4, x)}px`;
  tooltip.style.top = `${Math.max(4, y)}px`;
}

export function hideTooltip() { if (tooltip) tooltip.hidden = true; }

// While a redraw runs, the figures it paints are logged here, so that a redraw that fails can mark
// what it drew last as stale (see redrawer in ui.js).
let paintLog = null;
export function logPaints(into, fn) {
  const outer = paintLog;
  paintLog = into;
  try { return fn(); } finally { paintLog = outer; }
}

const queue = new Set();
let scheduled = false;

function flush() {
  scheduled = false;
  const jobs = [...queue];
  queue.clear();
  const widths = jobs.map((surface) => surface.wrap.clientWidth);
  for (let i = 0; i < jobs.length; i++) jobs[i].draw(widths[i]);
}

export class Surface {
  constructor(parent, { height = 240, title = '', className = '' } = {}) {
    this.wrap = document.createElement('figure');
    this.wrap.className = `plot ${className}`.trim();
    if (title) {
      const cap = document.createElement('figcaption');
      cap.textContent = title;
      this.wrap.append(cap);
    }
    this.canvas = document.createElement('canvas');
    this.canvas.dataset.version = '0';
    this.canvas.style.height = `${height}px`;  // hold the plot's room before its first frame
    this.canvas.setAttribute('role', 'img');
    if (title) this.canvas.setAttribute('aria-label', title);
    this.wrap.append(this.canvas);
    parent.append(this.wrap);
    this.height = height;
    this.render = null;
    this.lastWidth = 0;
    new ResizeObserver(() => {
      const w = this.wrap.clientWidth;
      if (w && w !== this.lastWidth && this.render) this.paint();
    }).observe(this.wrap);
    this.canvas.addEventListener('mousemove', (e) => this.onHover && this.hover(e));
    this.canvas.addEventListener('mouseleave', hideTooltip);
  }

  // Sets the drawing routine and queues a repaint for the next frame; all queued plots are measured in one
  // layout pass before any draws, so mounting dozens of plots does not force a layout per plot.
  paint(render = this.render) {
    this.render = render;
    paintLog?.add(this.wrap);
    queue.add(this);
    if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
  }

  draw(width) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(120, width || 320);
    this.lastWidth = width;
    const pw = Math.round(w * dpr), ph = Math.round(this.height * dpr);
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${this.height}px`;
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, this.height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#222';
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    this.render(ctx, w, this.height);
    this.canvas.dataset.version = String(+this.canvas.dataset.version + 1);
  }

  hover(e) {
    const r = this.canvas.getBoundingClientRect();
    const text = this.onHover(e.clientX - r.left, e.clientY - r.top);
    if (text) showTooltip(e, text); else hideTooltip();
  }
}

export function axisLabel(ctx, text, x, y, rotate = false) {
  ctx.save();
  ctx.translate(x, y);
  if (rotate) ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#333';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(text, 0, 0);
  ctx.restore();
}
