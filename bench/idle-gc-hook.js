// Preloaded (node -r) into a server by the chat bench's idle measure, and only there: a full
// garbage collection when the bench asks over IPC, so that memory is read in the same state
// before and after the idle sockets open (needs --expose-gc).
process.on('message', (m) => {
  if (m !== 'bench:gc') return;
  global.gc();
  global.gc();
  const { heapUsed, external } = process.memoryUsage();
  process.send({ heapUsed, external });
});
process.channel?.unref();
