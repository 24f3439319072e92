// Drives the npm `nacos` clients with a username and password (sent as
// parameters on every HTTP request) against Herald with auth on, for
// gateway/e2e/npm_auth_test.go.
//
//   node auth.js <host:port> <namespace> <username> <password> <service> <cacheDir>
//
// It tries each operation once and prints one line per operation,
// "<op> ok <result>" or "<op> error <status or message>":
//   register  registerInstance 3.3.3.3:80
//   list      getAllInstances, straight from the server (no subscription)
//   publish   publishSingle of npm-auth.yaml
//   get       getConfig of npm-auth.yaml
// then exits 0.
'use strict';

const { NacosNamingClient, NacosConfigClient } = require('nacos');

const [server, namespace, username, password, service, cacheDir] = process.argv.slice(2);
const quiet = { info() {}, debug() {}, warn() {}, error() {} };

async function attempt(op, f) {
  try {
    const v = await f();
    console.log(`${op} ok ${v === undefined || v === null ? '' : String(v)}`);
  } catch (err) {
    console.log(`${op} error ${String(err && err.message || err).split('\n')[0]}`);
  }
}

async function main() {
  const naming = new NacosNamingClient({ logger: quiet, serverList: server, namespace, username, password });
  await naming.ready();
  await attempt('register', () => naming.registerInstance(service, { ip: '3.3.3.3', port: 80 }));
  await attempt('list', async () => (await naming.getAllInstances(service, 'DEFAULT_GROUP', '', false)).map(h => h.ip).sort().join(','));
  await naming.close();

  const config = new NacosConfigClient({ serverAddr: server, namespace, username, password, cacheDir, requestTimeout: 5000 });
  config.on('error', () => {});
  await attempt('publish', () => config.publishSingle('npm-auth.yaml', 'DEFAULT_GROUP', 'by ' + username));
  await attempt('get', () => config.getConfig('npm-auth.yaml', 'DEFAULT_GROUP'));
  config.close();
}

main().then(() => process.exit(0), err => {
  console.error(err && err.stack || err);
  process.exit(1);
});
