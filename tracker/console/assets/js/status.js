// status.js: delivery status now. For a service (or a configuration,
// configstatus.js): every subscriber on this gateway (in a fleet with
// Redis: on every gateway, each named), what it holds, up to date or
// behind and for how long, the behind ones first.

import { getJSON } from './api.js';
import { h, queryForm, fmtTime, fmtDuration, errorBox, emptyBox, table, fleetScope, withGateway } from './ui.js';
import { unavailable } from './configparts.js';
import { configStatus } from './configstatus.js';

function dimensions(info) {
  return [
    {
      id: 'service', label: 'Service', fields: [
        { name: 'service', label: 'Service', required: true, placeholder: 'orders' },
        { name: 'group', label: 'Group', placeholder: 'DEFAULT_GROUP' },
        { name: 'namespace', label: 'Namespace', placeholder: 'public' },
      ],
    },
    {
      id: 'config', label: info.features.configStatus ? 'Configuration' : 'Configuration (not available)', fields: [
        { name: 'dataId', label: 'Data ID', required: true, placeholder: 'application.yaml' },
        { name: 'group', label: 'Group', placeholder: 'DEFAULT_GROUP' },
        { name: 'namespace', label: 'Namespace', placeholder: 'public' },
      ],
    },
  ];
}

// order puts the behind subscribers first, the longest behind first.
export function order(subs) {
  return [...subs].sort((a, b) => {
    if (a.upToDate !== b.upToDate) return a.upToDate ? 1 : -1;
    const as = a.unackedSince || Infinity, bs = b.unackedSince || Infinity;
    if (as !== bs) return as - bs;
    return a.clientIp.localeCompare(b.clientIp) || a.connectionId.localeCompare(b.connectionId);
  });
}

function columns(now) {
  return [
    { label: 'State', cls: 'col-state', cell: (s) => h('span', { class: `badge ${s.upToDate ? 's-ok' : 's-behind'}` }, s.upToDate ? 'up to date' : 'behind') },
    { label: 'Behind for', cls: 'col-behind num', cell: (s) => (!s.upToDate && s.unackedSince ? fmtDuration(now - s.unackedSince) : '') },
    { label: 'Client IP', cls: 'col-ip', cell: (s) => s.clientIp },
    { label: 'Connection', cls: 'col-conn', cell: (s) => h('code', {}, s.connectionId) },
    { label: 'App', cls: 'col-app', cell: (s) => s.clientApp },
    { label: 'Client version', cls: 'col-version', cell: (s) => s.clientVersion },
    { label: 'Clusters', cls: 'col-clusters', cell: (s) => s.clusters || '(all)' },
    { label: 'Holds revision', cls: 'col-acked num', cell: (s) => String(s.ackedRevision) },
    { label: 'In flight', cls: 'col-inflight num', cell: (s) => (s.inFlightRevision ? String(s.inFlightRevision) : '') },
    { label: 'Unacked since', cls: 'col-since', cell: (s) => fmtTime(s.unackedSince) },
    { label: 'Retry at', cls: 'col-retry', cell: (s) => fmtTime(s.retryAt) },
  ];
}

export async function statusPage(root, ctx) {
  const p = { by: 'service', ...ctx.params };
  root.append(queryForm({
    dimensions: dimensions(ctx.info), params: p, submitLabel: 'Show status',
    onSubmit: (q) => ctx.navigate('status', q),
  }));
  const results = h('div', { class: 'results', id: 'results' });
  root.append(results);
  if (p.by === 'config' && !ctx.info.features.configStatus) {
    results.append(unavailable('Delivery status of configurations'));
    ctx.done();
    return;
  }
  if (p.by === 'config' && p.dataId) return configStatus(results, ctx, p);
  if (p.by === 'config') {
    results.append(h('p', { class: 'muted', id: 'hint' }, `Enter a Data ID to see every listener ${fleetScope(ctx.info)} and the md5 it holds.`));
    ctx.done();
    return;
  }
  if (!p.service) {
    results.append(h('p', { class: 'muted', id: 'hint' }, `Enter a service to see every subscriber ${fleetScope(ctx.info)} and what it holds.`));
    ctx.done();
    return;
  }
  const load = async () => {
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const st = await getJSON('/v1/status/service', { service: p.service, group: p.group, namespace: p.namespace });
      const now = Date.now();
      const name = `${st.namespace} / ${st.group} / ${st.service}`;
      if (st.subscribers.length === 0) {
        results.replaceChildren(emptyBox(`No client subscribes to ${name} ${fleetScope(ctx.info)} now.`));
      } else {
        results.replaceChildren(
          h('p', { class: 'summary', id: 'summary' },
            `${name}: newest revision ${st.revision}; ${st.subscribers.length} subscriber${st.subscribers.length === 1 ? '' : 's'}, `,
            h('strong', { id: 'count-ok' }, `${st.acknowledged} up to date`), ', ',
            h('strong', { id: 'count-behind', class: st.pending ? 'behind' : '' }, `${st.pending} behind`),
            `, as of ${fmtTime(now)}.`),
          table(withGateway(ctx.info, columns(now)), order(st.subscribers), (s) => ({ 'data-conn': s.connectionId, class: s.upToDate ? 'row' : 'row behind' })),
          h('button', { type: 'button', id: 'refresh', onclick: load }, 'Refresh'));
      }
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
    ctx.done();
  };
  await load();
}
