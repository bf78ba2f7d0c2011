/** An in-memory LinkPort: records what is published, answers with scripted PUBACK reason codes. */
import { TypedEmitter } from '../../runtime/kernel/typed-emitter.js';
import { StationError } from '../../runtime/kernel/errors.js';
import type { LinkEvents, LinkInfo, LinkPort, LinkState, PublishOptions, PublishOutcome } from '../../runtime/link/mqtt-link.js';
import type { TopicName, TopicPayloads } from '../../runtime/link/topics.js';
import { topicFor } from '../../runtime/link/topics.js';

export interface Published {
  name: TopicName;
  topic: string;
  payload: unknown;
  options: PublishOptions;
}

export class FakeLink implements LinkPort {
  readonly events = new TypedEmitter<LinkEvents>();
  readonly stationId: string;
  readonly published: Published[] = [];
  private state: LinkState = 'offline';
  /** Decides the PUBACK for each publish; default success. */
  reasonCodeFor: (p: Published) => number = () => 0;
  /** When set, publishes stay unanswered until `ackAll`. */
  holdAcks = false;
  private held: Array<() => void> = [];

  constructor(stationId = 'HCM-BT-001') {
    this.stationId = stationId;
  }

  info(): LinkInfo {
    return { state: this.state, protocolVersion: 5, url: 'fake://', connectedSince: null, reconnectAttempt: 0, lastError: null };
  }

  setState(state: LinkState): void {
    this.state = state;
    this.events.emit('state', this.info());
  }

  async publish<N extends TopicName>(name: N, params: Record<string, string>, payload: TopicPayloads[N], options: PublishOptions = {}): Promise<PublishOutcome> {
    if (this.state !== 'connected') throw new StationError('LINK_OFFLINE', undefined, { transient: true });
    const p: Published = { name, topic: topicFor(this.stationId, name, params), payload, options };
    this.published.push(p);
    if (this.holdAcks) await new Promise<void>((resolve) => this.held.push(resolve));
    return { reasonCode: this.reasonCodeFor(p) };
  }

  ackAll(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  /** Delivers an inbound message as the broker would. */
  deliver(name: TopicName, params: Record<string, string>, payload: unknown, extra: { retain?: boolean; properties?: { correlationData?: Buffer } } = {}): void {
    this.events.emit('message', {
      name, params, topic: topicFor(this.stationId, name, params),
      payload: Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
      retain: extra.retain ?? false, properties: extra.properties ?? {},
    });
  }
}
