/**
 * Opens an mqtt.js client without loading every transport mqtt.js has. The package index
 * (`mqtt.connect`) evaluates its WebSocket, SOCKS, WeChat and Alipay transports with their
 * dependencies (ws, socks, ip-address, smart-buffer) at the first connect, about a fifth of the
 * station's start on the board; the station talks to central over TCP or TLS. So for those schemes
 * the client class (`mqtt/lib/client`) gets a stream builder of our own, doing what mqtt.js's
 * `connect/tcp` and `connect/tls` do; `ws://` and `wss://` brokers still go through mqtt.js's full
 * `connect`, loaded only then.
 */
import { createConnection, isIP } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import clientModule from 'mqtt/lib/client';
import type { IClientOptions, MqttClient } from 'mqtt';

/** TLS material of the station's client certificate (mutual TLS with central's broker). */
export interface MqttTlsOptions {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const tcpSchemes = new Set(['mqtt:', 'tcp:']);
const tlsSchemes = new Set(['mqtts:', 'ssl:', 'tls:']);

/** Creates a client for `url` (not yet connecting when `options.manualConnect` is set). */
export async function connectMqtt(url: string, options: IClientOptions, tls?: MqttTlsOptions): Promise<MqttClient> {
  const parsed = new URL(url);
  const secure = tlsSchemes.has(parsed.protocol);
  if (!secure && !tcpSchemes.has(parsed.protocol)) {
    const { default: mqtt } = await import('mqtt');
    return mqtt.connect(url, { ...options, ...(tls ? { ...tls, rejectUnauthorized: true } : {}) });
  }
  // WHATWG URL keeps the brackets of an IPv6 literal; net and tls want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = Number(parsed.port) || (secure ? 8883 : 1883);
  const credentials = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : {};
  const MqttClientClass = clientModule.default;
  // Node's TLS stack is loaded only for a TLS broker: the simulation and a plain-TCP broker never need it.
  const tlsConnect = secure ? (await import('node:tls')).connect : undefined;
  // TCP_NODELAY: a PUBLISH or PUBACK is a few hundred bytes; Nagle's algorithm would hold each one
  // back for the previous one's TCP ACK (delayed up to 40 ms on Linux), which halves a windowed drain.
  return new MqttClientClass(
    (client) => (tlsConnect ? tlsStream(client, tlsConnect, { host, port, ...tls }) : createConnection({ host, port }).setNoDelay(true)),
    { ...options, ...credentials, protocol: secure ? 'mqtts' : 'mqtt', host, port },
  );
}

/**
 * As mqtt.js's `connect/tls`: the server name for SNI and verification unless the host is an
 * address, certificate verification on, and a handshake failure reported on the client (the
 * socket's own error is not seen by mqtt.js before it is connected).
 */
function tlsStream(client: MqttClient, tlsConnect: typeof import('node:tls').connect, options: ConnectionOptions & { host: string; port: number }): TLSSocket {
  const socket = tlsConnect({ ...options, ...(isIP(options.host) === 0 ? { servername: options.host } : {}), rejectUnauthorized: true });
  socket.setNoDelay(true);
  const onHandshakeError = (err: Error) => {
    client.emit('error', err);
    socket.end();
  };
  socket.on('secureConnect', () => {
    if (!socket.authorized) socket.emit('error', new Error('TLS not authorized'));
    else socket.removeListener('error', onHandshakeError);
  });
  socket.on('error', onHandshakeError);
  return socket;
}
