import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
// Straight from the files, not the libs' index: the renderer runs without Nest.
import { UploadMessages } from '../../apps/upload-api/src/upload/upload-messages';
import { BODY_LIMITS } from '../../libs/common/src/body-error';
import { securityHeaders } from '../../libs/common/src/security-headers';

// One template, two renderings, so the container config and the plain-host config cannot drift:
//   containers: service names re-resolved through Docker's DNS (nginx 1.27.3+), the web client
//               in the image, logs on stdout/stderr (docker/nginx.conf, committed);
//   host:       fixed addresses, no resolver (Debian's nginx 1.22 has no `resolve`), the built web
//               client (dist/web), pid, temp files and logs in one directory of the operator's.

const ROOT = resolve(__dirname, '..', '..');
export const TEMPLATE = join(__dirname, 'nginx.conf.template');
export const CONTAINER_CONFIG = join(ROOT, 'docker', 'nginx.conf');

export type NginxTarget = 'containers' | 'host';

export interface NginxRenderOptions {
  target: NginxTarget;
  /** What nginx listens on: a port or address:port. Default 8080. */
  listen?: string;
  /** host:port of each chat-gateway replica, of history-api and of upload-api (host target). */
  gateways?: string[];
  history?: string[];
  upload?: string[];
  /** The built web client (host target); default dist/web of this checkout. */
  webRoot?: string;
  /** pid, temp files and logs (host target); default data/nginx of this checkout. */
  runDir?: string;
  /** nginx's own mime.types; default /etc/nginx/mime.types. */
  mimeTypes?: string;
  /** `user` of the worker processes, for a master started as root. */
  user?: string;
  /** UPLOAD_MAX_FILE_SIZE of the upload service (the words of nginx's own 413). Default 10 MiB. */
  uploadMaxBytes?: number;
  /** Origins besides this one that serve images (UPLOAD_PUBLIC_BASE_URL on a CDN or bucket). */
  imageOrigins?: string[];
}

const UNAVAILABLE = '服务暂不可用，请稍后再试 (service unavailable, try again later)';

/** The suite's security headers as nginx `add_header` lines, read from the apps' own helmet policy. */
export function securityHeaderLines(imageOrigins: string[] = []): string[] {
  const marker = 'socket-origin.invalid';
  const headers: [string, string][] = [];
  const req = { headers: { host: marker }, method: 'GET', url: '/' } as unknown as IncomingMessage;
  const res = {
    setHeader: (name: string, value: string | number | string[]) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  } as unknown as ServerResponse;
  let done = false;
  securityHeaders({ imageOrigins })(req, res, () => (done = true));
  if (!done) throw new Error('the security headers middleware did not finish synchronously');
  return headers.map(([name, value]) => {
    const v = value.replace(` ws://${marker} wss://${marker}`, '$chat_socket_sources');
    if (v.includes(marker) || v.includes('"')) throw new Error(`cannot render the header ${name}: ${value}`);
    return `add_header ${name} "${v}" always;`;
  });
}

function servers(target: NginxTarget, name: string, given: string[] | undefined, extra = ''): string {
  if (target === 'containers') return `    server ${name}:8080 resolve${extra};`;
  if (!given?.length) throw new Error(`the host target needs the address of ${name} (host:port)`);
  for (const a of given) if (!/^[\w.-]+:\d{1,5}$|^\[[0-9a-f:.]+\]:\d{1,5}$/i.test(a)) throw new Error(`not a host:port: ${a}`);
  return given.map((a) => `    server ${a}${extra};`).join('\n');
}

