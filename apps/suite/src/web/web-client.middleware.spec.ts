import { join } from 'node:path';
import { cacheControlFor } from './web-client.middleware';

describe('cacheControlFor', () => {
  const root = join('/srv', 'web');

  it('keeps hashed assets forever, revalidates index.html, and caches the rest for an hour', () => {
    expect(cacheControlFor(root, join(root, 'assets', 'index-nXkQ8moq.js'))).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor(root, join(root, 'index.html'))).toBe('no-cache');
    expect(cacheControlFor(root, join(root, 'favicon.svg'))).toBe('public, max-age=3600');
  });
});
