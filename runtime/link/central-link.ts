/**
 * The central link assembled: boot counter, journal, MQTT link, outbox, RPC client and command
 * processor, started in dependency order and stopped in reverse. The composition root builds one
 * and hands it out as RecordSink, TelemetrySink and RpcClient; the fleet simulator runs many.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Low } from 'lowdb';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import { TypedEmitter } from '../kernel/typed-emitter.js';
import type { CryptoBox } from './crypto-box.js';
import { openLinkState } from '../platform/document-store.js';
import type { LinkState as LinkCounters } from '../platform/document-store.js';
import { Journal } from './journal.js';
import type { RecoveryReport } from './journal.js';
import { MqttLink } from './mqtt-link.js';
import type { LinkAlert, LinkInfo, MqttLinkOptions } from './mqtt-link.js';
import { Outbox } from './outbox.js';
import type { OutboxOptions, OutboxStatus } from './outbox.js';
import { RpcClient } from './rpc.js';
import { CommandProcessor } from './commands.js';
import type { CommandHandler, CommandName } from './commands.js';
import type { RecordKind, RecordOptions, RecordSink, RecordedEvent, RpcClient as RpcPort, RpcOptions, RpcService, TelemetrySink } from '../flows/ports.js';

export interface CentralLinkOptions {
  stationId: string;
  /** Holds `journal/` and `link-state.json`. */
  dataDir: string;
  clock: Clock;
  logger: Logger;
  mqtt: Pick<MqttLinkOptions, 'url' | 'protocolVersion' | 'tls' | 'sessionExpirySec' | 'keepaliveSec' | 'reconnectMinMs' | 'reconnectMaxMs' | 'birth' | 'statusState' | 'random'>;
  journal?: { maxBytes?: number; segmentBytes?: number };
  /** Seals personal records (from the provisioning file); null refuses personal records. */
  box: CryptoBox | null;
  outbox?: Omit<OutboxOptions, 'journal' | 'link' | 'clock' | 'logger'>;
  /** keyId → Ed25519 public key (PEM or base64 raw). */
  commandKeys: Record<string, string>;
  commandHandlers: Partial<Record<CommandName, CommandHandler>>;
  /** Default RPC timeout; default 10 000 ms. */
  rpcTimeoutMs?: number;
}

export interface CentralLinkEvents {
  alert: LinkAlert;
  state: LinkInfo;
}

export interface CentralLinkStatus extends OutboxStatus {
  bootSeq: number;
  journal: ReturnType<Journal['stats']>;
  recovery: RecoveryReport | null;
  commands: { executed: number; rejected: Record<string, number> };
}

export class CentralLink implements RecordSink, TelemetrySink, RpcPort {
  readonly events = new TypedEmitter<CentralLinkEvents>();
  private readonly o: CentralLinkOptions;
  private counters: Low<LinkCounters> | null = null;
  journal: Journal | null = null;
  link: MqttLink | null = null;
  outbox: Outbox | null = null;
  rpc: RpcClient | null = null;
  commands: CommandProcessor | null = null;
  private recovery: RecoveryReport | null = null;

  constructor(options: CentralLinkOptions) {
    this.o = options;
  }

  get stationId(): string {
    return this.o.stationId;
  }

  get bootSeq(): number {
    return this.counters?.data.bootSeq ?? 0;
  }

  async start(): Promise<void> {
    const o = this.o;
    const log = (component: string) => o.logger.child({ component });
    await mkdir(o.dataDir, { recursive: true });
    this.counters = await openLinkState(o.dataDir, log('link-state'));
    const bootSeq = this.counters.data.bootSeq;
    this.journal = new Journal({
      dir: join(o.dataDir, 'journal'), idPrefix: `${o.stationId}:${bootSeq}`, clock: o.clock, logger: log('journal'), box: o.box, ...o.journal,
    });
    this.recovery = await this.journal.open();
    this.link = new MqttLink({ ...o.mqtt, stationId: o.stationId, bootSeq, clock: o.clock, logger: log('mqtt-link') });
    this.outbox = new Outbox({ receiptKeys: o.commandKeys, ...o.outbox, journal: this.journal, link: this.link, clock: o.clock, logger: log('outbox') });
    this.rpc = new RpcClient({ link: this.link, clock: o.clock, logger: log('rpc'), ...(o.rpcTimeoutMs ? { defaultTimeoutMs: o.rpcTimeoutMs } : {}) });
    this.commands = new CommandProcessor({
      link: this.link, clock: o.clock, logger: log('commands'), keys: o.commandKeys, state: this.counters, handlers: o.commandHandlers,
    });
    const forward = (a: LinkAlert) => this.events.emit('alert', a);
    this.link.events.on('alert', this, forward);
    this.outbox.events.on('alert', this, forward);
    this.commands.events.on('alert', this, forward);
    this.link.events.on('state', this, (s) => this.events.emit('state', s));
    // Disk pressure reaches the technician (alert, status) and central (telemetry) as it changes.
    this.journal.events.on('pressure', this, (disk) => {
      forward({ code: 'DISK_PRESSURE', message: `Journal storage ${disk.state}`, at: o.clock.now(), details: { ...disk } });
      this.outbox?.telemetry('journal', { disk });
    });
    if (this.recovery.quarantined.length > 0) {
      this.events.emit('alert', {
        code: 'JOURNAL_QUARANTINE', message: `${this.recovery.quarantined.length} damaged journal region(s) quarantined`,
        at: o.clock.now(), details: { quarantined: this.recovery.quarantined.map((q) => ({ segment: q.segment, offset: q.offset, reason: q.reason })) },
      });
    }
    await this.outbox.start();
    await this.rpc.start();
    await this.commands.start();
    await this.link.start();
  }

  /** Stops in reverse order; each part is bounded. Idempotent. */
  async stop(): Promise<void> {
    await this.commands?.stop();
    await this.rpc?.stop();
    await this.outbox?.stop();
    await this.link?.stop();
    await this.journal?.close();
    this.link?.events.offOwner(this);
    this.outbox?.events.offOwner(this);
    this.commands?.events.offOwner(this);
    this.journal?.events.offOwner(this);
  }

  record(kind: RecordKind, payload: Record<string, unknown>, options?: RecordOptions): Promise<RecordedEvent> {
    return this.outbox!.record(kind, payload, options);
  }

  telemetry(device: string, payload: Record<string, unknown>): void {
    this.outbox?.telemetry(device, payload);
  }

  call<T = unknown>(service: RpcService, params: Record<string, unknown>, options?: RpcOptions): Promise<T> {
    return this.rpc!.call<T>(service, params, options);
  }

  /** Whether a business record of about `bytes` still fits; the payment flow asks before showing a QR. */
  hasRoomFor(bytes = 4096): boolean {
    return this.journal?.hasRoomFor(bytes) ?? false;
  }

  /** Link state, outbox depth and oldest age, flagged records, telemetry counters, command counters. */
  status(): CentralLinkStatus {
    return {
      ...this.outbox!.status(), bootSeq: this.bootSeq, journal: this.journal!.stats(), recovery: this.recovery,
      commands: { executed: this.commands!.executed, rejected: { ...this.commands!.rejected } },
    };
  }
}
