// app.js: the console shell. It reads what this gateway serves
// (/console/api/info), draws the navigation, and routes "#/<page>?<query>"
// to the page modules. Query state lives in the URL, so a link to a
// query can be shared and the browser's back button works.

import { getJSON } from './api.js';
import { h, zoneName, errorBox } from './ui.js';
import { overviewPage } from './overview.js';
import { registryPage } from './registry.js';
import { configPage } from './config.js';
import { statusPage } from './status.js';

const PAGES = [
  { id: 'overview', title: 'Overview', render: overviewPage },
  { id: 'registry', title: 'Registry push track', render: registryPage },
  { id: 'config', title: 'Configuration push track', render: configPage },
  { id: 'status', title: 'Delivery status now', render: statusPage },
];

// rendered counts finished page renders; tests (and anyone curious) can
// await the next one with window.heraldConsole.rendered(n).
let renderCount = 0;
const waiters = [];
function markRendered() {
  renderCount++;
  document.documentElement.dataset.renders = String(renderCount);
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (renderCount >= waiters[i].n) { waiters[i].resolve(renderCount); waiters.splice(i, 1); }
  }
}
window.heraldConsole = {
  get renders() { return renderCount; },
  rendered(n) {
    return renderCount >= n ? Promise.resolve(renderCount) : new Promise((resolve) => waiters.push({ n, resolve }));
  },
};

// parseHash splits "#/registry?service=a" into page id and params.
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [id, q = ''] = raw.split('?');
  return { id: id || 'overview', params: Object.fromEntries(new URLSearchParams(q)) };
}

// navigate shows page id with params (a new history entry).
export function navigate(id, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const next = `#/${id}${q.toString() ? '?' + q : ''}`;
  if (location.hash === next) route(); else location.hash = next;
}

let info = null;

async function route() {
  const { id, params } = parseHash();
  const page = PAGES.find((p) => p.id === id) || PAGES[0];
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page.id);
  document.title = `${page.title} · Herald console`;
  const main = document.getElementById('page');
  const root = h('section', { class: `page page-${page.id}`, id: `page-${page.id}` }, h('h1', {}, page.title));
  main.replaceChildren(root);
  try {
    await page.render(root, { info, params, navigate, done: markRendered });
  } catch (err) {
    root.append(errorBox(err));
    markRendered();
  }
}

async function start() {
  document.getElementById('nav').replaceChildren(...PAGES.map((p) =>
    h('a', { href: `#/${p.id}`, 'data-page': p.id, id: `nav-${p.id}` }, p.title)));
  document.getElementById('zone').textContent = `Times in ${zoneName()}`;
  try {
    info = await getJSON('/console/api/info');
  } catch (err) {
    document.getElementById('page').replaceChildren(errorBox(err));
    markRendered();
    return;
  }
  document.getElementById('node').textContent = `Node ${info.node}`;
  document.getElementById('logout').hidden = !info.auth;
  window.addEventListener('hashchange', route);
  route();
}

start();
