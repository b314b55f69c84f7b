// A small line chart on a canvas for a series sampled over time; the panels
// keep the last N samples and redraw on each one.

export class Sparkline {
  private readonly values: number[] = [];
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly color: string,
    private readonly capacity = 120,
    private readonly fixedMax?: number,
  ) {
    this.ctx = canvas.getContext('2d')!;
  }

  push(v: number): void {
    this.values.push(v);
    if (this.values.length > this.capacity) this.values.shift();
    this.draw();
  }

  /** Whether the chart's scale is a fixed limit (drawn dashed) rather than its largest value. */
  get hasFixedMax(): boolean {
    return this.fixedMax !== undefined;
  }

  get last(): number | undefined {
    return this.values[this.values.length - 1];
  }

  private draw(): void {
    const { canvas, ctx, values } = this;
    const w = (canvas.width = canvas.clientWidth * devicePixelRatio);
    const h = (canvas.height = canvas.clientHeight * devicePixelRatio);
    ctx.clearRect(0, 0, w, h);
    const max = this.fixedMax ?? Math.max(1e-9, ...values);
    if (this.fixedMax !== undefined) {
      ctx.strokeStyle = '#bf616a';
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(0, 2);
      ctx.lineTo(w, 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (i / (this.capacity - 1)) * w;
      const y = h - 2 - (Math.min(v, max) / max) * (h - 4);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.stroke();
  }
}