/** The config for a target; throws when an option the target needs is missing or malformed. */
export function renderNginx(options: NginxRenderOptions, template = readFileSync(TEMPLATE, 'utf8')): string {
  const { target } = options;
  const host = target === 'host';
  const runDir = resolve(options.runDir ?? join(ROOT, 'data', 'nginx'));
  const uploadMax = options.uploadMaxBytes ?? 10 * 1024 * 1024;
  const values: Record<string, string> = {
    target,
    runDir,
    user: options.user ?? '',
    errorLog: host ? join(runDir, 'error.log') : '/dev/stderr',
    accessLog: host ? join(runDir, 'access.log') : '/dev/stdout',
    mimeTypes: options.mimeTypes ?? '/etc/nginx/mime.types',
    listen: options.listen ?? '8080',
    gatewayServers: servers(target, 'chat-gateway', options.gateways, ' max_fails=1 fail_timeout=5s'),
    historyServers: servers(target, 'history-api', options.history),
    uploadServers: servers(target, 'upload-api', options.upload),
    webRoot: host ? resolve(options.webRoot ?? join(ROOT, 'dist', 'web')) : '/usr/share/nginx/html',
    // The form around the image (boundaries, headers) and a little slack.
    uploadBodyLimit: `${Math.ceil(uploadMax / (1024 * 1024)) + 2}m`,
    uploadTooLargeMessage: UploadMessages.tooLarge(uploadMax),
    bodyTooLargeMessage: `请求体过大 (request body too large: at most ${BODY_LIMITS.bytes} bytes)`,
    unavailableMessage: UNAVAILABLE,
    securityHeaders: securityHeaderLines(options.imageOrigins)
      .map((l) => `      ${l}`)
      .join('\n'),
  };
  if (!/^(?:[\w.-]+:|\[[0-9a-f:.]+\]:)?\d{1,5}$/i.test(values.listen)) throw new Error(`--listen must be a port or address:port: ${values.listen}`);
  for (const [k, v] of Object.entries(values)) {
    if (k !== 'securityHeaders' && /[;{}'"\n\r]/.test(v) && !k.endsWith('Servers')) throw new Error(`${k} may not contain ; { } quotes or newlines: ${v}`);
  }
  let out = template;
  // Blocks: {{#name}}...{{/name}} kept when the value (target or option) is set, dropped otherwise.
  out = out.replace(/^\{\{#(\w+)\}\}\n([\s\S]*?)^\{\{\/\1\}\}\n/gm, (_m, name: string, body: string) => {
    const on = name === 'host' ? host : name === 'containers' ? !host : Boolean(values[name]);
    return on ? body : '';
  });
  out = out.replace(/\{\{(\w+)\}\}/g, (m, name: string) => {
    if (!(name in values)) throw new Error(`the template names an unknown value ${m}`);
    return values[name];
  });
  return out;
}

const USAGE = `Usage: npm run nginx:render -- --target host|containers [options]

  --target containers              docker/nginx.conf (service names, Docker's resolver); --check compares
  --target host                    a plain host with Debian's nginx (1.22 or later), no resolver:
    --listen 8080                    port (or address:port) nginx listens on
    --gateway 127.0.0.1:8081         a chat-gateway replica (repeat for each)
    --history 127.0.0.1:8083         history-api (repeatable)
    --upload 127.0.0.1:8084          upload-api (repeatable)
    --web-root dist/web              the built web client (npm run build:web)
    --run-dir data/nginx             pid, temp files and logs
    --user www-data                  workers' user when nginx is started as root
  --mime-types /etc/nginx/mime.types
  --upload-max-bytes 10485760      UPLOAD_MAX_FILE_SIZE of upload-api
  --image-origin https://img.example.com   where images come from when not this origin (repeatable)
  --out FILE                       write there (default: stdout); the host target also creates --run-dir
  --check                          exit 1 when --out differs from the rendering (CI)`;

function parseArgs(argv: string[]): { options: NginxRenderOptions; out?: string; check: boolean } {
  const lists: Record<string, string[]> = { gateway: [], history: [], upload: [], 'image-origin': [] };
  const single: Record<string, string> = {};
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') {
      check = true;
      continue;
    }
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    if (m[1] in lists) lists[m[1]].push(...value.split(',').filter(Boolean));
    else if (['target', 'listen', 'web-root', 'run-dir', 'user', 'mime-types', 'upload-max-bytes', 'out'].includes(m[1])) single[m[1]] = value;
    else throw new Error(`unknown option --${m[1]}`);
  }
  if (single.target !== 'host' && single.target !== 'containers') throw new Error('--target must be host or containers');
  const maxBytes = single['upload-max-bytes'] === undefined ? undefined : Number(single['upload-max-bytes']);
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new Error('--upload-max-bytes must be a number of bytes');
  return {
    options: {
      target: single.target,
      listen: single.listen,
      gateways: lists.gateway,
      history: lists.history,
      upload: lists.upload,
      webRoot: single['web-root'],
      runDir: single['run-dir'],
      user: single.user,
      mimeTypes: single['mime-types'],
      uploadMaxBytes: maxBytes,
      imageOrigins: lists['image-origin'],
    },
    out: single.out ?? (single.target === 'containers' && check ? CONTAINER_CONFIG : undefined),
    check,
  };
}

export function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let parsed: ReturnType<typeof parseArgs>;
  let text: string;
  try {
    parsed = parseArgs(argv);
    text = renderNginx(parsed.options);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { out, check, options } = parsed;
  if (check) {
    if (!out) {
      process.stderr.write('--check needs --out\n');
      return 2;
    }
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // missing: differs
    }
    if (current === text) return 0;
    process.stderr.write(`${out} differs from the template's rendering: run npm run nginx:render -- --target ${options.target} --out ${out}\n`);
    return 1;
  }
  if (!out) {
    process.stdout.write(text);
    return 0;
  }
  mkdirSync(dirname(resolve(out)), { recursive: true });
  if (options.target === 'host') mkdirSync(resolve(options.runDir ?? join(ROOT, 'data', 'nginx')), { recursive: true });
  writeFileSync(out, text);
  process.stderr.write(`wrote ${out} (${options.target})\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
