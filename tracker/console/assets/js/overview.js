// overview.js: this gateway at a glance: connections, subscriptions,
// listeners, pushes by result, tracker health, upstream link, readiness.

import { getJSON } from './api.js';
import { h, fmtTime, fmtDuration, errorBox, RESULT_ORDER } from './ui.js';

// card is a titled list of name/value pairs; values may be nodes.
function card(id, title, pairs, note) {
  return h('section', { class: 'card', id },
    h('h2', {}, title),
    h('dl', {}, pairs.map(([k, v, key]) => [h('dt', {}, k), h('dd', { 'data-key': key || '' }, v)])),
    note ? h('p', { class: 'muted' }, note) : null);
}

function state(ok, good, bad) {
  return h('span', { class: `badge ${ok ? 's-ok' : 's-behind'}` }, ok ? good : bad);
}

export async function overviewPage(root, ctx) {
  const grid = h('div', { class: 'cards', id: 'cards' });
  root.append(grid, h('button', { type: 'button', id: 'refresh', onclick: () => ctx.navigate('overview') }, 'Refresh'));
  const failures = [];
  const get = (path, ok) => getJSON(path, {}, ok).catch((err) => { failures.push(err); return null; });
  const [stats, up, ready] = await Promise.all([get('/stats'), get('/v1/upstream'), get('/readyz', [503])]);
  if (stats) {
    grid.append(
      card('card-connections', 'Connections', [
        ['gRPC connections', String(stats.connections), 'connections'],
        ['Sessions', String(stats.sessions), 'sessions'],
        ['1.x beat-kept instances', String(stats.http.beatInstances), 'beatInstances'],
        ['1.x UDP subscribers', String(stats.http.udpSubscribers), 'udpSubscribers'],
      ]),
      card('card-subscriptions', 'Subscriptions', [
        ['Client subscriptions', String(stats.subscriptions), 'subscriptions'],
        ['Subscribed services', String(stats.subscribedServices), 'subscribedServices'],
        ['Configuration listeners', stats.listeners === undefined ? 'not available' : String(stats.listeners), 'listeners'],
      ], stats.listeners === undefined ? 'This gateway does not serve configuration yet.' : null),
      card('card-pushes', 'Pushes by result', RESULT_ORDER.map((r) => [r === 'timeout' ? 'timed out' : r, String(stats.pushes[r] ?? 0), r]),
        'Since this gateway started.'),
      card('card-tracker', 'Tracker', [
        ['Store', state(!stats.tracker.storeDown, 'up', 'down'), 'store'],
        ['Backlog (held for the store)', String(stats.tracker.backlog ?? 0), 'backlog'],
        ['Queued', String(stats.tracker.queued), 'queued'],
        ['Dropped', String(stats.tracker.dropped), 'dropped'],
        ['Written', String(stats.tracker.written), 'written'],
        ['Writer lag', fmtDuration(stats.tracker.lagMs), 'lag'],
      ]));
  }
  if (up) {
    const pairs = [
      ['Kind', up.kind, 'kind'],
      ['State', state(up.ready, 'ready', 'not ready'), 'ready'],
    ];
    if (up.error) pairs.push(['Error', up.error, 'error']);
    const conn = up.link && up.link.connection;
    if (conn) {
      pairs.push(['Server', conn.server || '(none)', 'server'], ['Connected', state(conn.connected, 'yes', 'no'), 'connected'],
        ['Since', fmtTime(conn.since), 'since'], ['Reconnects', String(conn.reconnects), 'reconnects']);
      if (conn.lastError) pairs.push(['Last error', conn.lastError, 'lastError']);
    }
    grid.append(card('card-upstream', 'Upstream', pairs, up.kind === 'embedded' ? 'The embedded registry: no upstream link.' : null));
  }
  if (ready) {
    grid.append(card('card-ready', 'Readiness', [
      ['Ready for clients', state(ready.ready, 'ready', 'not ready'), 'readyz'],
      ...(ready.reasons || []).map((r, i) => [`Reason ${i + 1}`, r, 'reason']),
    ]));
  }
  for (const err of failures) root.append(errorBox(err));
  ctx.done();
}
