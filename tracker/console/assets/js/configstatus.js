// configstatus.js: delivery status now of a configuration: every
// listener on this gateway (in a fleet with Redis: on every gateway,
// each named), the md5 it holds, up to date or behind and
// for how long, the behind ones first (the API's order).

import { getJSON } from './api.js';
import { h, fmtTime, fmtDuration, errorBox, emptyBox, table, fleetScope, withGateway } from './ui.js';
import { md5Cell, aroundHash } from './configparts.js';

function columns(now) {
  return [
    {
      label: 'State', cls: 'col-state', cell: (l) => [h('span', { class: `badge ${l.upToDate ? 's-ok' : 's-behind'}` }, l.upToDate ? 'up to date' : 'behind'),
        l.idle ? h('small', { class: 'reason', title: 'an HTTP long-poll client with no poll held now, listed from its records' }, 'not polling') : null],
    },
    { label: 'Behind for', cls: 'col-behind num', cell: (l) => (!l.upToDate && l.behindMs ? fmtDuration(l.behindMs) : '') },
    { label: 'Client IP', cls: 'col-ip', cell: (l) => h('a', { href: aroundHash({ by: 'ip', ip: l.clientIp }, now), title: 'this client’s configuration events' }, l.clientIp) },
    { label: 'Connection', cls: 'col-conn', cell: (l) => h('code', {}, l.connectionId) },
    { label: 'App', cls: 'col-app', cell: (l) => l.clientApp },
    { label: 'Client version', cls: 'col-version', cell: (l) => l.clientVersion },
    { label: 'Holds MD5', cls: 'col-md5', cell: (l) => md5Cell(l.md5) },
    { label: 'Latest MD5', cls: 'col-latest', cell: (l) => md5Cell(l.latestMd5) },
    { label: 'Holds since', cls: 'col-since', cell: (l) => fmtTime(l.heldSince) },
    { label: 'Retry at', cls: 'col-retry', cell: (l) => fmtTime(l.retryAt) },
  ];
}

export async function configStatus(results, ctx, p) {
  const load = async () => {
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const st = await getJSON('/v1/status/config', { dataId: p.dataId, group: p.group, namespace: p.namespace });
      const now = Date.now();
      const name = `${st.namespace} / ${st.group} / ${st.dataId}`;
      if (st.listeners.length === 0) {
        results.replaceChildren(emptyBox(`No client listens to ${name} ${fleetScope(ctx.info)} now.`));
      } else {
        results.replaceChildren(
          h('p', { class: 'summary', id: 'summary' },
            `${name}: md5 `, h('code', { id: 'latest-md5' }, st.md5 || '(absent)'),
            st.changedAt ? ` since ${fmtTime(st.changedAt)}` : '', `; ${st.listeners.length} listener${st.listeners.length === 1 ? '' : 's'}, `,
            h('strong', { id: 'count-ok' }, `${st.upToDate} up to date`), ', ',
            h('strong', { id: 'count-behind', class: st.behind ? 'behind' : '' }, `${st.behind} behind`),
            `, as of ${fmtTime(now)}.`),
          table(withGateway(ctx.info, columns(now)), st.listeners, (l) => ({ 'data-conn': l.connectionId, 'data-md5': l.md5, class: l.upToDate ? 'row' : 'row behind' })),
          h('button', { type: 'button', id: 'refresh', onclick: load }, 'Refresh'));
      }
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
    ctx.done();
  };
  await load();
}
