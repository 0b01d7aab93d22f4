// The new-job form: builds the POST /jobs body, shows the API's refusal next to the field it
// names, and hands an accepted job to the board.

import { api, Unreachable } from './api.js';
import { setText } from './dom.js';

/** Types that are one task over the payload (SINGLE_TASK_TYPES on the server). */
const SINGLE_TASK_TYPES = new Set(['compute']);

/** What each type's payload looks like, shown in the empty payload box. */
const PAYLOAD_EXAMPLES = {
  http: '{"url": "https://api.partner.example/score", "concurrency": 64, "ratePerSecond": 200, "timeoutMs": 10000, '
    + '"headers": {"Authorization": {"secret": "PARTNER_TOKEN"}}}',
};
const DEFAULT_PAYLOAD_EXAMPLE = '{"input": "hello"}';

export class SubmitForm {
  constructor(form, errorLine, onAccepted) {
    this.form = form;
    this.errorLine = errorLine;
    this.onAccepted = onAccepted;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    form.elements.type.addEventListener('change', () => this.suggestWork());
    form.querySelectorAll('input[name="work"]').forEach((radio) => radio.addEventListener('change', () => this.showWork()));
    this.showWork();
  }

  get work() {
    return this.form.elements.work.value;
  }

  suggestWork() {
    const type = this.form.elements.type.value.trim();
    this.form.elements.payload.placeholder = PAYLOAD_EXAMPLES[type] || DEFAULT_PAYLOAD_EXAMPLE;
    const single = SINGLE_TASK_TYPES.has(type);
    if (single !== (this.work === 'single')) {
      this.form.elements.work.value = single ? 'single' : 'count';
      this.showWork();
    }
  }

  showWork() {
    this.form.querySelector('.work-count').hidden = this.work !== 'count';
    this.form.querySelector('.work-items').hidden = this.work !== 'items';
  }

  async submit() {
    this.clearErrors();
    let job;
    try {
      job = this.body();
    } catch (e) {
      this.fail(e.field, e.message);
      return;
    }
    const button = this.form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const answer = await api.submit(job);
      if (answer.status === 202 && answer.body && answer.body.jobId) {
        this.onAccepted(answer.body.jobId, job, answer.body.status || 'queued');
      } else if (answer.error) {
        this.fail(answer.error.field, answer.error.message);
      } else {
        this.fail(null, `The job was refused (${answer.status}).`);
      }
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      this.fail(null, 'The API cannot be reached; try again in a moment.');
    } finally {
      button.disabled = false;
    }
  }

  body() {
    return jobFromFields(this.form.elements, this.work);
  }

  clearErrors() {
    clearRefusal(this.form, this.errorLine);
  }

  fail(field, message) {
    showRefusal(this.form, this.errorLine, field, message);
  }
}

/**
 * The POST /jobs body a job form's fields describe (`work`: 'count', 'items' or 'single'); the
 * schedules' form builds its job template with it too, so the fields it lacks are left out.
 * Throws an Error whose `field` names the field at fault.
 */
export function jobFromFields(fields, work) {
  const job = { type: fields.type.value.trim() };
  if (!job.type) {
    throw invalid('type', 'Give a task type.');
  }
  const payloadText = fields.payload.value.trim();
  if (payloadText) {
    let payload;
    try {
      payload = JSON.parse(payloadText);
    } catch (e) {
      throw invalid('payload', `The payload is not valid JSON: ${e.message}`);
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw invalid('payload', 'The payload must be a JSON object, like {"input": "hello"}.');
    }
    job.payload = payload;
  }
  if (work === 'count') {
    job.count = wholeNumber(fields.count, 'count');
  } else if (work === 'items') {
    const lines = fields.items.value.split('\n').map((line) => line.trim()).filter(Boolean);
    if (lines.length === 0) {
      throw invalid('items', 'Give at least one item, one per line.');
    }
    job.items = lines.map(parseItem);
  }
  for (const name of ['partitions', 'priority', 'maxAttempts']) {
    if (fields[name] && fields[name].value.trim() !== '') {
      job[name] = wholeNumber(fields[name], name);
    }
  }
  return job;
}

export function clearRefusal(form, errorLine) {
  setText(errorLine, '');
  form.querySelectorAll('[aria-invalid]').forEach((field) => field.removeAttribute('aria-invalid'));
}

/** Shows the API's refusal on the line under the form and marks the field it names. */
export function showRefusal(form, errorLine, field, message) {
  setText(errorLine, message);
  // A schedule's job is refused as template.<field>; an option inside the payload (payload.url,
  // payload.headers.X) is shown at the payload box.
  const name = field && field.replace(/^template\./, '').replace(/^payload\..*/, 'payload');
  const input = name && form.elements[name];
  if (input && input.setAttribute) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

function invalid(field, message) {
  const error = new Error(message);
  error.field = field;
  return error;
}

function wholeNumber(input, name) {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(value)) {
    throw invalid(name, `${name} must be a whole number.`);
  }
  return value;
}

/** An item line is JSON when it parses as JSON, otherwise the text itself. */
function parseItem(line) {
  try {
    return JSON.parse(line);
  } catch (e) {
    return line;
  }
}
