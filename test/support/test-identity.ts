// Test identities without the app: the JWT secret the test servers use and fresh phone numbers.

export const TEST_JWT_SECRET = 'test-secret-for-e2e-0123456789abcdef';
/** The operations token every test app is configured with (OPS_TOKEN). */
export const TEST_OPS_TOKEN = 'test-ops-token-0123456789abcdef';
/** Headers that open /metrics, the readiness details and /api-docs of a test app. */
export const opsAuth = { authorization: `Bearer ${TEST_OPS_TOKEN}` } as const;

let phoneCounter = 0;
/** Unique across runs sharing one database and across test files. */
export function freshPhone(): string {
  phoneCounter += 1;
  return `1${String(Date.now() % 1e7).padStart(7, '0')}${String(process.pid % 100).padStart(2, '0')}${String(phoneCounter).padStart(4, '0')}`.slice(0, 20);
}
