import { readFileSync } from 'node:fs';
import { CONTAINER_CONFIG, main, renderNginx } from './render-nginx';

describe('renderNginx', () => {
  const host = (extra = {}) =>
    renderNginx({ target: 'host', gateways: ['127.0.0.1:8081', '127.0.0.1:8082'], history: ['127.0.0.1:8083'], upload: ['127.0.0.1:8084'], runDir: '/srv/chat/nginx', webRoot: '/srv/chat/dist/web', ...extra });

  it('is what docker/nginx.conf holds for containers (edit the template, then render)', () => {
    expect(readFileSync(CONTAINER_CONFIG, 'utf8')).toBe(renderNginx({ target: 'containers' }));
    expect(main(['--target', 'containers', '--check'])).toBe(0);
  });

  it('renders containers with service names re-resolved through Docker’s DNS, logs on stdout and stderr', () => {
    const conf = renderNginx({ target: 'containers' });
    expect(conf).toContain('resolver 127.0.0.11');
    expect(conf).toContain('server chat-gateway:8080 resolve max_fails=1 fail_timeout=5s;');
    expect(conf).toContain('root /usr/share/nginx/html;');
    expect(conf).toContain('access_log /dev/stdout no_query;');
    expect(conf).not.toMatch(/^pid /m);
  });

  it('renders a plain host without a resolver: fixed addresses, its web root, pid, temp paths and logs in one directory', () => {
    const conf = host();
    expect(conf).not.toMatch(/resolver|\bresolve\b/);
    expect(conf).toContain('pid /srv/chat/nginx/nginx.pid;');
    expect(conf).toContain('client_body_temp_path /srv/chat/nginx/client_body;');
    expect(conf).toContain('access_log /srv/chat/nginx/access.log no_query;');
    expect(conf).toContain('root /srv/chat/dist/web;');
    expect(conf).toContain('    server 127.0.0.1:8081 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:8082 max_fails=1 fail_timeout=5s;');
    expect(conf).not.toMatch(/^user /m);
    expect(host({ user: 'www-data' })).toMatch(/^user www-data;$/m);
    expect(conf).not.toContain('{{');
  });

  it('puts the apps’ security headers on every page, the socket origin from a well-formed Host only', () => {
    const conf = host({ imageOrigins: ['https://img.example.com'] });
    expect(conf).toContain(`add_header X-Frame-Options "SAMEORIGIN" always;`);
    expect(conf).toContain(`add_header Referrer-Policy "no-referrer" always;`);
    expect(conf).toMatch(/add_header Content-Security-Policy "default-src 'self';.*img-src 'self' data: blob: https:\/\/img\.example\.com;.*connect-src 'self'\$chat_socket_sources;/);
    // Every location that answers a page or nginx's own answer carries them.
    const blocks = conf.split(/\n {4}location /).slice(1);
    const withHeaders = blocks.filter((b) => b.includes('add_header X-Content-Type-Options "nosniff" always;')).map((b) => b.split(' {')[0]);
    expect(withHeaders).toEqual(['@unavailable', '@body_too_large', '@upload_too_large', '@chat_unavailable', '~* ^/+(metrics|health|api-docs)(/|-|$)', '= /', '= /index.html', '/assets/', '/']);
  });

  it('answers 413 with the upload service’s words for its limit', () => {
    expect(host()).toContain(`'{"status":1,"msg":"图片太大，最大 10 MiB (file too large: the limit is 10485760 bytes)"}'`);
    const bigger = host({ uploadMaxBytes: 20 * 1024 * 1024 });
    expect(bigger).toContain('client_max_body_size 22m;');
    expect(bigger).toContain('图片太大，最大 20 MiB');
  });

  it('refuses a host rendering without addresses, and values that would break the config', () => {
    expect(() => renderNginx({ target: 'host', history: ['127.0.0.1:1'], upload: ['127.0.0.1:2'] })).toThrow(/chat-gateway/);
    expect(() => host({ gateways: ['127.0.0.1'] })).toThrow(/not a host:port/);
    expect(() => host({ webRoot: '/srv/a;b' })).toThrow(/webRoot/);
    expect(() => host({ listen: '80; evil' })).toThrow(/listen/);
  });
});
