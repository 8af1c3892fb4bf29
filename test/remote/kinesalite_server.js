// Starts kinesalite on 127.0.0.1 on a port the system picks (or the one
// given), in memory (or in LevelDB files under the path given, kept when it
// exits), prints that port on a line of its own, and exits when its standard
// input closes, so it never outlives the test that started it.
// Usage: node kinesalite_server.js <kinesalite package directory> [port [path]]
'use strict';
const kinesalite = require(process.argv[2]);
const server = kinesalite({
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 50,
  path: process.argv[4] || undefined,
});
server.listen(Number(process.argv[3] || 0), '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
