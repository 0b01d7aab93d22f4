// The cluster at a glance: queue figures from GET /stats, nodes and roles from GET /cluster, and
// a small chart of the throughput of the jobs this page follows over the last minutes.

import { api, Unreachable } from './api.js';
import { setText, el, svg } from './dom.js';
import * as format from './format.js';

const POLL_MS = 5000;
const SAMPLE_MS = 1000;
const WINDOW_MS = 5 * 60 * 1000;
const MIN_SPAN_MS = 20 * 1000;
const SAMPLES_KEY = 'fanout.throughput.v1';
const WIDTH = 300;
const HEIGHT = 90;

export class ClusterPanel {
  /**
   * @param processedByJob returns a Map of job id to tasks processed, for the throughput chart
   * @param onApiReach called with true or false as the API answers or cannot be reached
   */
  constructor(processedByJob, onApiReach) {
    this.processedByJob = processedByJob;
    this.onApiReach = onApiReach;
    this.statCells = new Map([...document.querySelectorAll('#stats [data-stat]')].map((cell) => [cell.dataset.stat, cell]));
    this.nodesBody = document.getElementById('nodes');
    this.nodesNote = document.getElementById('nodes-note');
    this.chart = document.getElementById('throughput');
    this.samples = this.loadSamples();
    this.previous = null;
  }

  start() {
    this.poll(() => api.stats(), (body) => this.showStats(body));
    this.poll(() => api.cluster(), (body) => this.showNodes(body));
    window.setInterval(() => this.sample(), SAMPLE_MS);
    this.draw();
  }

  /** Polls one endpoint for good. */
  async poll(request, show) {
    try {
      const answer = await request();
      this.onApiReach(true);
      if (answer.ok && answer.body) {
        show(answer.body);
      }
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
    }
    window.setTimeout(() => this.poll(request, show), POLL_MS);
  }

  showStats(stats) {
    this.statCells.forEach((cell, name) => setText(cell, format.count(stats[name])));
  }

  showNodes(cluster) {
    const nodes = Array.isArray(cluster.nodes) ? cluster.nodes : [];
    this.nodesBody.replaceChildren(...nodes.map((node) => el('tr', {},
      el('td', { title: String(node.id ?? '') }, String(node.id ?? '').slice(0, 8)),
      el('td', {}, Array.isArray(node.roles) ? node.roles.join(', ') : ''),
      el('td', {}, node.host ?? ''),
      el('td', {}, format.time(node.startedAt)))));
    this.nodesNote.hidden = nodes.length > 0;
    setText(this.nodesNote, 'No nodes reported.');
  }

  /** Tasks per second since the last sample, over the jobs on this page; a job new to the page counts from its first sample. */
  sample() {
    const now = Date.now();
    const current = this.processedByJob();
    if (this.previous) {
      let moved = 0;
      current.forEach((processed, id) => {
        const before = this.previous.counts.get(id);
        if (before != null && processed > before) {
          moved += processed - before;
        }
      });
      this.samples.push([now, (moved * 1000) / (now - this.previous.at)]);
      this.samples = this.samples.filter(([at]) => now - at <= WINDOW_MS);
      this.saveSamples();
      this.draw();
    }
    this.previous = { at: now, counts: current };
  }

  draw() {
    const now = Date.now();
    // The chart grows to its full five minutes; a page just opened still gets a readable line.
    const oldest = this.samples.length > 0 ? this.samples[0][0] : now;
    const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - oldest));
    const peak = Math.max(1, ...this.samples.map(([, value]) => value));
    const x = (at) => Math.max(0, ((at - (now - span)) / span) * WIDTH);
    const y = (value) => HEIGHT - 12 - (value / peak) * (HEIGHT - 24);
    const parts = [];
    if (this.samples.length === 1) {
      const [at, value] = this.samples[0];
      parts.push(svg('circle', { class: 'dot', cx: x(at).toFixed(1), cy: y(value).toFixed(1), r: 2 }));
    } else if (this.samples.length > 1) {
      const points = this.samples.map(([at, value]) => `${x(at).toFixed(1)},${y(value).toFixed(1)}`);
      const first = x(this.samples[0][0]).toFixed(1);
      const last = x(this.samples[this.samples.length - 1][0]).toFixed(1);
      parts.push(svg('polygon', { class: 'area', points: `${first},${HEIGHT - 12} ${points.join(' ')} ${last},${HEIGHT - 12}` }));
      parts.push(svg('polyline', { class: 'line', points: points.join(' ') }));
    }
    const latest = this.samples.length > 0 ? this.samples[this.samples.length - 1][1] : 0;
    parts.push(svg('text', { class: 'axis', x: 4, y: 10 }, `peak ${format.rate(peak)}`));
    parts.push(svg('text', { class: 'axis', x: WIDTH - 4, y: 10, 'text-anchor': 'end' }, `now ${format.rate(latest)}`));
    parts.push(svg('text', { class: 'axis', x: 4, y: HEIGHT - 2 }, `−${format.duration(span)}`));
    parts.push(svg('text', { class: 'axis', x: WIDTH - 4, y: HEIGHT - 2, 'text-anchor': 'end' }, 'now'));
    this.chart.replaceChildren(...parts);
  }

  loadSamples() {
    try {
      const stored = JSON.parse(window.sessionStorage.getItem(SAMPLES_KEY) || '[]');
      return Array.isArray(stored) ? stored.filter((s) => Array.isArray(s) && s.length === 2) : [];
    } catch (e) {
      return [];
    }
  }

  saveSamples() {
    try {
      window.sessionStorage.setItem(SAMPLES_KEY, JSON.stringify(this.samples));
    } catch (e) {
      // Only the chart's history is lost.
    }
  }
}
