// One job on a page of its own (#/jobs/<id>): its card with progress, rate and ETA, the log
// pager open, its timeline (created, started, finished), its results to download, its failures,
// with Retry on the card, and the tries of its completion webhook.

import { api, Unreachable } from './api.js';
import { el, setText } from './dom.js';
import * as format from './format.js';
import { JobBoard } from './job-board.js';

const FAILURES_SHOWN = 50;

export class JobPage {
  constructor(feed, onApiReach) {
    this.onApiReach = onApiReach;
    this.section = document.getElementById('job-page');
    this.timeline = document.getElementById('job-timeline');
    this.failures = document.getElementById('job-failures');
    this.failuresNote = document.getElementById('job-failures-note');
    this.resultsNote = document.getElementById('job-results-note');
    for (const format of ['ndjson', 'csv']) {
      document.getElementById(`job-results-${format}`).addEventListener('click', () => this.saveResults(format));
    }
    this.callbacks = document.getElementById('job-callbacks');
    this.callbacksNote = document.getElementById('job-callbacks-note');
    this.board = new JobBoard(document.getElementById('job-page-card'), el('p'), feed, onApiReach,
      { remember: false, owner: 'page' });
    this.id = null;
  }

  /** Shows the job, or hides the page when `id` is null (the dashboard is shown instead). */
  show(id) {
    this.board.clear();
    this.id = id;
    this.section.hidden = id == null;
    if (id == null) {
      return;
    }
    delete this.resultsNote.dataset.lines;
    setText(this.resultsNote, 'Every task\'s outcome in index order, while the job\'s log is kept.');
    const card = this.board.add(id, null, 'end');
    card.toggleLog();
    this.refresh();
  }

  /** A job's lifecycle event or final snapshot: the timeline and failures may have moved. */
  onChange(jobId) {
    if (jobId === this.id) {
      this.refresh();
    }
  }

  async refresh() {
    const id = this.id;
    try {
      const [job, failures, callbacks] = await Promise.all([api.job(id), api.failures(id, 0, FAILURES_SHOWN),
        api.callbacks(id)]);
      this.onApiReach(true);
      if (id !== this.id || !job.ok) {
        return;
      }
      this.showTimeline(job.body);
      this.showFailures(failures.ok ? failures.body.failures : []);
      this.showCallbacks(callbacks.ok ? callbacks.body : { attempts: [] });
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
    }
  }

  /** Fetches the job's results with the session's token and hands them to the browser as a file. */
  async saveResults(format) {
    const id = this.id;
    setText(this.resultsNote, 'Fetching the results…');
    try {
      const answer = await api.results(id, format);
      if (id !== this.id) {
        return;
      }
      if (!answer.ok) {
        setText(this.resultsNote, answer.error?.message ?? `The results could not be read (HTTP ${answer.status}).`);
        return;
      }
      const text = await answer.blob.text();
      const lines = text.split('\n').filter((line) => line.length > 0).length - (format === 'csv' ? 1 : 0);
      const link = el('a', { href: URL.createObjectURL(answer.blob), download: `job-${id}-results.${format}` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      this.resultsNote.dataset.lines = String(lines);
      setText(this.resultsNote, `Saved ${lines} result${lines === 1 ? '' : 's'} as ${format === 'csv' ? 'CSV' : 'ndjson'}.`);
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
      setText(this.resultsNote, 'The API cannot be reached.');
    }
  }

  showTimeline(job) {
    this.timeline.replaceChildren(...[['Created', job.createdAt], ['Started', job.startedAt],
      ['Finished', job.finishedAt]].map(([label, at]) => el('div', { 'data-step': label.toLowerCase() },
      el('dt', {}, label), el('dd', {}, at ? new Date(at).toLocaleString() : '–'))));
  }

  /** The webhook's tries, and where it stands: waiting for the end, pending, delivered or given up. */
  showCallbacks(callbacks) {
    const attempts = callbacks.attempts ?? [];
    this.callbacks.replaceChildren(...attempts.map((attempt) => el('tr', {},
      el('td', {}, String(attempt.attempt)), el('td', {}, new Date(attempt.at).toLocaleString()),
      el('td', {}, attempt.statusCode != null ? String(attempt.statusCode) : attempt.error ?? ''),
      el('td', {}, `${attempt.durationMs} ms`))));
    setText(this.callbacksNote, !callbacks.callbackUrl ? 'No callbackUrl: no webhook.'
      : `To ${callbacks.callbackUrl}: ${(callbacks.state ?? '').replace('_', ' ')}`
        + (callbacks.nextAttemptAt ? `, next try ${new Date(callbacks.nextAttemptAt).toLocaleString()}` : ''));
  }

  showFailures(failures) {
    this.failures.replaceChildren(...failures.map((failure) => el('tr', {},
      el('td', {}, format.count(failure.index)), el('td', {}, failure.error ?? ''),
      el('td', {}, failure.attempts ?? ''))));
    setText(this.failuresNote, failures.length === 0 ? 'No task failed for good.' : '');
  }
}
