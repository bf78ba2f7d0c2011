/**
 * The MQTT contract, one typed map: every topic under `cds/v1/{stationId}/`, its direction, QoS,
 * retain flag and payload type. config/asyncapi.yaml documents the same map for central's team;
 * test/runtime/topics.test.ts checks the two agree.
 */
import type { ErrorShape } from '../kernel/errors.js';

export const TOPIC_ROOT = 'cds/v1';

export interface TopicSpec {
  /** Path after `cds/v1/{stationId}/`; `{name}` segments are parameters. */
  pattern: string;
  /** `out`: the station publishes; `in`: the station subscribes. */
  dir: 'out' | 'in';
  qos: 0 | 1;
  retain: boolean;
}

export const topics = {
  status: { pattern: 'status', dir: 'out', qos: 1, retain: true },
  birth: { pattern: 'birth', dir: 'out', qos: 1, retain: true },
  telemetry: { pattern: 'telemetry/{device}', dir: 'out', qos: 1, retain: false },
  event: { pattern: 'event/{kind}', dir: 'out', qos: 1, retain: false },
  rpcRequest: { pattern: 'rpc/{service}/req', dir: 'out', qos: 1, retain: false },
  rpcResponse: { pattern: 'rpc/{service}/res', dir: 'in', qos: 1, retain: false },
  receipt: { pattern: 'receipt', dir: 'in', qos: 1, retain: false },
  command: { pattern: 'cmd/{name}', dir: 'in', qos: 1, retain: false },
  commandResult: { pattern: 'cmd/{name}/res', dir: 'out', qos: 1, retain: false },
  configDesired: { pattern: 'config/desired', dir: 'in', qos: 1, retain: true },
  configReported: { pattern: 'config/reported', dir: 'out', qos: 1, retain: true },
} as const satisfies Record<string, TopicSpec>;

export type TopicName = keyof typeof topics;

/** `online` after connect, `offline` as last will or on a clean stop, `maintenance` while a technician works. */
export interface StatusPayload {
  state: 'online' | 'offline' | 'maintenance';
  /** The boot-session counter, persisted across restarts. */
  bootSeq: number;
  at: number;
}

export interface BirthPayload {
  bootSeq: number;
  at: number;
  versions: Record<string, string>;
  devices: Array<{ id: string; kind: string; mode: 'real' | 'sim'; state: string }>;
  flows: Array<{ id: string; version: string }>;
  capabilities: string[];
  /** Journal storage pressure (journal-pressure.ts): `low` sheds analytics, `full` refuses new records. */
  disk?: 'ok' | 'low' | 'full';
}

export interface TelemetryPayload {
  device: string;
  at: number;
  data: Record<string, unknown>;
  /** Telemetry dropped oldest-first since the last delivered sample (cap or TTL). */
  dropped?: number;
}

/** A business record; `eventId` is the idempotency key `{stationId}:{bootSeq}:{seq}`. */
export interface EventPayload {
  eventId: string;
  seq: number;
  kind: string;
  stream: string;
  /** Position in the stream, from 1, without gaps: what central's cumulative receipt counts. */
  streamSeq: number;
  recordedAt: number;
  sentAt: number;
  data: Record<string, unknown>;
}

/** Correlation travels here as well as in MQTT v5 properties, so RPC works over 3.1.1 (aedes). */
export interface RpcRequestPayload {
  id: string;
  service: string;
  replyTo: string;
  params: Record<string, unknown>;
  sentAt: number;
}

export type RpcResponsePayload =
  | { id: string; ok: true; data: unknown }
  | { id: string; ok: false; error: { code: string; message: string } };

/**
 * Central's signed cumulative acknowledgement of one stream (runtime/link/receipts.ts): `envelope`
 * is the JSON text `{stationId, keyId, stream, through, missing, issuedAt, expiresAt}`, `signature`
 * Ed25519 over its UTF-8 bytes.
 */
export type ReceiptPayload = SignedCommandPayload;

/** A signed command: `signature` is Ed25519 over the UTF-8 bytes of `envelope` (a JSON text). */
export interface SignedCommandPayload {
  envelope: string;
  signature: string;
}

export interface CommandResultPayload {
  id: string;
  ok: boolean;
  data?: unknown;
  error?: ErrorShape | { code: string; message: string };
}

export interface TopicPayloads {
  status: StatusPayload;
  birth: BirthPayload;
  telemetry: TelemetryPayload;
  event: EventPayload;
  rpcRequest: RpcRequestPayload;
  rpcResponse: RpcResponsePayload;
  receipt: ReceiptPayload;
  command: SignedCommandPayload;
  commandResult: CommandResultPayload;
  configDesired: SignedCommandPayload;
  configReported: CommandResultPayload;
}

/** The full topic for a station, filling `{param}` segments. */
export function topicFor(stationId: string, name: TopicName, params: Record<string, string> = {}): string {
  const path = topics[name].pattern.replace(/\{(\w+)\}/g, (_, p: string) => {
    const v = params[p];
    if (v === undefined || v === '' || /[/+#]/.test(v)) throw new Error(`topic ${name} needs a plain ${p}`);
    return v;
  });
  return `${TOPIC_ROOT}/${stationId}/${path}`;
}

/** The subscription filter for an inbound topic (`{param}` → `+`; `cmd/{name}` → `cmd/#` per the contract). */
export function filterFor(stationId: string, name: TopicName): string {
  if (name === 'command') return `${TOPIC_ROOT}/${stationId}/cmd/#`;
  return `${TOPIC_ROOT}/${stationId}/${topics[name].pattern.replace(/\{\w+\}/g, '+')}`;
}

/** Which map entry a received topic is, with its parameters; null when it is not in the contract. */
export function matchTopic(stationId: string, topic: string): { name: TopicName; params: Record<string, string> } | null {
  const prefix = `${TOPIC_ROOT}/${stationId}/`;
  if (!topic.startsWith(prefix)) return null;
  const parts = topic.slice(prefix.length).split('/');
  for (const [name, spec] of Object.entries(topics) as Array<[TopicName, TopicSpec]>) {
    const pat = spec.pattern.split('/');
    if (pat.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (pat.every((seg, i) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m) {
        params[m[1]!] = parts[i]!;
        return parts[i]!.length > 0;
      }
      return seg === parts[i];
    })) return { name, params };
  }
  return null;
}

/** The inbound topics the station subscribes to after every connect. */
export const SUBSCRIBED: readonly TopicName[] = ['command', 'configDesired', 'rpcResponse', 'receipt'];
