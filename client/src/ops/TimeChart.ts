// A live time-series chart (uPlot) over the last few minutes: one x axis of sample times and
// one line per series; points beyond the window fall off the left.
import uPlot from 'uplot';
import { locale } from '../i18n.js';

export interface SeriesSpec {
  label: string;
  color: string;
}

const WINDOW_POINTS = 150;

export class TimeChart {
  readonly el: HTMLElement;
  #plot?: uPlot;
  #labels: string[] = [];
  readonly #data: number[][] = [[]];
  readonly #height: number;

  constructor(el: HTMLElement, height = 180) {
    this.el = el;
    this.#height = height;
  }

  /** Appends one sample (time in ms, one value per series); rebuilds the plot when the series change. */
  push(at: number, series: SeriesSpec[], values: number[]): void {
    const labels = series.map((s) => s.label);
    if (!this.#plot || labels.join('\u0000') !== this.#labels.join('\u0000')) this.#build(series);
    this.#data[0]!.push(at / 1000);
    values.forEach((v, i) => this.#data[i + 1]!.push(v));
    if (this.#data[0]!.length > WINDOW_POINTS) for (const col of this.#data) col.shift();
    this.#plot!.setData(this.#data as uPlot.AlignedData);
    this.el.dataset.points = String(this.#data[0]!.length);
    this.el.dataset.last = values.join(',');
  }

  /** A new plot for these series; the samples so far are kept while the number of series stays (a language switch). */
  #build(series: SeriesSpec[]): void {
    this.#plot?.destroy();
    this.#labels = series.map((s) => s.label);
    if (this.#data.length !== series.length + 1) {
      this.#data.length = 0;
      this.#data.push([], ...series.map(() => []));
    }
    const width = Math.max(260, this.el.clientWidth - 8);
    this.#plot = new uPlot({
      width, height: this.#height,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false } }))],
      axes: [
        // Clock times in the page's language (uPlot's own labels are US-style dates).
        { stroke: '#9aa4b2', grid: { stroke: '#2a3039' }, values: (_u, splits) => splits.map((x) => new Date(x * 1000).toLocaleTimeString(locale())) },
        { stroke: '#9aa4b2', grid: { stroke: '#2a3039' }, size: 50 },
      ],
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } },
      legend: { live: false },
    }, this.#data as uPlot.AlignedData, this.el);
  }
}
