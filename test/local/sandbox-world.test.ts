import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AcsSandboxState, acsSandboxWorldSchema } from '../../src/local/acs-sandbox';
import { metaSandboxWorldSchema, SandboxState, SEED_WABA } from '../../src/local/meta-sandbox';
import { persistWorld } from '../../src/local/sandbox-world';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'sandbox-world-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const metaWorld = (state: SandboxState, file: string, log: string[] = []) =>
  persistWorld({
    file,
    schema: metaSandboxWorldSchema,
    read: () => state.world(),
    restore: (world) => state.restoreWorld(world),
    log: (line) => log.push(line),
  });

describe('persistWorld', () => {
  it('brings back businesses, WABAs and numbers, but never a verification code', () => {
    const file = path.join(dir, 'meta-sandbox.json');
    const first = new SandboxState();
    const saver = metaWorld(first, file);
    expect(saver.restored).toBe(false);
    const phone = first.addPendingPhoneNumber(SEED_WABA.id, '+14255550123', 'Contoso Bikes');
    first.deletePhoneNumber('+14255550123', 'remove');
    const again = first.addPhoneNumber(SEED_WABA.id, '+14255550123', { nameStatus: 'PENDING_REVIEW' });
    again.lastCode = { code: '314159', method: 'SMS', language: 'en_US', requestedAt: new Date().toISOString() };
    first.unshareWaba(SEED_WABA.id);
    saver.save();
    expect(readFileSync(file, 'utf8')).not.toContain('314159');

    const second = new SandboxState();
    expect(metaWorld(second, file).restored).toBe(true);
    expect(second.world()).toEqual(first.world());
    expect(second.phoneNumber('+14255550123')?.id).toBe(again.id);
    expect(second.phoneNumber(phone.id)?.removed).toBe(true);
    expect(second.lastCode('+14255550123')).toBeNull();
    // Ids keep counting from where they were: a new number never takes an old one's id.
    expect(second.addPhoneNumber(SEED_WABA.id, '+14255550124').id).not.toBe(phone.id);
  });

  it('keeps the ACS channels and numbers marked failing', () => {
    const file = path.join(dir, 'acs-sandbox.json');
    const first = new AcsSandboxState();
    const channel = '4f1a3d5e-0000-4000-8000-00000000abcd';
    first.addChannel(channel);
    first.failDelivery('+14255550123');
    const options = { file, schema: acsSandboxWorldSchema, log: () => undefined };
    persistWorld({ ...options, read: () => first.world(), restore: (world) => first.restoreWorld(world) }).save();
    const second = new AcsSandboxState();
    persistWorld({ ...options, read: () => second.world(), restore: (world) => second.restoreWorld(world) });
    expect(second.hasChannel(channel)).toBe(true);
    expect(second.world()).toEqual(first.world());
  });

  it('sets aside a file it did not write and starts from the seed', () => {
    const file = path.join(dir, 'meta-sandbox.json');
    writeFileSync(file, '{"not":"a world"}');
    const log: string[] = [];
    const state = new SandboxState();
    expect(metaWorld(state, file, log).restored).toBe(false);
    expect(state.waba(SEED_WABA.id)).toBeDefined();
    expect(readdirSync(dir).some((name) => name.startsWith('meta-sandbox.json.unreadable-'))).toBe(true);
    expect(log.join('\n')).toMatch(/not a world this sandbox wrote/);
  });
});
