// Signature pad on a <canvas>: keeps the vector strokes (for the record) and exports a PNG (for the receipt).
export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
    this.startedAt = null;
    this.resize();
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const name of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(name, () => this.up());
    window.addEventListener("resize", () => this.resize());
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    if (!rect.width) return;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    this.canvas.width = Math.round(rect.width * ratio);
    this.canvas.height = Math.round(rect.height * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.redraw();
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    if (this.startedAt === null) this.startedAt = performance.now();
    return {
      x: Math.round(((e.clientX - rect.left) / rect.width) * 1000) / 1000,
      y: Math.round(((e.clientY - rect.top) / rect.height) * 1000) / 1000,
      t: Math.round(performance.now() - this.startedAt),
    };
  }

  down(e) {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.current = [this.point(e)];
    this.strokes.push(this.current);
    this.redraw();
  }

  move(e) {
    if (!this.current) return;
    e.preventDefault();
    this.current.push(this.point(e));
    this.redraw();
  }

  up() {
    this.current = null;
    this.canvas.dispatchEvent(new CustomEvent("signature-change"));
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.startedAt = null;
    this.redraw();
    this.canvas.dispatchEvent(new CustomEvent("signature-change"));
  }

  isEmpty() {
    return !this.strokes.some((s) => s.length > 1);
  }

  redraw() {
    const rect = this.canvas.getBoundingClientRect();
    const w = rect.width;
    const h = rect.height;
    this.ctx.clearRect(0, 0, w, h);
    this.ctx.fillStyle = "#ffffff";
    this.ctx.fillRect(0, 0, w, h);
    this.ctx.strokeStyle = "#0a0a0a";
    this.ctx.lineWidth = 2.5;
    this.ctx.lineCap = "round";
    this.ctx.lineJoin = "round";
    for (const stroke of this.strokes) {
      this.ctx.beginPath();
      stroke.forEach((p, i) => (i ? this.ctx.lineTo(p.x * w, p.y * h) : this.ctx.moveTo(p.x * w, p.y * h)));
      if (stroke.length === 1) this.ctx.lineTo(stroke[0].x * w + 0.5, stroke[0].y * h);
      this.ctx.stroke();
    }
  }

  /** Strokes as the API takes them: [[[x, y, t_ms], ...], ...] in CSS pixels of the pad, t since the first touch. */
  toJSON() {
    const rect = this.canvas.getBoundingClientRect();
    const px = (v, size) => Math.round(v * size * 10) / 10;
    return this.strokes
      .filter((s) => s.length)
      .map((s) => s.map((p) => [px(p.x, rect.width), px(p.y, rect.height), p.t]));
  }

  toPNG() {
    return new Promise((resolve) => this.canvas.toBlob((blob) => resolve(blob), "image/png"));
  }
}
