import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import * as configs from '@app/config';
import { assertConfig, ConfigError, CoreConfig, OpsConfig } from '@app/config';

// docker-compose.yml as far as a machine without a Docker engine can check it: its structure
// (services, published ports, health checks, start order), and every app's environment run
// through the apps' own configuration validation, as `bootApp` runs it at start.

const ROOT = join(__dirname, '..');

type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  volumes?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** Compose's interpolation: ${VAR}, ${VAR:-default} (default when unset or empty), $$ for a $. */
function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{(\w+)(?::-([^}]*))?\}/g, (m, name: string | undefined, fallback: string | undefined) =>
      m === '$$' ? '$' : env[name!] || (fallback ?? ''),
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

const read = (file: string, env: Record<string, string> = {}) => interpolate(load(readFileSync(join(ROOT, file), 'utf8')), env) as Compose;

/** What the app's main.ts validates: its `configs: [...]`, besides CoreConfig and OpsConfig. */
function configsOf(app: string): (new () => object)[] {
  // The admin CLI (`migrate`) validates CoreConfig alone.
  if (app === 'migrate') return [];
  const main = readFileSync(join(ROOT, 'apps', app, 'src', 'main.ts'), 'utf8');
  const names = /configs: \[([^\]]*)\]/.exec(main)?.[1].split(',').map((n) => n.trim()).filter(Boolean);
  if (!names) throw new Error(`apps/${app}/src/main.ts names no configs`);
  return names.map((n) => {
    const cls = (configs as Record<string, unknown>)[n];
    if (typeof cls !== 'function') throw new Error(`apps/${app}/src/main.ts: ${n} is not a config class of @app/config`);
    return cls as new () => object;
  });
}

