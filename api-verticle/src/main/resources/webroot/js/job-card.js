// One job on the page: its progress bar, counts, rate, ETA, state and last log message, with
// its buttons. Whatever arrives (a live snapshot, an API answer, the state remembered before a
// reload) is shown only if it moves the job forward, so the count never goes back.

import { el, setText } from './dom.js';
import * as format from './format.js';
import { LogPager } from './log-pager.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const RANK = { unknown: -1, queued: 0, running: 1, completed: 2, failed: 2, cancelled: 2, gone: 3 };
/** Past this without a snapshot, a running job's rate is no longer shown as current. */
const STALE_MS = 5000;

export const isFinal = (status) => FINAL.has(status);

/** Whether `next` is newer than `shown`: a higher sequence, or the same one in a later state. */
export function isAhead(next, shown) {
  if (shown.seq == null || shown.seq < 0) {
    return true;
  }
  if (next.seq !== shown.seq) {
    return next.seq > shown.seq;
  }
  return (RANK[next.status] ?? 0) > (RANK[shown.status] ?? 0);
}

export class JobCard {
  /**
   * @param lastShown what this page showed before a reload (or what the submit answer said)
   * @param actions {cancel(card), retry(card), dismiss(card), shown(card)}
   */
  constructor(id, lastShown, actions) {
    this.id = id;
    this.actions = actions;
    this.state = {
      id, type: null, payload: null, status: 'unknown', done: 0, failed: 0, total: null, seq: -1,
      rate: null, etaMs: null, lastLog: null, result: null, error: null, startedAt: null, finishedAt: null,
      ...(lastShown || {}),
    };
    this.heardAt = 0;
    this.message = '';
    this.logPager = null;
    this.build();
    this.render();
  }

  get status() {
    return this.state.status;
  }

  /** Done plus failed: what the throughput chart adds up. */
  get processed() {
    return this.state.done + this.state.failed;
  }

  /** A live snapshot from the bridge. */
  applySnapshot(snapshot) {
    if (!isAhead(snapshot, this.state)) {
      return false;
    }
    this.heardAt = Date.now();
    this.takeCounts(snapshot, snapshot.seq);
    this.state.rate = snapshot.rate;
    this.state.etaMs = snapshot.etaMs;
    if (snapshot.lastLog) {
      this.state.lastLog = snapshot.lastLog;
    }
    this.render();
    return true;
  }

  /** GET /jobs/<id> (or the job a cancel answered with). */
  applyJob(job) {
    for (const field of ['type', 'payload', 'result', 'error', 'createdAt', 'startedAt', 'finishedAt', 'submittedBy']) {
      if (job[field] !== undefined) {
        this.state[field] = job[field];
      }
    }
    // The server orders a job's state as it orders its snapshots (ProgressSnapshot.seqOf), the
    // run's generation first: a retried job's first snapshots are ahead of its old end.
    const candidate = {
      done: job.done || 0, failed: job.failed || 0, total: job.total, status: job.status, seq: job.progressSeq,
    };
    if (isAhead(candidate, this.state)) {
      this.takeCounts(candidate, candidate.seq);
      if (isFinal(job.status)) {
        this.state.etaMs = 0;
      }
    }
    this.render();
  }

  applyLastLog(record) {
    if (record) {
      this.state.lastLog = record;
      this.render();
    }
  }

  markGone() {
    this.state.status = 'gone';
    this.say('This job is no longer on the server.');
  }

  say(message) {
    this.message = message || '';
    this.render();
  }

  takeCounts(next, seq) {
    // Belt and braces: even a reordered pair of answers cannot lower the done count, which never
    // goes down. The failed count can: a retry of the failed tasks starts it again from zero.
    this.state.done = Math.max(this.state.done, next.done);
    this.state.failed = next.failed;
    if (next.total != null) {
      this.state.total = next.total;
    }
    this.state.status = next.status;
    this.state.seq = seq;
  }

