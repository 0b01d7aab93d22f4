// Wires the page: finds the progress bridge (GET /ui/config), restores the jobs this browser
// follows, opens the live feed, and says plainly whether the page is connected.

import { api, Unreachable } from './api.js';
import { ClusterPanel } from './cluster-panel.js';
import { setText } from './dom.js';
import { JobBoard } from './job-board.js';
import { ProgressFeed } from './progress-feed.js';
import { SubmitForm } from './submit-form.js';

const connection = { feed: 'connecting', api: true, badge: document.getElementById('connection') };

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

/** The bridge's port comes from the API; ask until it answers. */
async function bridgeUrl() {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await api.uiConfig();
      if (answer.ok && answer.body && answer.body.progressPort) {
        apiReached(true);
        return `${window.location.protocol}//${window.location.hostname}:${answer.body.progressPort}/eventbus`;
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

async function main() {
  let board = null;
  let wasLive = false;
  const feed = new ProgressFeed({
    onState: (state) => {
      connection.feed = state;
      showConnection();
      if (state === 'live' && wasLive) {
        board.refreshAll();
      }
      wasLive = wasLive || state === 'live';
    },
    onSnapshot: (snapshot) => board.onSnapshot(snapshot),
    onEvent: (event) => board.onEvent(event),
  });
  board = new JobBoard(document.getElementById('job-list'), document.getElementById('jobs-empty'), feed, apiReached);
  // What was on screen before the reload shows at once; live data can only move it forward.
  board.restore();
  new SubmitForm(document.getElementById('job-form'), document.getElementById('submit-error'),
    (jobId, job, status) => board.add(jobId, {
      type: job.type, payload: job.payload || {}, status, done: 0, failed: 0, seq: 0,
      total: job.count ?? (job.items ? job.items.length : 1),
    }));
  new ClusterPanel(() => board.processedByJob(), apiReached).start();
  feed.start(await bridgeUrl());
}

main();
