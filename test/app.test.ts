import { createTableStorage } from '../src/adapters/table-storage';
import type { OutgoingEvent } from '../src/domain/ports';
import { startAppHarness, type AppHarness } from './support/app-harness';
import { registerUpTo } from './support/onboarding';
import { testStorageConnectionString } from './support/storage';

/**
 * `createApp().shutdown`, which the Functions host calls when it stops: the outgoing events this
 * process committed go to the feed then, instead of waiting for the reconcile timer's sweep.
 */
describe('createApp().shutdown', () => {
  let app: AppHarness;

  // A dispatch window of an hour: within the test, only the shutdown can send what was committed.
  beforeAll(async () => {
    app = await startAppHarness({ services: { dispatcherOptions: { windowMs: 3_600_000 } } });
  });
  afterAll(() => app.close());

  /** The feed as stored, read without the API (whose `GET /api/events` dispatches first). */
  const storedFeed = async (): Promise<OutgoingEvent[]> =>
    (await createTableStorage({ connection: testStorageConnectionString(), tablePrefix: app.tablePrefix }).outbox.feed(undefined, 1000)).items;

  it('sends the events committed in the dispatch window still open', async () => {
    const { id } = await registerUpTo(app, 'BusinessAccountSelected');
    const mine = (events: OutgoingEvent[]) => events.filter((event) => event.data.registrationId === id).map((event) => event.type);
    expect(mine(await storedFeed())).toEqual([]);

    await app.shutdown();

    expect(mine(await storedFeed())).toEqual(['Registration.StageChanged']);
  });
});