  build() {
    this.title = el('span', { class: 'job-title' });
    this.idLabel = el('a', { class: 'job-id', title: this.id, href: `#/jobs/${this.id}` }, this.id.slice(0, 8));
    this.owner = el('span', { class: 'job-owner' });
    this.badge = el('span', { class: 'state' });
    this.cancelButton = el('button', { type: 'button', class: 'cancel', onclick: () => this.actions.cancel(this) }, 'Cancel');
    this.retryButton = el('button', { type: 'button', class: 'retry', onclick: () => this.actions.retry(this) }, 'Retry failed');
    this.logButton = el('button', { type: 'button', class: 'log', 'aria-expanded': 'false', onclick: () => this.toggleLog() }, 'Log');
    this.dismissButton = el('button', { type: 'button', class: 'dismiss', onclick: () => this.actions.dismiss(this) }, 'Dismiss');
    this.payloadLine = el('p', { class: 'payload' });
    this.doneBar = el('div', { class: 'bar-done' });
    this.failedBar = el('div', { class: 'bar-failed' });
    this.barLabel = el('div', { class: 'bar-label' });
    this.bar = el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' },
      this.doneBar, this.failedBar, this.barLabel);
    this.doneText = el('span', { class: 'done-count' });
    this.failedText = el('span', { class: 'failed-count' });
    this.rateText = el('span', { class: 'rate' });
    this.etaText = el('span', { class: 'eta' });
    this.lastLogText = el('span', { class: 'last-log-text' });
    this.lastLogLine = el('p', { class: 'last-log' }, el('span', { class: 'label' }, 'Last: '), this.lastLogText);
    this.messageLine = el('p', { class: 'job-message', role: 'alert' });
    this.element = el('li', { class: 'job', 'data-job-id': this.id },
      el('div', { class: 'job-head' }, this.title, this.idLabel, this.owner, this.badge,
        el('div', { class: 'job-actions' }, this.cancelButton, this.retryButton, this.logButton, this.dismissButton)),
      this.payloadLine, this.bar,
      el('div', { class: 'figures' }, this.doneText, this.failedText, this.rateText, this.etaText),
      this.lastLogLine, this.messageLine);
  }

  render() {
    const s = this.state;
    const known = s.status !== 'unknown';
    const running = s.status === 'running';
    const final = isFinal(s.status);
    this.element.dataset.status = s.status;
    this.element.dataset.done = String(s.done);
    this.element.dataset.failed = String(s.failed);
    this.element.dataset.total = s.total == null ? '' : String(s.total);
    this.element.dataset.seq = String(s.seq);

    setText(this.title, s.type || 'job');
    setText(this.owner, s.submittedBy ? `by ${s.submittedBy}` : '');
    setText(this.badge, known ? s.status : 'loading');
    this.badge.dataset.status = s.status;
    setText(this.payloadLine, s.payload && Object.keys(s.payload).length > 0 ? format.json(s.payload, 240) : '');

    const donePct = format.percent(s.done, s.total);
    const failedPct = Math.min(100 - donePct, format.percent(s.failed, s.total));
    const processedPct = donePct + failedPct;
    this.doneBar.style.width = `${donePct}%`;
    this.failedBar.style.left = `${donePct}%`;
    this.failedBar.style.width = `${failedPct}%`;
    const pctText = processedPct >= 100 || processedPct === 0 ? String(Math.round(processedPct)) : processedPct.toFixed(1);
    setText(this.barLabel, known ? `${pctText} %` : '…');
    this.bar.setAttribute('aria-valuenow', String(Math.round(processedPct)));

    setText(this.doneText, known ? `${format.count(s.done)} / ${format.count(s.total)} done` : 'loading…');
    setText(this.failedText, `${format.count(s.failed)} failed`);
    this.failedText.dataset.zero = String(!s.failed);
    const fresh = Date.now() - this.heardAt < STALE_MS;
    if (running && s.done + s.failed === 0) {
      setText(this.rateText, 'waiting for a worker…');
      setText(this.etaText, '');
    } else if (running) {
      setText(this.rateText, fresh ? format.rate(s.rate) : 'waiting for progress…');
      setText(this.etaText, fresh && s.etaMs != null ? `ETA ${format.duration(s.etaMs)}` : '');
    } else if (final && s.startedAt && s.finishedAt) {
      setText(this.rateText, `took ${format.duration(Date.parse(s.finishedAt) - Date.parse(s.startedAt))}`);
      setText(this.etaText, '');
    } else {
      setText(this.rateText, '');
      setText(this.etaText, '');
    }

    setText(this.lastLogText, s.lastLog ? format.logRecord(s.lastLog) : '–');
    const errorText = s.error ? `Error: ${s.error}` : '';
    setText(this.messageLine, [this.message, errorText].filter(Boolean).join(' · '));

    this.cancelButton.hidden = !(s.status === 'queued' || running);
    this.retryButton.hidden = !(final && s.failed > 0);
    this.dismissButton.hidden = !(final || s.status === 'gone');
    this.logButton.hidden = s.status === 'gone';
    this.actions.shown(this);
  }

  /** What a reload should start from: exactly what is on screen now. */
  remembered() {
    const s = this.state;
    return {
      type: s.type, payload: JSON.stringify(s.payload || {}).length <= 2000 ? s.payload : null, status: s.status === 'gone' ? 'unknown' : s.status, done: s.done,
      failed: s.failed, total: s.total, seq: s.seq, lastLog: s.lastLog, startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    };
  }

  toggleLog() {
    if (this.logPager) {
      this.logPager.element.remove();
      this.logPager = null;
      this.logButton.setAttribute('aria-expanded', 'false');
      return;
    }
    this.logPager = new LogPager(this.id);
    this.element.append(this.logPager.element);
    this.logButton.setAttribute('aria-expanded', 'true');
    this.logPager.open();
  }
}
