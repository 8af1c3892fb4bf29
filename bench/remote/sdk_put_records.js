// The baseline of BM_Remote_PutRecords: the AWS SDK for JavaScript v3
// KinesisClient putting the same records as brook's client (same record size,
// batch size, partition keys and number of requests in flight) to the same
// endpoint for a fixed time, then printing one JSON line:
//   {"records_per_second": ..., "records": ..., "seconds": ...,
//    "failed": ..., "cpu_cores": ..., "server_cpu_cores": ...}
// cpu_cores is this Node.js process's CPU time over the wall time;
// server_cpu_cores the same for the server process `server pid` (from
// /proc), when given.
// Requests in flight are `concurrency` promises on one client, as Node.js
// programs use it, over HTTP/1.1 keep-alive connections.
// batch 1 sends PutRecord, otherwise PutRecords.
// Usage: node sdk_put_records.js <@aws-sdk/client-kinesis dir> <endpoint>
//          <stream> <batch> <record bytes> <concurrency> <seconds>
//          [server pid]
'use strict';
const path = require('path');
const fs = require('fs');
const [sdkDir, endpoint, stream, batchArg, bytesArg, concArg, secondsArg,
       serverPid] = process.argv.slice(2);
// The SDK warns on stderr that later releases will need Node.js 22; that is
// not news to a benchmark run.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const text = String(warning && warning.message ? warning.message : warning);
  if (!text.includes('will require node')) emitWarning(warning, ...rest);
};
const sdk = path.resolve(sdkDir);
const {KinesisClient, PutRecordsCommand, PutRecordCommand} = require(sdk);
// The Kinesis client's default handler speaks HTTP/2 (for SubscribeToShard);
// kinesalite, like other emulators, speaks HTTP/1.1 only, so this is the
// SDK's HTTP/1.1 handler with its default keep-alive agent (50 sockets).
const {NodeHttpHandler} =
    require(require.resolve('@smithy/node-http-handler', {paths: [sdk]}));
const batch = Number(batchArg);
const bytes = Number(bytesArg);
const concurrency = Number(concArg);
const seconds = Number(secondsArg);

const client = new KinesisClient({
  region: 'us-east-1',
  endpoint,
  credentials: {accessKeyId: 'AKIDBENCH', secretAccessKey: 'benchsecret'},
  requestHandler: new NodeHttpHandler(),
});
const data = new Uint8Array(bytes).fill(0x61);
// The keys brook's benchmark uses: "pk-<i % 1000>".
const entries = [];
for (let i = 0; i < batch; ++i) {
  entries.push({PartitionKey: 'pk-' + (i % 1000), Data: data});
}

// The server's user + system CPU seconds, or NaN without a pid.
function serverCpuSeconds() {
  if (!serverPid) return NaN;
  const stat = fs.readFileSync(`/proc/${serverPid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')'.
  return (Number(fields[11]) + Number(fields[12])) / 100;  // USER_HZ
}

let records = 0;
let failed = 0;
let measuring = false;
let stop = false;

async function put() {
  if (batch === 1) {
    await client.send(new PutRecordCommand(
        {StreamName: stream, PartitionKey: 'pk-0', Data: data}));
    return [1, 0];
  }
  const out = await client.send(
      new PutRecordsCommand({StreamName: stream, Records: entries}));
  return [batch, out.FailedRecordCount || 0];
}

async function worker() {
  while (!stop) {
    const [n, f] = await put();
    if (measuring) {
      records += n;
      failed += f;
    }
  }
}

async function main() {
  // Warm-up: connections open and the JIT compiles before the clock starts.
  const warmEnd = Date.now() + 1000;
  while (Date.now() < warmEnd) {
    await Promise.all(Array.from({length: concurrency}, put));
  }
  const workers = Array.from({length: concurrency}, worker);
  const cpu0 = process.cpuUsage();
  const server0 = serverCpuSeconds();
  const t0 = process.hrtime.bigint();
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const server = serverCpuSeconds() - server0;
  stop = true;
  await Promise.all(workers);
  process.stdout.write(JSON.stringify({
    records_per_second: records / elapsed,
    records,
    seconds: elapsed,
    failed,
    cpu_cores: (cpu.user + cpu.system) / 1e6 / elapsed,
    server_cpu_cores: Number.isNaN(server) ? null : server / elapsed,
  }) + '\n');
  client.destroy();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({error: String(e)}) + '\n');
  process.exit(1);
});
