import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// The gateway's one-way stack is enforced by eslint.config.mjs (no-restricted-imports per layer).
// This spec proves the rule bites: it lints the deliberately bad files under __lint-fixtures__
// (which the normal lint and tsc runs skip) with the project's own config, only that rule on.

const root = join(__dirname, '../..');
const gateway = join(root, 'apps/chat-gateway/src');

interface Report {
  layers: Record<string, string[]>;
  results: { file: string; messages: { ruleId: string | null; message: string }[] }[];
}

function lintFixtures(): Report {
  // A child process: ESLint loads its ESM config with import(), which Jest's module sandbox does not run.
  const script = `
    import { ESLint } from 'eslint';
    import { relative } from 'node:path';
    import { pathToFileURL } from 'node:url';
    const config = await import(pathToFileURL(process.cwd() + '/eslint.config.mjs').href);
    const eslint = new ESLint({
      ignore: false,
      ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
      overrideConfig: { files: ['**/*.ts'], languageOptions: { parserOptions: { projectService: false } } },
    });
    const results = await eslint.lintFiles(['apps/chat-gateway/src/*/__lint-fixtures__/*.ts', 'libs/*/src/__lint-fixtures__/*.ts']);
    console.log(JSON.stringify({
      layers: config.GATEWAY_LAYERS,
      results: results.map((r) => ({ file: relative(process.cwd(), r.filePath), messages: r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })) })),
    }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out) as Report;
}

describe('the gateway layers lint rule', () => {
  let report: Report;
  beforeAll(() => {
    report = lintFixtures();
  }, 130_000);

  const errorsOf = (file: string) => {
    const result = report.results.find((r) => r.file === file);
    if (!result) throw new Error(`${file} was not linted`);
    return result.messages;
  };

  it.each([
    ['apps/chat-gateway/src/delivery/__lint-fixtures__/imports-transport.ts', 'delivery/ sits below transport/'],
    ['apps/chat-gateway/src/delivery/__lint-fixtures__/imports-encoder.ts', 'delivery/ may use only protocol/events of protocol/'],
    ['apps/chat-gateway/src/shared/__lint-fixtures__/imports-lifecycle.ts', 'shared/ sits below lifecycle/'],
    ['apps/chat-gateway/src/handlers/__lint-fixtures__/imports-module.ts', 'may not import the module that wires the gateway'],
    ['libs/common/src/__lint-fixtures__/imports-app.ts', 'libs never import apps'],
  ])('fails %s', (file, reason) => {
    const messages = errorsOf(file);
    expect(messages).toHaveLength(1);
    expect(messages[0].ruleId).toBe('no-restricted-imports');
    expect(messages[0].message).toContain(reason);
  });

  it('lets a lower layer use what it may (delivery/ with protocol types and a shared leaf)', () => {
    expect(errorsOf('apps/chat-gateway/src/delivery/__lint-fixtures__/imports-events.ts')).toEqual([]);
  });

  it('covers every folder of the gateway: a new folder must take its place in the stack', () => {
    const folders = readdirSync(gateway, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(Object.keys(report.layers).sort());
  });
});
