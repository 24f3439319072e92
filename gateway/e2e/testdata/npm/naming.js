// Drives the npm `nacos` client (nacos-naming, HTTP 1.x + UDP push) against
// Herald for gateway/e2e/npm_test.go.
//
//   node naming.js <host:port> <service>
//
// It registers 1.1.1.1:8080, subscribes, and prints lines the Go test reads:
//   READY            the subscription lists its own instance
//   SAW 2.2.2.2:9090 a change made by another client arrived
//   GONE 2.2.2.2     that instance left again
// then deregisters and exits 0. Any failure exits 1 with a message on stderr.
'use strict';

const { NacosNamingClient } = require('nacos');

const [server, service] = process.argv.slice(2);
const quiet = { info() {}, debug() {}, warn() {}, error: (...a) => console.error(...a) };

function waitFor(state, what, pred, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; last hosts ${JSON.stringify(state.hosts.map(h => h.ip + ':' + h.port))}`)), ms);
    const check = () => {
      if (pred(state.hosts)) {
        clearTimeout(timer);
        state.waiters.delete(check);
        resolve();
      }
    };
    state.waiters.add(check);
    check();
  });
}

async function main() {
  const client = new NacosNamingClient({ logger: quiet, serverList: server, namespace: 'public' });
  await client.ready();
  await client.registerInstance(service, { ip: '1.1.1.1', port: 8080 });
  const state = { hosts: [], waiters: new Set() };
  client.subscribe(service, hosts => {
    state.hosts = hosts;
    for (const w of [...state.waiters]) w();
  });
  const has = ip => hosts => hosts.some(h => h.ip === ip);
  await waitFor(state, 'own instance', has('1.1.1.1'), 20000);
  console.log('READY');
  await waitFor(state, 'the other client\'s instance', has('2.2.2.2'), 20000);
  const other = state.hosts.find(h => h.ip === '2.2.2.2');
  console.log(`SAW ${other.ip}:${other.port}`);
  await waitFor(state, 'the other instance to leave', hosts => !has('2.2.2.2')(hosts), 20000);
  console.log('GONE 2.2.2.2');
  await client.deregisterInstance(service, { ip: '1.1.1.1', port: 8080 });
  await client.close();
}

main().then(() => process.exit(0), err => {
  console.error(err && err.stack || err);
  process.exit(1);
});
