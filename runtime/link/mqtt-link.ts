/**
 * The station's MQTT connection to central (mqtt.js). MQTT 5 towards production brokers, 3.1.1
 * towards the embedded aedes broker. The link owns connection state only: delivery belongs to the
 * journal and outbox, so `publish` refuses while offline instead of queuing in memory.
 *
 * - Last will: retained `status` offline. After each connect: subscriptions, retained `birth`,
 *   retained `status` online with the boot counter.
 * - `clean: false` with a session expiry (v5 §3.1.2.11.2) so QoS 1 messages for the station wait
 *   at the broker across short outages.
 * - Reconnects are scheduled here, on the injected clock, with exponential backoff and jitter
 *   (mqtt.js's own reconnectPeriod is off); mqtt.js's keepalive timer also runs on the clock.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions, IClientPublishOptions, MqttClient, IPublishPacket } from 'mqtt';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { StationError } from '../kernel/errors.js';
import { connectMqtt } from './mqtt-connect.js';
import { TypedEmitter } from '../kernel/typed-emitter.js';
import { SUBSCRIBED, filterFor, matchTopic, topicFor, topics } from './topics.js';
import type { BirthPayload, TopicName, TopicPayloads } from './topics.js';

export type LinkState = 'offline' | 'connecting' | 'connected';

export interface LinkInfo {
  state: LinkState;
  /** 5 or 4 (3.1.1): what the connection speaks. */
  protocolVersion: 4 | 5;
  url: string;
  /** Clock ms of the current connection, null while not connected. */
  connectedSince: number | null;
  reconnectAttempt: number;
  lastError: string | null;
}

export interface LinkAlert {
  code: 'CONNECT_REFUSED' | 'SUBSCRIBE_REFUSED' | 'PUBLISH_REFUSED' | 'OUTBOX_FLAGGED' | 'TELEMETRY_DROPPED' | 'JOURNAL_QUARANTINE' | 'COMMAND_REJECTED' | 'RECEIPT_REFUSED' | 'DISK_PRESSURE';
  message: string;
  at: number;
  details?: Record<string, unknown>;
}

/** MQTT v5 properties the station reads on inbound messages (RPC correlation). */
export interface InboundProperties {
  correlationData?: Buffer;
  responseTopic?: string;
}

export interface InboundMessage {
  name: TopicName;
  params: Record<string, string>;
  topic: string;
  payload: Buffer;
  retain: boolean;
  properties: InboundProperties;
}

export interface LinkEvents {
  state: LinkInfo;
  message: InboundMessage;
  alert: LinkAlert;
}

export interface PublishOptions {
  /** MQTT v5 properties (ignored on 3.1.1). */
  properties?: IClientPublishOptions['properties'];
  /** Overrides the QoS of the topic map (telemetry may go at 0). */
  qos?: 0 | 1;
}

/** What the broker said: 0 success; v5 PUBACK reason codes ≥ 0x80 are refusals (0x87, 0x97, …). */
export interface PublishOutcome {
  reasonCode: number;
}

/** What the outbox, RPC client and command processor need from a link; tests pass a fake. */
export interface LinkPort {
  readonly stationId: string;
  readonly events: TypedEmitter<LinkEvents>;
  info(): LinkInfo;
  publish<N extends TopicName>(name: N, params: Record<string, string>, payload: TopicPayloads[N], options?: PublishOptions): Promise<PublishOutcome>;
}

export interface MqttLinkOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://…`. */
  url: string;
  stationId: string;
  /** 5 (default) for production brokers, 4 for the embedded aedes broker. */
  protocolVersion?: 4 | 5;
  /** The boot-session counter (document-store `openLinkState`). */
  bootSeq: number;
  /** PEM files for TLS with a client certificate; all three or none. */
  tls?: { caFile: string; certFile: string; keyFile: string } | null;
  /** Broker keeps the session this long after a disconnect (v5); default 86 400 s. */
  sessionExpirySec?: number;
  /** Default 30 s. */
  keepaliveSec?: number;
  /** First reconnect delay; default 1 000 ms. */
  reconnectMinMs?: number;
  /** Longest reconnect delay; default 60 000 ms. */
  reconnectMaxMs?: number;
  /** Builds the retained birth message after each connect. */
  birth: () => Omit<BirthPayload, 'bootSeq' | 'at'>;
  /** What the retained `status` says after each connect; default `online` (`maintenance` while a technician works). */
  statusState?: () => 'online' | 'maintenance';
  clock: Clock;
  logger: Logger;
  /** Random source for jitter (tests pass a fixed one); default Math.random. */
  random?: () => number;
}

