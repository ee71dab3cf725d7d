// Lint that catches real bugs: promises nobody awaits or handles, promises where a callback is
// expected, switches that miss a case, loose equality. Style is left to the reader.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The chat gateway is a stack read from the wire inwards: a layer imports only the layers listed
// after it, never one above, and never the module that wires them (README, "Architecture").
// lifecycle/ (shutdown, readiness) orchestrates everything, so it sits on top; protocol/ and
// shared/ are leaves. delivery/ may use protocol/'s types (events.ts) but not its encoders.
export const GATEWAY = 'apps/chat-gateway/src';
export const GATEWAY_LAYERS = {
  lifecycle: ['transport', 'handlers', 'sending', 'delivery', 'protocol', 'shared'],
  transport: ['handlers', 'sending', 'delivery', 'protocol', 'shared'],
  handlers: ['sending', 'delivery', 'protocol', 'shared'],
  sending: ['delivery', 'protocol', 'shared'],
  delivery: ['protocol/events', 'shared'],
  protocol: [],
  shared: [],
};
const ROOT_FILES = ['chat-gateway.module', 'main'];

/** The no-restricted-imports patterns of one layer: every gateway folder it may not reach. */
function layerPatterns(layer) {
  const may = GATEWAY_LAYERS[layer];
  const patterns = [];
  for (const other of Object.keys(GATEWAY_LAYERS)) {
    if (other === layer) continue;
    const allowed = may.filter((m) => m === other || m.startsWith(`${other}/`));
    if (allowed.length === 0) {
      patterns.push({ regex: `^(\\.\\./)+${other}(/|$)`, message: `${layer}/ sits below ${other}/ in the gateway's stack: ${may.length ? `it may import only ${may.join(', ')}` : 'it is a leaf and imports no other layer'}.` });
    } else if (!allowed.includes(other)) {
      const files = allowed.map((a) => a.slice(other.length + 1)).join('|');
      patterns.push({ regex: `^(\\.\\./)+${other}/(?!(${files})$)`, message: `${layer}/ may use only ${allowed.join(', ')} of ${other}/ (its types, not its encoders).` });
    }
  }
  patterns.push({ regex: `^(\\.\\./)+(${ROOT_FILES.join('|').replace('.', '\\.')})$`, message: `${layer}/ may not import the module that wires the gateway.` });
  patterns.push({ regex: '(^|/)apps/', message: 'a layer imports within its app or from libs (@app/...), never another app.' });
  return patterns;
}

const layerRules = Object.keys(GATEWAY_LAYERS).map((layer) => ({
  files: [`${GATEWAY}/${layer}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(layer) }] },
}));

export default tseslint.config(
  // __lint-fixtures__: deliberately bad files that apps/chat-gateway/layers.spec.ts lints on its own.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '*.js', '*.mjs', '**/__lint-fixtures__/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain CommonJS preloads for node -r (bench/idle-gc-hook.js).
    files: ['bench/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly', global: 'readonly' } },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/await-thenable': 'error',
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...layerRules,
  {
    // A library serves the apps; it never reaches into one.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)apps(/|$)', message: 'libs never import apps: move what both need into a lib.' }] }],
    },
  },
  {
    // The libs' floor: config, entities, pagination and storage import no lib; ops, bus and common
    // only config (and common ops); the libs built on them (database, auth, accounts,
    // conversations) are never imported back, so no cycle forms among the libs.
    files: ['libs/config/**/*.ts', 'libs/entities/**/*.ts', 'libs/pagination/**/*.ts', 'libs/storage/**/*.ts', 'libs/ops/**/*.ts', 'libs/bus/**/*.ts', 'libs/common/**/*.ts', 'libs/protocol-constants/**/*.ts'],
    // A spec may check a floor lib against the libs that use it.
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)apps(/|$)', message: 'libs never import apps: move what both need into a lib.' },
            { regex: '^@app/(database|auth|accounts|conversations)$', message: 'a lib of the floor never imports one built on it (a cycle): pass what it needs in, or move it down.' },
          ],
        },
      ],
    },
  },
);
