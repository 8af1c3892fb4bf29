// Starts kinesalite (in memory) on 127.0.0.1 on a port the system picks,
// prints that port on a line of its own, and exits when its standard input
// closes, so it never outlives the test that started it.
// Usage: node kinesalite_server.js <kinesalite package directory>
'use strict';
const kinesalite = require(process.argv[2]);
const server = kinesalite({
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 50,
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