function problemsOf(app: string, env: Record<string, string>): string[] {
  const saved = CoreConfig.requireTokenSecret;
  CoreConfig.requireTokenSecret = app !== 'push-worker';
  try {
    assertConfig([CoreConfig, OpsConfig, ...configsOf(app)], env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  } finally {
    CoreConfig.requireTokenSecret = saved;
  }
}

const APPS = ['chat-gateway', 'history-api', 'upload-api', 'push-worker'];
const LONG_RUNNING = ['database', 'redis', ...APPS, 'nginx'];

describe('docker-compose.yml', () => {
  const compose = read('docker-compose.yml', { JWT_SECRET: 'a-secret-of-thirty-two-characters!' });
  const services = compose.services;

  it('runs the tested database, MariaDB 10.11 LTS, with utf8mb4 and its own health check', () => {
    const db = services.database;
    expect(db.image).toBe('mariadb:10.11');
    expect(db.command).toEqual(expect.arrayContaining(['--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci']));
    expect(db.environment).toMatchObject({ MARIADB_DATABASE: 'chat', MARIADB_USER: 'chat' });
    expect(db.healthcheck?.test).toEqual(['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized']);
    expect(Object.keys(services).filter((s) => /mysql/i.test(s))).toEqual([]);
  });

  it('has every service of the topology, the optional ones behind profiles', () => {
    expect(Object.keys(services).sort()).toEqual(['chat-gateway', 'database', 'history-api', 'migrate', 'nginx', 'prometheus', 'push-worker', 'redis', 'upload-api']);
    expect(services['push-worker'].profiles).toEqual(['push']);
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    for (const app of ['migrate', ...APPS]) expect(services[app].command?.[1]).toMatch(/^dist\/apps\/[\w-]+\/main\.js$/);
    for (const app of APPS) expect(services[app].command).toEqual(['node', `dist/apps/${app}/main.js`]);
  });

  it('publishes nginx only, and Prometheus on the loopback only; the operations port is never published', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length);
    expect(Object.fromEntries(published.map(([n, s]) => [n, s.ports]))).toEqual({ nginx: ['8080:8080'], prometheus: ['127.0.0.1:9090:9090'] });
    for (const app of APPS) expect(services[app].expose).toEqual(['8080', '9464']);
  });

  it('health-checks every long-running service, and starts each after what it needs is healthy', () => {
    for (const name of LONG_RUNNING) {
      const check = services[name].healthcheck;
      expect({ name, test: check?.test?.length ? 'set' : 'missing' }).toEqual({ name, test: 'set' });
    }
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep]).toBeDefined();
        if (condition === 'service_healthy') expect({ name, dep, check: Boolean(services[dep].healthcheck?.test) }).toEqual({ name, dep, check: true });
        else expect({ name, dep, condition }).toEqual({ name, dep, condition: 'service_completed_successfully' });
      }
    }
    expect(services.migrate.depends_on).toEqual({ database: { condition: 'service_healthy' } });
    for (const app of APPS) expect(services[app].depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(Object.keys(services.nginx.depends_on ?? {}).sort()).toEqual(['chat-gateway', 'history-api', 'upload-api']);
  });

  it('gives every app an environment its own configuration validation accepts', () => {
    for (const app of [...APPS, 'migrate']) {
      const env: Record<string, string> = { ...services[app].environment!, ...(app === 'push-worker' ? { PUSH_PROVIDER: 'webhook', PUSH_WEBHOOK_URL: 'http://hooks.example/push', PUSH_WEBHOOK_SECRET: 'a-webhook-secret-0123456789' } : {}) };
      expect({ app, problems: problemsOf(app, env) }).toEqual({ app, problems: [] });
      expect(env.DATABASE_URL).toBe('mysql://chat:chat-dev-password@database:3306/chat');
      expect(env).toMatchObject({ PORT: '8080', OPS_PORT: '9464', DATABASE_RUN_MIGRATIONS: 'false', LOG_FORMAT: 'json' });
    }
    expect(services['chat-gateway'].environment).toMatchObject({ REDIS_URL: 'redis://redis:6379' });
    expect(services['upload-api'].environment).toMatchObject({ UPLOAD_DIR: '/var/lib/chat/uploads', UPLOAD_PUBLIC_BASE_URL: 'http://localhost:8080/images/' });
  });

  it('leaves the apps refusing to start without JWT_SECRET, naming it', () => {
    const bare = read('docker-compose.yml', {});
    expect(problemsOf('chat-gateway', bare.services['chat-gateway'].environment!)).toEqual([expect.stringMatching(/^JWT_SECRET is not set/)]);
  });

  it('points nginx and Prometheus at these services and ports, with files that exist', () => {
    const nginxConf = readFileSync(join(ROOT, 'docker', 'nginx.conf'), 'utf8');
    for (const app of ['chat-gateway', 'history-api', 'upload-api']) expect(nginxConf).toContain(`server ${app}:8080 resolve`);
    const prometheus = readFileSync(join(ROOT, 'docker', 'prometheus.yml'), 'utf8');
    for (const app of APPS) expect(prometheus).toContain(`names: [${app}]`);
    expect(prometheus).not.toMatch(/port: (?!9464)/);
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('./')) expect(existsSync(join(ROOT, source))).toBe(true);
        else expect(compose.volumes).toHaveProperty(source);
      }
    }
  });
});

describe('docker-compose.mysql.yml (MySQL 8.4 instead of MariaDB)', () => {
  const override = read('docker-compose.mysql.yml');

  it('replaces the database service only: the image, its variables, its data volume and its health check', () => {
    expect(Object.keys(override.services)).toEqual(['database']);
    const db = override.services.database;
    expect(db.image).toBe('mysql:8.4');
    expect(db.environment).toMatchObject({ MYSQL_DATABASE: 'chat', MYSQL_USER: 'chat' });
    expect(db.volumes).toEqual(['mysql-data:/var/lib/mysql']);
    expect(override.volumes).toHaveProperty('mysql-data');
    expect(db.healthcheck?.test?.[1]).toMatch(/^mysqladmin ping/);
  });
});
