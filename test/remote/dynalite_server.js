// Starts dynalite (a DynamoDB emulator, in memory) on 127.0.0.1 on a port the
// system picks, with tables ACTIVE at once; prints that port on a line of its
// own, and exits when its standard input closes, so it never outlives the
// test that started it.
// Usage: node dynalite_server.js <dynalite package directory>
'use strict';
const dynalite = require(process.argv[2]);
const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
