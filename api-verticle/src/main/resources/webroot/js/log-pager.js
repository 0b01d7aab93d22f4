// One job's log, a page at a time, read from GET /jobs/<id>/log?from=&limit=, which answers
// {records: [{offset, record}], next, end}: offsets in the job's log topic. Offsets are not record
// numbers (each transaction's commit marker takes one), so the pager counts the records it has
// paged past itself.

import { api, Unreachable } from './api.js';
import { el, setText } from './dom.js';
import * as format from './format.js';

const PAGE_SIZE = 20;

export class LogPager {
  constructor(jobId) {
    this.jobId = jobId;
    this.from = 0;
    this.first = 1;
    this.earlier = [];
    this.next = null;
    this.rows = el('tbody');
    this.note = el('p', { class: 'note' });
    this.position = el('span', { class: 'note' });
    this.back = el('button', { type: 'button', class: 'log-earlier', onclick: () => this.showEarlier() }, '‹ Earlier');
    this.forward = el('button', { type: 'button', class: 'log-later', onclick: () => this.showLater() }, 'Later ›');
    this.element = el('div', { class: 'log-panel' },
      el('table', {},
        el('thead', {}, el('tr', {}, el('th', {}, 'Task'), el('th', {}, 'Outcome'), el('th', {}, 'Value'),
          el('th', {}, 'Worker'), el('th', {}, 'At'))),
        this.rows),
      this.note,
      el('div', { class: 'log-pager' }, this.back, this.forward, this.position));
  }

  open() {
    this.load(0);
  }

  showEarlier() {
    if (this.earlier.length > 0) {
      const page = this.earlier.pop();
      this.load(page.from, false, page.first);
    }
  }

  showLater() {
    if (this.next != null) {
      this.earlier.push({ from: this.from, first: this.first });
      this.load(this.next, false, this.first + this.rows.childElementCount);
    }
  }

  /** Shows the page at offset {@code from}, whose first record is record number {@code first}. */
  async load(from, resetHistory = true, first = 1) {
    if (resetHistory) {
      this.earlier = [];
    }
    setText(this.note, 'Loading…');
    let answer;
    try {
      answer = await api.log(this.jobId, from, PAGE_SIZE);
    } catch (e) {
      if (e instanceof Unreachable) {
        setText(this.note, 'The API cannot be reached; try again in a moment.');
        return;
      }
      throw e;
    }
    if (!answer.ok) {
      setText(this.note, answer.error ? answer.error.message : `The log could not be read (${answer.status}).`);
      return;
    }
    const records = Array.isArray(answer.body.records) ? answer.body.records : [];
    const end = Number.isFinite(answer.body.end) ? answer.body.end : null;
    const next = Number.isFinite(answer.body.next) ? answer.body.next : from + records.length;
    this.from = from;
    this.first = first;
    // More to read while the page was full, or short of the end the server reported.
    this.next = records.length > 0 && (end == null ? records.length === PAGE_SIZE : next < end) ? next : null;
    this.rows.replaceChildren(...records.map((entry) => this.row(entry)));
    setText(this.note, records.length === 0 ? 'No records here yet.' : '');
    setText(this.position, records.length === 0 ? ''
      : `records ${format.count(first)}–${format.count(first + records.length - 1)}`);
    this.back.disabled = this.earlier.length === 0;
    this.forward.disabled = this.next == null;
  }

  /** One log entry: {offset, record}, the record a task outcome or a lifecycle event (or plain text). */
  row(entry) {
    const record = entry && typeof entry === 'object' && 'record' in entry ? entry.record : entry;
    if (record == null || typeof record !== 'object') {
      return el('tr', {}, el('td', {}, entry && entry.offset != null ? entry.offset : ''), el('td', {}, ''),
        el('td', { class: 'value' }, format.json(record, 300)), el('td', {}, ''), el('td', {}, ''));
    }
    if (record.event) {
      return el('tr', {}, el('td', {}, '—'), el('td', {}, `job ${record.event}`),
        el('td', { class: 'value' }, `${format.count(record.done)} done, ${format.count(record.failed)} failed`),
        el('td', {}, ''), el('td', {}, format.time(record.at)));
    }
    const value = record.status === 'failed' ? record.error : record.result;
    return el('tr', {},
      el('td', {}, record.index != null ? record.index : ''),
      el('td', {}, record.status ? record.status : ''),
      el('td', { class: 'value' }, format.json(value, 300)),
      el('td', { title: record.worker ? String(record.worker) : '' }, record.worker ? String(record.worker).slice(0, 15) : ''),
      el('td', {}, format.time(record.at)));
  }
}
