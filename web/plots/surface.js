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

  // Sets the drawing routine, sizes the canvas for the current layout and runs it.
  paint(render = this.render) {
    this.render = render;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(120, this.wrap.clientWidth || 320);
    this.lastWidth = this.wrap.clientWidth;
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${this.height}px`;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, this.height);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, this.height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#222';
    ctx.strokeStyle = '#222';
    render(ctx, w, this.height);
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
