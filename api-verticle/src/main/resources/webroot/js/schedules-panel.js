// Recurring jobs: the list of schedules (GET /schedules, with each one's last firing from
// GET /schedules/<id>), a form that makes one (a cron, a zone and the job each firing submits),
// and per schedule a button to pause or resume it and one to delete it.

import { api, Unreachable } from './api.js';
import { el, setText } from './dom.js';
import * as format from './format.js';
import { clearRefusal, jobFromFields, showRefusal } from './submit-form.js';

/** As often as the dashboard asks: a firing every few seconds shows up while it is fresh. */
const POLL_MS = 2000;

export class SchedulesPanel {
  /** @param onApiReach called with true or false as the API answers or cannot be reached */
  constructor(onApiReach) {
    this.onApiReach = onApiReach;
    this.form = document.getElementById('schedule-form');
    this.errorLine = document.getElementById('schedule-error');
    this.list = document.getElementById('schedule-list');
    this.emptyNote = document.getElementById('schedules-empty');
    this.timer = null;
    /** Only the latest answer is drawn: an older poll's, landing after a change, would undo it. */
    this.asked = 0;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      this.form.elements.timeZone.value = zone;
    }
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
  }

  start() {
    this.refresh();
  }

  /** Asks again now, and then every POLL_MS; an action's answer shows at once. */
  async refresh() {
    window.clearTimeout(this.timer);
    const asked = ++this.asked;
    try {
      const answer = await api.schedules();
      this.onApiReach(true);
      const schedules = answer.ok && answer.body ? await withLastFirings(answer.body.schedules || []) : null;
      if (schedules && asked === this.asked) {
        this.show(schedules);
      }
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.onApiReach(false);
    }
    if (asked === this.asked) {
      this.timer = window.setTimeout(() => this.refresh(), POLL_MS);
    }
  }

  show(schedules) {
    this.emptyNote.hidden = schedules.length > 0;
    this.list.replaceChildren(...schedules.map((schedule) => this.row(schedule)));
  }

  row(schedule) {
    const template = schedule.template || {};
    const last = schedule.firings && schedule.firings[0];
    return el('li', { class: 'schedule', 'data-schedule-id': schedule.id, 'data-paused': String(schedule.paused) },
      el('span', { class: 'schedule-times' },
        el('code', { class: 'schedule-cron' }, schedule.cron), ' ', el('span', { class: 'schedule-zone' }, schedule.timeZone)),
      el('span', { class: 'state', 'data-status': schedule.paused ? 'paused' : 'running' }, schedule.paused ? 'paused' : 'active'),
      el('span', { class: 'schedule-job' }, template.type,
        template.count == null ? '' : ` × ${format.count(template.count)}`),
      el('span', { class: 'schedule-next', title: schedule.nextFireAt || '' },
        schedule.paused || !schedule.nextFireAt ? 'no next firing' : `next ${dateTime(schedule.nextFireAt)}`),
      last
        ? el('a', { class: 'schedule-last-job', href: `#/jobs/${last.jobId}`, title: `fired for ${dateTime(last.firedFor)}` },
          `last job ${last.jobId.slice(0, 8)}`)
        : el('span', { class: 'schedule-last-job note' }, 'not fired yet'),
      el('span', { class: 'job-actions' },
        el('button', { type: 'button', class: 'schedule-pause', onclick: () => this.act(api.pauseSchedule(schedule.id, !schedule.paused)) },
          schedule.paused ? 'Resume' : 'Pause'),
        el('button', { type: 'button', class: 'schedule-delete', onclick: () => this.act(api.deleteSchedule(schedule.id)) },
          'Delete')));
  }

  async create() {
    clearRefusal(this.form, this.errorLine);
    const fields = this.form.elements;
    let schedule;
    try {
      // No iterations given: one task over the payload, as a one-task type (compute) takes it.
      const template = jobFromFields(fields, fields.count.value.trim() === '' ? 'single' : 'count');
      schedule = { cron: fields.cron.value.trim(), timeZone: fields.timeZone.value.trim() || 'UTC', template };
    } catch (e) {
      showRefusal(this.form, this.errorLine, e.field, e.message);
      return;
    }
    const button = this.form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await this.act(api.createSchedule(schedule));
    } finally {
      button.disabled = false;
    }
  }

  /** Waits for a change the API was asked for: a refusal is shown under the form, a success redraws the list. */
  async act(request) {
    try {
      const answer = await request;
      if (!answer.ok) {
        showRefusal(this.form, this.errorLine, answer.error && answer.error.field,
          answer.error ? answer.error.message : `The schedule change was refused (${answer.status}).`);
        return;
      }
      clearRefusal(this.form, this.errorLine);
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      showRefusal(this.form, this.errorLine, null, 'The API cannot be reached; try again in a moment.');
      return;
    }
    await this.refresh();
  }
}

/** The list holds no firings; each schedule's own answer has its recent ones, newest first. */
async function withLastFirings(schedules) {
  const answers = await Promise.all(schedules.map((schedule) => api.schedule(schedule.id)));
  return schedules.map((schedule, i) => (answers[i].ok && answers[i].body ? answers[i].body : schedule));
}

function dateTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}
