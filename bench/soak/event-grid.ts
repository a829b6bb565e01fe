/**
 * Event Grid as the local host's functions meet it in Azure: the delivery URL and headers Event Grid
 * uses, a retry with backoff when the function answers 500 or nothing, and the faults it really
 * produces: the same event delivered again, events of one batch out of order, and late deliveries
 * (minutes after the first).
 */
import { randomUUID } from 'node:crypto';
import type { SoakClient } from './client';

export interface EventGridStats {
  delivered: number;
  duplicated: number;
  reordered: number;
  late: number;
  retried: number;
}

type GridEvent = Record<string, unknown> & { id: string };

export class EventGridEmulator {
  readonly stats: EventGridStats = { delivered: 0, duplicated: 0, reordered: 0, late: 0, retried: 0 };
  private readonly recent: GridEvent[] = [];
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly client: SoakClient,
    private readonly lateMs: number,
  ) {}

  /** Delivers one event to a function, with the faults drawn at random; resolves after the first delivery succeeded (or gave up). */
  async publish(functionName: string, event: GridEvent): Promise<boolean> {
    const older = this.recent.length > 0 && Math.random() < 0.2 ? this.recent[Math.floor(Math.random() * this.recent.length)] : undefined;
    // Out of order: an older event of the same subscription rides in the same batch, after the new one.
    const batch = older ? [event, older] : [event];
    if (older) this.stats.reordered += 1;
    const delivered = await this.deliver(functionName, batch);
    this.recent.push(event);
    if (this.recent.length > 20) this.recent.shift();
    if (Math.random() < 0.25) {
      this.stats.duplicated += 1;
      await this.deliver(functionName, [event]);
    }
    if (Math.random() < 0.2) {
      this.stats.late += 1;
      const late = new Promise<void>((resolve) => setTimeout(resolve, this.lateMs * (0.7 + Math.random() * 0.6))).then(async () => {
        if (!this.stopped) await this.deliver(functionName, [event]);
      });
      this.pending.add(late);
      void late.finally(() => this.pending.delete(late));
    }
    return delivered;
  }

  /** Waits for the late deliveries still to come (the soak's end). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(functionName: string, events: GridEvent[]): Promise<boolean> {
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const answer = await this.client.call('POST', `/runtime/webhooks/eventgrid?functionName=${functionName}`, {
        body: events,
        headers: {
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': `SOAK-${functionName.toUpperCase()}`,
          'aeg-delivery-count': String(attempt - 1),
          'aeg-data-version': '1.0',
          'aeg-metadata-version': '1',
        },
      });
      if (answer && answer.status >= 200 && answer.status < 300) {
        this.stats.delivered += events.length;
        return true;
      }
      this.stats.retried += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)));
    }
    return false;
  }
}

export function smsReceivedEvent(to: string, message: string): GridEvent {
  const id = `Incoming_${randomUUID()}`;
  const now = new Date().toISOString();
  return {
    id,
    topic: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-soak/providers/microsoft.communication/communicationservices/acs-soak',
    subject: `/phonenumber/${to.replace(/\D/g, '')}`,
    data: { messageId: id, from: '32665', to, message, receivedTimestamp: now, segmentCount: 1 },
    eventType: 'Microsoft.Communication.SMSReceived',
    dataVersion: '1.0',
    metadataVersion: '1',
    eventTime: now,
  };
}