/** mqtt.js's keepalive timer driven by the injected clock (mqtt.js `timerVariant`). */
function clockInterval(clock: Clock) {
  const handles = new Map<number, TimerHandle>();
  let next = 1;
  return {
    set: ((fn: () => void, ms: number) => {
      const id = next++;
      const tick = () => {
        handles.set(id, clock.setTimeout(tick, ms));
        fn();
      };
      handles.set(id, clock.setTimeout(tick, ms));
      return id;
    }) as unknown as NonNullable<Exclude<IClientOptions['timerVariant'], string>>['set'],
    clear: ((id: number) => {
      clock.clearTimeout(handles.get(id));
      handles.delete(id);
    }) as unknown as NonNullable<Exclude<IClientOptions['timerVariant'], string>>['clear'],
  };
}

export class MqttLink implements LinkPort {
  readonly events = new TypedEmitter<LinkEvents>();
  readonly stationId: string;
  private readonly options: MqttLinkOptions;
  private client: MqttClient | null = null;
  private state: LinkState = 'offline';
  private connectedSince: number | null = null;
  private attempt = 0;
  private lastError: string | null = null;
  private reconnectTimer: TimerHandle | undefined;
  private stopping = false;
  /** Rejecters of publishes waiting for their PUBACK on the current connection. */
  private awaitingAck = new Set<(err: StationError) => void>();

  constructor(options: MqttLinkOptions) {
    this.options = options;
    this.stationId = options.stationId;
  }

  info(): LinkInfo {
    return {
      state: this.state, protocolVersion: this.options.protocolVersion ?? 5, url: this.options.url,
      connectedSince: this.connectedSince, reconnectAttempt: this.attempt, lastError: this.lastError,
    };
  }

  /** Starts connecting; resolves without waiting for the broker (the link keeps trying). */
  async start(): Promise<void> {
    const o = this.options;
    const v5 = (o.protocolVersion ?? 5) === 5;
    const tls = o.tls
      ? { ca: await readFile(o.tls.caFile), cert: await readFile(o.tls.certFile), key: await readFile(o.tls.keyFile) }
      : undefined;
    this.stopping = false;
    const options: IClientOptions = {
      clientId: o.stationId,
      protocolVersion: o.protocolVersion ?? 5,
      clean: false,
      keepalive: o.keepaliveSec ?? 30,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false,
      manualConnect: true,
      // Off: mqtt-packet would otherwise build a 2-byte Buffer for each of the 65,536 possible
      // numbers at the first packet, several MB of heap and milliseconds of start for a link that
      // sends a few messages a minute.
      writeCache: false,
      timerVariant: clockInterval(o.clock),
      will: {
        topic: topicFor(o.stationId, 'status'),
        payload: Buffer.from(JSON.stringify({ state: 'offline', bootSeq: o.bootSeq, at: o.clock.now() })),
        qos: 1,
        retain: true,
      },
      ...(v5 ? { properties: { sessionExpiryInterval: o.sessionExpirySec ?? 86_400 } } : {}),
    };
    const client = await connectMqtt(o.url, options, tls);
    // A stop while the client was being made: it never connected (manualConnect), so nothing to end.
    if (this.stopping) return;
    this.client = client;
    client.on('connect', (connack) => {
      void this.onConnect(client, connack.sessionPresent);
    });
    client.on('close', () => this.onClose(client));
    client.on('error', (err) => {
      this.lastError = err.message;
      const code = (err as { code?: number | string }).code;
      if (typeof code === 'number') {
        this.alert('CONNECT_REFUSED', `The broker refused the connection: ${err.message}`, { reasonCode: code });
      } else {
        o.logger.warn({ err: err.message }, 'mqtt connection error');
      }
    });
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    this.setState('connecting');
    client.connect();
  }

  private setState(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.connectedSince = state === 'connected' ? this.options.clock.now() : null;
    this.options.logger.info({ state, protocolVersion: this.options.protocolVersion ?? 5 }, 'central link state');
    this.events.emit('state', this.info());
  }

  private alert(code: LinkAlert['code'], message: string, details?: Record<string, unknown>): void {
    this.options.logger.warn({ code, ...details }, message);
    this.events.emit('alert', { code, message, at: this.options.clock.now(), ...(details ? { details } : {}) });
  }

