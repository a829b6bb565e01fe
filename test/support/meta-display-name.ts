import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetaErrorSpec, MetaSandbox } from '../../src/local/meta-sandbox';

/**
 * Meta's `POST /{phone-number-id}` with `new_display_name`, served in front of the Meta sandbox
 * for tests (pass `inFront` as the harness's `metaInFront`): Meta answers `{ success: true }` and
 * the number's `new_name_status` becomes `PENDING_REVIEW`; a refusal set with `refuseNext` answers
 * Meta's error body instead. Every other request reaches the sandbox.
 */
export function displayNameRequests() {
  const requests: Array<{ phoneNumberId: string; body: Record<string, unknown> }> = [];
  let refusal: { error: MetaErrorSpec; httpStatus: number } | null = null;
  const inFront =
    (sandbox: MetaSandbox): MetaSandbox['handle'] =>
    async (req: IncomingMessage, res: ServerResponse, path: string) => {
      const url = new URL(path, 'http://graph.invalid');
      const node = /^\/(?:v\d+\.\d+\/)?(\d+)$/.exec(url.pathname);
      if (req.method !== 'POST' || !node) return sandbox.handle(req, res, path);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const phoneNumberId = node[1]!;
      requests.push({ phoneNumberId, body });
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (refusal) {
        const { error, httpStatus } = refusal;
        refusal = null;
        return answer(httpStatus, { error: { type: 'OAuthException', message: 'Refused', fbtrace_id: 'test', ...error } });
      }
      if (typeof body.new_display_name !== 'string' || !sandbox.state.phoneNumber(phoneNumberId)) {
        return answer(400, { error: { type: 'OAuthException', code: 100, message: 'Invalid parameter', fbtrace_id: 'test' } });
      }
      sandbox.state.updatePhoneNumber(phoneNumberId, { newNameStatus: 'PENDING_REVIEW' });
      return answer(200, { success: true });
    };
  return {
    inFront,
    /** The rename requests Meta received, oldest first. */
    requests,
    refuseNext(error: MetaErrorSpec, httpStatus = 400) {
      refusal = { error, httpStatus };
    },
  };
}
