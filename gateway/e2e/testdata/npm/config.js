// Drives the npm `nacos` config client (nacos-config, HTTP 1.x long
// polling) against Herald for gateway/e2e/npm_config_test.go.
//
//   node config.js <host:port> <cacheDir>
//
// It reads one JSON command per line on stdin and prints one JSON line per
// answer on stdout, so the Go test orders each step against its own
// clients:
//   {"id":1,"op":"publish","dataId":"d","group":"g","content":"..."} -> {"id":1,"ok":true}
//   {"id":2,"op":"get","dataId":"d","group":"g"}                     -> {"id":2,"content":"..."|null}
//   {"id":3,"op":"remove","dataId":"d","group":"g"}                  -> {"id":3,"ok":true}
//   {"id":4,"op":"subscribe","dataId":"d","group":"g"}               -> {"id":4,"ok":true}
// and, for every call of a subscription's listener:
//   {"event":"change","dataId":"d","group":"g","content":"..."|null}
// A failed command is answered {"id":n,"error":"..."}; client errors are
// printed as {"event":"error","error":"..."}. EOF on stdin closes the
// client and exits 0.
'use strict';

const readline = require('readline');
const { NacosConfigClient } = require('nacos');

const [server, cacheDir] = process.argv.slice(2);
const client = new NacosConfigClient({ serverAddr: server, cacheDir, requestTimeout: 5000 });
const print = obj => process.stdout.write(JSON.stringify(obj) + '\n');
client.on('error', err => print({ event: 'error', error: String(err && err.message || err) }));

const ops = {
  publish: c => client.publishSingle(c.dataId, c.group, c.content).then(ok => ({ ok })),
  get: c => client.getConfig(c.dataId, c.group).then(content => ({ content: content === undefined ? null : content })),
  remove: c => client.remove(c.dataId, c.group).then(ok => ({ ok })),
  subscribe: async c => {
    client.subscribe({ dataId: c.dataId, group: c.group }, content =>
      print({ event: 'change', dataId: c.dataId, group: c.group, content: content === undefined ? null : content }));
    return { ok: true };
  },
};

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', line => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    print({ event: 'error', error: 'bad command: ' + err.message });
    return;
  }
  const op = ops[cmd.op];
  if (!op) {
    print({ id: cmd.id, error: 'unknown op ' + cmd.op });
    return;
  }
  op(cmd).then(res => print(Object.assign({ id: cmd.id }, res)), err => print({ id: cmd.id, error: String(err && err.message || err) }));
});
rl.on('close', () => {
  client.close();
  process.exit(0);
});
