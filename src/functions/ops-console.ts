import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { endpoint } from './http/endpoint';

/**
 * The ops console's files (docs/design.md §5.3), served by the Function App itself: no CDN, no
 * build step. They hold no data, so they need no role: the page calls the API, where roles apply.
 */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
};

// The page loads only its own files and talks only to its own origin.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The folder is beside package.json: found by walking up, so it works from src/ (tests) and dist/src/. */
function consoleFolder(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'ops-console');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error('The ops-console folder is missing from the deployment.');
  }
}

const cache = new Map<string, string>();

function serve(file: string): HttpResponseInit {
  const contentType = FILES[file];
  if (!contentType) throw new DomainError('not-found', 'No such file in the ops console.');
  let body = cache.get(file);
  if (body === undefined) {
    body = readFileSync(path.join(consoleFolder(), file), 'utf8');
    cache.set(file, body);
  }
  return { status: 200, headers: { 'content-type': contentType, ...SECURITY_HEADERS }, body };
}

const asset = z.string();

export const opsConsole = endpoint({
  name: 'opsConsole',
  methods: ['GET'],
  route: 'ops',
  authLevel: 'anonymous',
  roles: 'none',
  summary: 'The ops console: what is broken and what to do (a web page that calls this API)',
  tags: ['operations'],
  responses: [{ status: 200, description: 'The page', schema: asset, contentType: 'text/html' }],
  errors: [],
  handle: async () => serve('index.html'),
});

export const opsConsoleFile = endpoint({
  name: 'opsConsoleFile',
  methods: ['GET'],
  route: 'ops/{file}',
  authLevel: 'anonymous',
  roles: 'none',
  summary: "The ops console's script and style sheet",
  tags: ['operations'],
  responses: [{ status: 200, description: 'The file', schema: asset, contentType: 'text/plain' }],
  errors: ['not-found'],
  handle: async (input) => serve(input.params['file'] ?? ''),
});
