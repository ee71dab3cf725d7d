// The upload benchmark's baseline: multipart/form-data parsed by busboy and the file piped
// straight to a file, with plain node:http. No framework, no token, no sniffing, no temporary
// file and rename: the floor any streaming upload server pays.
//
//   PORT=9101 UPLOAD_DIR=/tmp/x node -r ts-node/register/transpile-only bench/upload-baseline-server.ts
// (the benchmark runs it as transpiled JavaScript on plain node, like the app's build)
import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const port = Number(process.env.PORT ?? 9101);
const dir = process.env.UPLOAD_DIR ?? './data/bench-baseline';
mkdirSync(dir, { recursive: true });

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.statusCode = req.url === '/health' ? 200 : 404;
    res.end();
    return;
  }
  const parser = busboy({ headers: req.headers, limits: { files: 1 } });
  let stored: Promise<string> | undefined;
  parser.on('file', (_name, file) => {
    const name = `${randomUUID()}.bin`;
    stored = pipeline(file, createWriteStream(join(dir, name))).then(() => name);
  });
  parser.on('close', async () => {
    const name = await stored;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ status: 0, data: { uri: name } }));
  });
  req.pipe(parser);
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`baseline listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
