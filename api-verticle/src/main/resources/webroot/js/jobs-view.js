// The dashboard of every job: GET /jobs newest first, filtered on the server by status and
// type, a page at a time (the API's cursor), or one job found by its id; or, as a filter, only
// the jobs this browser follows. Running jobs on the page follow live like any card.

import { api, Unreachable } from './api.js';
import { setText } from './dom.js';
import { JobBoard } from './job-board.js';

const PAGE_SIZE = 20;
const SCOPE_KEY = 'fanout.scope';
const REFRESH_MS = 2000;
const ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class JobsView {
  /** @param mine the JobBoard of this browser's jobs, shown when the filter asks for it */
  constructor(feed, mine, onApiReach) {
    this.mine = mine;
    this.onApiReach = onApiReach;
    this.form = document.getElementById('job-filters');
    this.scope = document.getElementById('filter-scope');
    this.status = document.getElementById('filter-status');
    this.type = document.getElementById('filter-type');
    this.search = document.getElementById('filter-id');
    this.newer = document.getElementById('page-newer');
    this.older = document.getElementById('page-older');
    this.note = document.getElementById('all-jobs-note');
    this.mineSection = document.getElementById('mine');
    this.allSection = document.getElementById('all');
    this.board = new JobBoard(document.getElementById('all-job-list'), document.getElementById('all-jobs-empty'),
      feed, onApiReach, { remember: false, owner: 'dashboard' });
    // Cursors of the pages before this one, to go back to; the API's cursors only go older.
    this.cursors = [];
    this.cursor = null;
    this.next = null;
    this.busy = false;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.reload();
    });
    // The scope is kept for this tab, so a reload shows the same list.
    this.scope.value = window.sessionStorage.getItem(SCOPE_KEY) || 'all';
    this.scope.addEventListener('change', () => {
      window.sessionStorage.setItem(SCOPE_KEY, this.scope.value);
      this.reload();
    });
    this.status.addEventListener('change', () => this.reload());
    this.older.addEventListener('click', () => this.page(this.next, true));
    this.newer.addEventListener('click', () => this.page(this.cursors.pop() ?? null, false));
  }

  start() {
    this.reload();
    // Jobs submitted elsewhere (another browser, curl) appear without a reload: the bridge says
    // when jobs end, but not when one is queued, so the page asks now and then.
    window.setInterval(() => this.refresh(), REFRESH_MS);
  }

  /** The page shown, asked again: new jobs appear, changed ones update in place. */
  refresh() {
    if (this.scope.value === 'all' && !this.busy) {
      this.page(this.cursor, false);
    }
  }

  reload() {
    this.cursors = [];
    this.page(null, false);
  }

  async page(cursor, forward) {
    const mineOnly = this.scope.value === 'mine';
    this.mineSection.hidden = !mineOnly;
    this.allSection.hidden = mineOnly;
    for (const input of [this.status, this.type, this.search]) {
      input.disabled = mineOnly;
    }
    if (mineOnly) {
      return;
    }
    if (forward) {
      this.cursors.push(this.cursor);
    }
    this.cursor = cursor;
    const id = this.search.value.trim();
    this.busy = true;
    try {
      if (id) {
        await this.showOne(id);
      } else {
        await this.showPage();
      }
      this.onApiReach(true);
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
    } finally {
      this.busy = false;
    }
    this.newer.disabled = id !== '' || this.cursors.length === 0;
    this.older.disabled = id !== '' || this.next == null;
  }

  async showPage() {
    const query = { limit: PAGE_SIZE };
    if (this.status.value) {
      query.status = this.status.value;
    }
    if (this.type.value.trim()) {
      query.type = this.type.value.trim();
    }
    if (this.cursor != null) {
      query.before = this.cursor;
    }
    const answer = await api.jobs(query);
    if (!answer.ok) {
      this.board.clear();
      setText(this.note, answer.error ? answer.error.message : `The jobs could not be listed (${answer.status}).`);
      this.next = null;
      return;
    }
    setText(this.note, '');
    const jobs = answer.body.jobs;
    const cards = this.board.cards;
    if (jobs.length === cards.size && jobs.every((job) => cards.has(job.id))) {
      // The same jobs as shown: update them in place, so nothing redraws and open logs stay open.
      jobs.forEach((job) => cards.get(job.id).applyJob(job));
    } else {
      this.board.clear();
      jobs.forEach((job) => this.board.add(job.id, null, 'end', job));
    }
    this.next = answer.body.next ?? null;
  }

  async showOne(id) {
    this.next = null;
    if (!ID_SHAPE.test(id)) {
      this.board.clear();
      setText(this.note, 'A job id looks like 5b0c1f3e-…: 36 characters.');
      return;
    }
    const answer = await api.job(id);
    if (answer.ok) {
      setText(this.note, '');
      if (this.board.cards.size !== 1 || !this.board.cards.has(id)) {
        this.board.clear();
        this.board.add(id, null, 'end', answer.body);
      } else {
        this.board.cards.get(id).applyJob(answer.body);
      }
    } else {
      this.board.clear();
      setText(this.note, answer.status === 404 ? `No job ${id}.` : `The job could not be read (${answer.status}).`);
    }
  }
}
