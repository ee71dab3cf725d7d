import type { RequestHandler } from 'express';
import { readFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import serveStatic from 'serve-static';
import { PageConfig, withPageConfig } from './page-config';

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
 * through to the routes untouched. The page itself (`/`, `/index.html`) carries `page`: read
 * from disk on each request (a rebuild shows at once), with an ETag from Express.
 */
export function webClientMiddleware(root: string, page: PageConfig): RequestHandler {
  const files = staticFiles(root);
  const index = join(root, 'index.html');
  return (req, res, next) => {
    if (req.path !== '/' && req.path !== '/index.html') return files(req, res, next);
    readFile(index, 'utf8').then(
      (html) => {
        res.setHeader('Cache-Control', REVALIDATE);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.type('html').send(withPageConfig(html, page));
      },
      () => next(),
    );
  };
}

function staticFiles(root: string): RequestHandler {
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
