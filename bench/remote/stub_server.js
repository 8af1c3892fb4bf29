// A trivial Kinesis endpoint for measuring a client's own ceiling: it answers
// every PutRecords at once with a canned success for each entry (counted, not
// parsed: one per "PartitionKey" in the body) and every PutRecord with a fixed
// shard and sequence number, storing nothing. Anything else gets {}. Listens
// on 127.0.0.1 on a port the system picks, prints it on a line of its own and
// exits when its standard input closes.
// Usage: node stub_server.js [ignored package directory]
'use strict';
const http = require('http');

const kSeq = '49590338271490256608559692538361571095921575989136588898';
const kPutRecord = Buffer.from(JSON.stringify(
    {ShardId: 'shardId-000000000000', SequenceNumber: kSeq}));
const kKey = Buffer.from('"PartitionKey"');
const cache = new Map();

function putRecordsResponse(n) {
  let out = cache.get(n);
  if (out === undefined) {
    const records = [];
    for (let i = 0; i < n; ++i) {
      records.push({ShardId: 'shardId-000000000000', SequenceNumber: kSeq});
    }
    out = Buffer.from(JSON.stringify({FailedRecordCount: 0, Records: records}));
    cache.set(n, out);
  }
  return out;
}

function count(body, needle) {
  let n = 0;
  for (let at = body.indexOf(needle); at >= 0;
       at = body.indexOf(needle, at + needle.length)) {
    ++n;
  }
  return n;
}

const server = http.createServer({keepAliveTimeout: 60000}, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const target = req.headers['x-amz-target'] || '';
    let body = Buffer.from('{}');
    if (target.endsWith('.PutRecords')) {
      body = putRecordsResponse(count(Buffer.concat(chunks), kKey));
    } else if (target.endsWith('.PutRecord')) {
      body = kPutRecord;
    }
    res.writeHead(200, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': body.length,
      'x-amzn-RequestId': '0',
    });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