  private async onConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    const o = this.options;
    this.attempt = 0;
    this.lastError = null;
    try {
      const granted = await client.subscribeAsync(
        SUBSCRIBED.map((name) => filterFor(o.stationId, name)),
        // No Local (v5 §3.8.3.1): `cmd/#` also matches the station's own `cmd/{name}/res`.
        // Retain As Published: a retained command queued in the session while the station was
        // offline keeps its retain flag, so it is recognised and ignored (3.1.1 cannot tell).
        { qos: 1, ...((o.protocolVersion ?? 5) === 5 ? { nl: true, rap: true } : {}) },
      );
      for (const g of granted) {
        if (g.qos >= 0x80) this.alert('SUBSCRIBE_REFUSED', `The broker refused the subscription ${g.topic}`, { reasonCode: g.qos });
      }
      const at = o.clock.now();
      await client.publishAsync(topicFor(o.stationId, 'birth'), JSON.stringify({ ...o.birth(), bootSeq: o.bootSeq, at }), { qos: 1, retain: true });
      await client.publishAsync(topicFor(o.stationId, 'status'), JSON.stringify({ state: o.statusState?.() ?? 'online', bootSeq: o.bootSeq, at }), { qos: 1, retain: true });
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'post-connect announcements failed');
      return;
    }
    if (this.client !== client || !client.connected) return;
    o.logger.debug({ sessionPresent }, 'connected to central broker');
    this.setState('connected');
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client) return;
    // mqtt.js may retransmit these after a reconnect, but nobody should wait on that: the journal
    // owns delivery and resends under the same event id.
    const waiting = [...this.awaitingAck];
    this.awaitingAck.clear();
    for (const reject of waiting) reject(new StationError('LINK_OFFLINE', 'The connection closed before the PUBACK', { transient: true }));
    this.setState(this.stopping ? 'offline' : 'connecting');
    if (this.stopping || this.reconnectTimer) return;
    const o = this.options;
    const min = o.reconnectMinMs ?? 1000;
    const max = o.reconnectMaxMs ?? 60_000;
    const ceiling = Math.min(max, min * 2 ** Math.min(this.attempt, 20));
    // "Equal jitter": half fixed, half random, so a fleet reconnecting after a broker restart spreads out.
    const delay = Math.round(ceiling / 2 + (o.random ?? Math.random)() * (ceiling / 2));
    this.attempt++;
    this.reconnectTimer = o.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopping && this.client === client) client.reconnect();
    }, delay);
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const match = matchTopic(this.stationId, topic);
    if (!match || topics[match.name].dir !== 'in') return;
    // Retained commands would replay on every reconnect; only desired config is meant to be retained.
    if (packet.retain && match.name === 'command') {
      this.options.logger.warn({ topic }, 'retained command ignored');
      return;
    }
    const props = packet.properties ?? {};
    this.events.emit('message', {
      ...match, topic, payload, retain: packet.retain,
      properties: {
        ...(props.correlationData ? { correlationData: props.correlationData } : {}),
        ...(props.responseTopic ? { responseTopic: props.responseTopic } : {}),
      },
    });
  }

  async publish<N extends TopicName>(name: N, params: Record<string, string>, payload: TopicPayloads[N], options: PublishOptions = {}): Promise<PublishOutcome> {
    const client = this.client;
    if (!client || this.state !== 'connected' || !client.connected) throw new StationError('LINK_OFFLINE', undefined, { transient: true });
    const spec = topics[name];
    const opts: IClientPublishOptions = { qos: options.qos ?? spec.qos, retain: spec.retain };
    if ((this.options.protocolVersion ?? 5) === 5 && options.properties) opts.properties = options.properties;
    let rejectOnClose: ((err: StationError) => void) | undefined;
    const closed = new Promise<never>((_, reject) => {
      rejectOnClose = reject;
    });
    this.awaitingAck.add(rejectOnClose!);
    try {
      const packet = await Promise.race([client.publishAsync(topicFor(this.stationId, name, params), JSON.stringify(payload), opts), closed]);
      return { reasonCode: (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0 };
    } catch (err) {
      if (err instanceof StationError) throw err;
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && code >= 0x80) {
        this.alert('PUBLISH_REFUSED', `The broker refused a publish on ${name}`, { reasonCode: code, topic: spec.pattern });
        return { reasonCode: code };
      }
      throw new StationError('LINK_OFFLINE', (err as Error).message, { transient: true, cause: err });
    } finally {
      this.awaitingAck.delete(rejectOnClose!);
    }
  }

  /** Publishes `status` offline (retained), disconnects and stops reconnecting. Bounded, idempotent. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.stopping && !this.client) return;
    this.stopping = true;
    this.options.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    if (!client) return;
    const goodbye = (async () => {
      if (client.connected) {
        await client.publishAsync(topicFor(this.stationId, 'status'),
          JSON.stringify({ state: 'offline', bootSeq: this.options.bootSeq, at: this.options.clock.now() }), { qos: 1, retain: true });
      }
      // Forced: a graceful end waits for every packet mqtt.js still holds from an earlier
      // connection, which may never be acknowledged. Offline is already published (and is the will).
      await client.endAsync(true);
    })().catch(() => undefined);
    let timer: TimerHandle | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = this.options.clock.setTimeout(resolve, timeoutMs);
    });
    // A broker that is gone never answers the goodbye; its socket closing ends the wait instead.
    const closed = new Promise<void>((resolve) => {
      if (client.disconnected || !client.connected) resolve();
      client.once('close', () => resolve());
    });
    await Promise.race([goodbye, bounded, closed]);
    this.options.clock.clearTimeout(timer);
    if (!client.disconnected) client.end(true);
    this.client = null;
    this.setState('offline');
  }
}
