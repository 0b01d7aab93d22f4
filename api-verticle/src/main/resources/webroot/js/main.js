// Wires the page: reads GET /ui/config (where the bridge is and its addresses, whether a token is needed), signs in
// when one is, restores the jobs this browser follows, shows the dashboard of every job or one
// job's page (#/jobs/<id>) and the schedules, opens the live feed, and says plainly whether the page is connected.

import { api, Unreachable, whenUnauthorized } from './api.js';
import { ClusterPanel } from './cluster-panel.js';
import { setText } from './dom.js';
import { JobBoard } from './job-board.js';
import { JobPage } from './job-page.js';
import { JobsView } from './jobs-view.js';
import { ProgressFeed } from './progress-feed.js';
import { SchedulesPanel } from './schedules-panel.js';
import { session } from './session.js';
import { SubmitForm } from './submit-form.js';

const connection = { feed: 'connecting', api: true, badge: document.getElementById('connection') };
const JOB_ROUTE = /^#\/jobs\/([0-9a-f-]{36})$/;
/** Lifecycle events refresh the dashboard's page at most this often. */
const DASHBOARD_REFRESH_MS = 1000;

function showConnection() {
  const { feed, badge } = connection;
  let state = feed;
  let text = { connecting: 'Connecting…', live: 'Live', disconnected: 'Disconnected — reconnecting…' }[feed];
  if (feed === 'live' && !connection.api) {
    state = 'disconnected';
    text = 'API unreachable — retrying…';
  }
  badge.dataset.state = state;
  setText(badge, text);
}

function apiReached(reachable) {
  if (connection.api !== reachable) {
    connection.api = reachable;
    showConnection();
  }
}

/** What the page needs to know before anything else; ask until the API answers. */
async function uiConfig() {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await api.uiConfig();
      if (answer.ok && answer.body) {
        apiReached(true);
        return answer.body;
      }
    } catch (e) {
      if (!(e instanceof Unreachable)) {
        throw e;
      }
      apiReached(false);
    }
    await new Promise((resolve) => window.setTimeout(resolve, Math.min(5000, 500 * 2 ** attempt)));
  }
}

/**
 * The bridge on this page's own origin (or at PROGRESS_PUBLIC_URL) when the API says where;
 * else this host at the bridge's port, as a plain two-port setup has it.
 */
function bridgeUrl(config) {
  if (config.bridgeUrl) {
    return new URL(config.bridgeUrl, window.location.href).href;
  }
  return `${window.location.protocol}//${window.location.hostname}:${config.progressPort}/eventbus`;
}

/** Resolves once the page holds a token the API accepts (at once when none is needed). */
async function signIn(config) {
  const form = document.getElementById('sign-in');
  const input = document.getElementById('token-input');
  const error = document.getElementById('sign-in-error');
  const who = document.getElementById('signed-in');
  if (!config.authRequired) {
    return;
  }
  for (;;) {
    if (session.token()) {
      const me = await api.me();
      if (me.ok) {
        form.hidden = true;
        document.body.dataset.signedIn = 'true';
        setText(document.getElementById('signed-in-name'), `${me.body.name} (${me.body.role})`);
        who.hidden = false;
        return;
      }
      session.clear();
      setText(error, me.status === 401 ? 'That token is not known (or was revoked).' : `Sign-in failed (${me.status}).`);
    }
    form.hidden = false;
    input.focus();
    await new Promise((resolve) => form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (input.value.trim()) {
        session.save(input.value.trim());
      }
      input.value = '';
      resolve();
    }, { once: true }));
  }
}

async function main() {
  const config = await uiConfig();
  document.body.dataset.signedIn = String(!config.authRequired);
  await signIn(config);
  document.getElementById('sign-out').addEventListener('click', () => {
    session.clear();
    window.location.hash = '';
    window.location.reload();
  });
  // A token revoked while the page is open: back to the sign-in.
  whenUnauthorized(() => {
    session.clear();
    window.location.reload();
  });
  document.getElementById('app').hidden = false;

  let board = null;
  let jobsView = null;
  let jobPage = null;
  let wasLive = false;
  let dashboardDue = false;
  const feed = new ProgressFeed(config.addresses, {
    onState: (state) => {
      connection.feed = state;
      showConnection();
      if (state === 'live' && wasLive) {
        board.refreshAll();
        jobsView.board.refreshAll();
      }
      wasLive = wasLive || state === 'live';
    },
    onSnapshot: (snapshot) => [board, jobsView.board, jobPage.board].forEach((b) => b.onSnapshot(snapshot)),
    onEvent: (event) => {
      [board, jobsView.board, jobPage.board].forEach((b) => b.onEvent(event));
      jobPage.onChange(event.jobId);
      // A job ended: the dashboard's page may have changed (a status filter drops it, say).
      if (!dashboardDue) {
        dashboardDue = true;
        window.setTimeout(() => {
          dashboardDue = false;
          jobsView.refresh();
        }, DASHBOARD_REFRESH_MS);
      }
    },
  });
  board = new JobBoard(document.getElementById('job-list'), document.getElementById('jobs-empty'), feed, apiReached);
  // What was on screen before the reload shows at once; live data can only move it forward.
  board.restore();
  jobsView = new JobsView(feed, board, apiReached);
  jobPage = new JobPage(feed, apiReached);
  new SubmitForm(document.getElementById('job-form'), document.getElementById('submit-error'),
    (jobId, job, status) => {
      board.add(jobId, {
        type: job.type, payload: job.payload || {}, status, done: 0, failed: 0, seq: 0,
        total: job.count ?? (job.items ? job.items.length : 1),
      });
      jobsView.refresh();
    });
  new ClusterPanel(() => board.processedByJob(), apiReached).start();
  new SchedulesPanel(apiReached).start();
  const route = () => {
    const match = JOB_ROUTE.exec(window.location.hash);
    document.getElementById('jobs-panel').hidden = match != null;
    jobPage.show(match ? match[1] : null);
  };
  window.addEventListener('hashchange', route);
  route();
  jobsView.start();
  feed.start(bridgeUrl(config));
}

main();
