// A list of job cards fed by live snapshots and by the API, one card per job id whatever the
// source (no job shown twice). The page has three: the jobs this browser follows (remembered in
// localStorage, dropped only when the user dismisses one), a page of the dashboard of every job,
// and the job page; only the first remembers.

import { api, Unreachable } from './api.js';
import { isFinal, JobCard } from './job-card.js';
import { shelf } from './shelf.js';

export class JobBoard {
  /**
   * @param feed the ProgressFeed that brings snapshots
   * @param onApiReach called with true or false as the API answers or cannot be reached
   */
  constructor(list, emptyNote, feed, onApiReach, { remember = true, owner = 'board' } = {}) {
    this.list = list;
    this.remember = remember;
    this.owner = owner;
    this.emptyNote = emptyNote;
    this.feed = feed;
    this.onApiReach = onApiReach;
    this.cards = new Map();
    this.actions = {
      cancel: (card) => this.cancel(card),
      retry: (card) => this.retry(card),
      dismiss: (card) => this.dismiss(card),
      shown: (card) => this.remember && shelf.rememberShown(card.id, card.remembered()),
    };
    // A running job's rate goes stale when no snapshot comes: redraw now and then to say so.
    window.setInterval(() => this.cards.forEach((card) => card.status === 'running' && card.render()), 1000);
  }

  /** After a reload or in a new tab: every remembered job, in the remembered order. */
  restore() {
    shelf.ids().forEach((id) => this.add(id, null, 'end'));
    shelf.onOtherTabChange((ids) => this.syncWith(ids));
  }

  /**
   * Shows the job (once) and follows it; `known` is what the caller already knows of it, and
   * `job` the API's whole answer for it when the caller has one (a listing), so it is not asked again.
   */
  add(id, known, where = 'start', job = null) {
    let card = this.cards.get(id);
    if (card) {
      return card;
    }
    card = new JobCard(id, known || (this.remember ? shelf.lastShown(id) : null), this.actions);
    if (!this.remember) {
      // Dismissing is forgetting a job this browser follows; a listing shows what the server has.
      card.dismissButton.remove();
    }
    this.cards.set(id, card);
    if (where === 'start') {
      this.list.prepend(card.element);
    } else {
      this.list.append(card.element);
    }
    if (this.remember) {
      shelf.add(id);
    }
    this.emptyNote.hidden = true;
    if (job) {
      card.applyJob(job);
    }
    if (!isFinal(card.status)) {
      this.feed.follow(id, this.owner);
    }
    if (!job) {
      this.refresh(card);
    }
    return card;
  }

  onSnapshot(snapshot) {
    const card = this.cards.get(snapshot.jobId);
    if (card && card.applySnapshot(snapshot) && isFinal(card.status)) {
      this.feed.unfollow(card.id, this.owner);
      this.refresh(card);
    }
  }

  onEvent(event) {
    const card = this.cards.get(event.jobId);
    if (card) {
      this.refresh(card);
    }
  }

  /** After the bridge comes back: whatever happened meanwhile, ask the API too. */
  refreshAll() {
    this.cards.forEach((card) => this.refresh(card));
  }

  /** Done plus failed, per job: the throughput chart's input. */
  processedByJob() {
    const processed = new Map();
    this.cards.forEach((card, id) => processed.set(id, card.processed));
    return processed;
  }

  async refresh(card) {
    try {
      const answer = await api.job(card.id);
      this.onApiReach(true);
      if (answer.ok) {
        card.applyJob(answer.body);
        if (isFinal(card.status)) {
          this.feed.unfollow(card.id, this.owner);
        } else {
          this.feed.follow(card.id, this.owner);
        }
      } else if (answer.status === 404) {
        card.markGone();
        this.feed.unfollow(card.id, this.owner);
        return;
      }
      const last = await api.lastLog(card.id);
      if (last.ok && last.body) {
        card.applyLastLog(last.body.record);
      }
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
    }
  }

  async cancel(card) {
    await this.act(card, () => api.cancel(card.id), (answer) => {
      if (answer.body && answer.body.id) {
        card.applyJob(answer.body);
      }
      this.refresh(card);
    }, 'Cancelling');
  }

  async retry(card) {
    await this.act(card, () => api.retryFailed(card.id), (answer) => {
      const newId = answer.body && answer.body.jobId;
      if (newId && newId !== card.id && shelf.isJobId(newId)) {
        this.add(newId, { status: 'queued', type: card.state.type, payload: card.state.payload });
      } else {
        this.feed.follow(card.id, this.owner);
        this.refresh(card);
      }
    }, 'Retrying failed tasks');
  }

  dismiss(card) {
    this.remove(card.id);
    if (this.remember) {
      shelf.remove(card.id);
    }
  }

  /** Every card off the list, as a new page of a listing comes. */
  clear() {
    [...this.cards.keys()].forEach((id) => this.remove(id));
  }

  remove(id) {
    const card = this.cards.get(id);
    if (card) {
      this.feed.unfollow(id, this.owner);
      card.element.remove();
      this.cards.delete(id);
    }
    this.emptyNote.hidden = this.cards.size > 0;
  }

  /** Another tab added or dismissed jobs: show the same set. */
  syncWith(ids) {
    const wanted = new Set(ids);
    [...this.cards.keys()].filter((id) => !wanted.has(id)).forEach((id) => this.remove(id));
    [...ids].reverse().forEach((id) => this.add(id, null));
  }

  async act(card, request, onSuccess, what) {
    card.say('');
    try {
      const answer = await request();
      this.onApiReach(true);
      if (!answer.ok) {
        card.say(answer.error ? answer.error.message : `${what} was refused (${answer.status}).`);
      } else {
        onSuccess(answer);
      }
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
      card.say('The API cannot be reached; try again in a moment.');
    }
  }
}
