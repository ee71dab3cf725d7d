import type { RequestHandler } from 'express';
import { basename, relative, sep } from 'node:path';
import serveStatic from 'serve-static';

// Vite names every asset after its content hash: a new build means new names, so they can be
// kept forever. index.html names the current ones, so it must be revalidated on every load.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const SHORT = 'public, max-age=3600';

/** Cache-Control for a file of the built client. */
export function cacheControlFor(root: string, file: string): string {
  if (basename(file) === 'index.html') return REVALIDATE;
  return relative(root, file).split(sep)[0] === 'assets' ? IMMUTABLE : SHORT;
}

/**
 * Serves the built client's files; anything that is not one of them (every API path) falls
 * through to the routes untouched.
 */
export function webClientMiddleware(root: string): RequestHandler {
  return serveStatic(root, {
    index: ['index.html'],
    redirect: false,
    fallthrough: true,
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (res, file) => {
      res.setHeader('Cache-Control', cacheControlFor(root, file));
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  }) as RequestHandler;
}
