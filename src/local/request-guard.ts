/**
 * This host has no authentication, so a web page in the developer's browser must not be able to
 * drive it: a DNS-rebound name is refused by its Host header, and a state-changing request is
 * refused when it comes from another origin or with a content type an HTML form can send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem, type Problem } from './http-bridge';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORM_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const hostNameOf = (hostHeader: string): string => hostHeader.trim().toLowerCase().replace(/:\d+$/, '');

function originIsLocal(origin: string): boolean {
  try {
    return LOOPBACK_NAMES.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

function isJsonText(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a request whose Host header names anything but loopback or the address listened on;
 * true when it answered.
 */
export function refuseForeignHost(listenHost: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const allowedHostNames = new Set([...LOOPBACK_NAMES, listenHost.includes(':') ? `[${listenHost}]` : listenHost]);
  return (req, res) => {
    const hostHeader = req.headers.host;
    if (hostHeader === undefined || allowedHostNames.has(hostNameOf(hostHeader))) return false;
    sendProblem(res, { status: 403, detail: `Host ${hostHeader.slice(0, 100)} is not served: use localhost`, code: 'forbidden' });
    return true;
  };
}

/**
 * Why a state-changing request is refused, or null. With `body`, also a form content type whose
 * body is not JSON (a body-less action such as disconnect, posted by a web form).
 */
function crossSiteRefusal(req: IncomingMessage, body?: Buffer): Problem | null {
  if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) return null;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && !originIsLocal(origin)) {
    return { status: 403, detail: `Requests from ${origin} are refused: this host only serves local callers`, code: 'forbidden' };
  }
  if (origin === 'null' || req.headers['sec-fetch-site'] === 'cross-site') {
    return { status: 403, detail: 'Cross-site requests are refused: this host only serves local callers', code: 'forbidden' };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (body !== undefined && FORM_CONTENT_TYPES.has(type) && (body.length === 0 || !isJsonText(body))) {
    return {
      status: 415,
      detail: `A ${type} body that is not JSON is refused here (a web form can send it): send application/json`,
      code: 'unsupported-media-type',
    };
  }
  return null;
}

/** Answers a cross-site request (see crossSiteRefusal) and returns true, or returns false for a local one. */
export function refuseCrossSite(req: IncomingMessage, res: ServerResponse, body?: Buffer): boolean {
  const refusal = crossSiteRefusal(req, body);
  if (!refusal) return false;
  sendProblem(res, refusal);
  return true;
}
