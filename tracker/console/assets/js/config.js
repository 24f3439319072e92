// config.js: the configuration push track. Its queries (by configuration:
// dataId, group, namespace; by client IP) use the same form, presets, time
// zone, pager and timeline as the registry page. Until this gateway serves
// configuration tracking (info.features.configTracks, read from the routes
// mounted on the admin listener) the page says it is not available.

import { h, queryForm } from './ui.js';

// CONFIG_DIMENSIONS are the configuration page's query dimensions.
export const CONFIG_DIMENSIONS = [
  {
    id: 'config', label: 'By configuration', fields: [
      { name: 'dataId', label: 'Data ID', required: true, placeholder: 'application.yaml' },
      { name: 'group', label: 'Group', placeholder: 'DEFAULT_GROUP' },
      { name: 'namespace', label: 'Namespace', placeholder: 'public' },
    ],
  },
  { id: 'ip', label: 'By client IP', fields: [{ name: 'ip', label: 'Client IP', required: true, placeholder: '10.0.0.7' }] },
];

export function unavailable(what) {
  return h('div', { class: 'unavailable', id: 'unavailable', role: 'status' },
    h('p', {}, h('strong', {}, `${what} is not available on this gateway.`)),
    h('p', {}, 'This Herald does not serve configuration tracking yet (its tracker API has no configuration routes). ' +
      'Registry pushes are tracked: see Registry push track and Delivery status now.'));
}

export async function configPage(root, ctx) {
  if (!ctx.info.features.configTracks) {
    root.append(unavailable('Configuration push tracking'));
    ctx.done();
    return;
  }
  root.append(queryForm({
    dimensions: CONFIG_DIMENSIONS, params: ctx.params, range: true, limit: true, maxWindowMs: ctx.info.maxWindowMs,
    onSubmit: (p) => ctx.navigate('config', p),
  }), h('p', { class: 'muted', id: 'config-pending' },
    'This gateway tracks configuration pushes; this console version does not draw them yet.'));
  ctx.done();
}
