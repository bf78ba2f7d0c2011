/**
 * A real mosquitto (/usr/sbin/mosquitto) on a free 127.0.0.1 port with a generated config, for the
 * tests (test/fakes/mosquitto.ts) and the benchmarks. The TLS variant generates a CA, a server certificate and one client certificate per name
 * with the `openssl` CLI at test time, and applies an ACL file (config/mosquitto/acl.template).
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** TLS with require_certificate and use_identity_as_username; certificates made for `clients`. */
  tls?: boolean;
  /** Certificate common names to issue (TLS only), e.g. station ids and `central`. */
  clients?: string[];
  /** ACL file text; `%u` patterns apply to the certificate identity. */
  acl?: string;
  /** Extra mosquitto.conf lines. */
  extra?: string[];
  /**
   * Run the configuration we ship (config/mosquitto/mosquitto.conf and acl.template) with only its
   * paths, port and logging replaced, so a test attacks exactly what central deploys. Implies TLS.
   */
  shipped?: boolean;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
}

export interface ClientCert {
  ca: string;
  cert: string;
  key: string;
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The repository's config/mosquitto/{name}, from scripts/ (sources) or dist/scripts/ (compiled). */
export function shippedMosquittoFile(name: string): string {
  for (const up of ['..', '../..']) {
    const candidate = fileURLToPath(new URL(`${up}/config/mosquitto/${name}`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`config/mosquitto/${name} not found beside ${fileURLToPath(import.meta.url)}`);
}

/** The shipped mosquitto.conf with this test broker's port, certificate paths, ACL and log. */
export function renderShippedConfig(text: string, dir: string, port: number): string[] {
  const replaced: Record<string, string> = {
    listener: `listener ${port} 127.0.0.1`,
    cafile: `cafile ${join(dir, 'ca.crt')}`,
    certfile: `certfile ${join(dir, 'server.crt')}`,
    keyfile: `keyfile ${join(dir, 'server.key')}`,
    acl_file: `acl_file ${join(dir, 'acl')}`,
    // The broker drops to the mosquitto user, which cannot write the test folder; nothing here needs a restart.
    persistence: 'persistence false',
    persistence_location: `persistence_location ${dir}/`,
    log_dest: 'log_dest stdout',
  };
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => replaced[l.split(/\s+/)[0]!] ?? l);
  return [...lines, 'log_type information'];
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

export class Mosquitto {
  readonly dir: string;
  readonly port: number;
  readonly options: MosquittoOptions;
  private child: ChildProcess | null = null;
  /** Everything mosquitto logged, for assertions and failure messages. */
  log = '';

  constructor(dir: string, port: number, options: MosquittoOptions) {
    this.dir = dir;
    this.port = port;
    this.options = options;
  }

  /** The broker's process id while it runs (for CPU figures), else undefined. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  get url(): string {
    return `${this.options.tls || this.options.shipped ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  /** PEM file paths for a client issued at start (TLS only). */
  client(name: string): { caFile: string; certFile: string; keyFile: string } {
    return { caFile: join(this.dir, 'ca.crt'), certFile: join(this.dir, `${name}.crt`), keyFile: join(this.dir, `${name}.key`) };
  }

  async clientPem(name: string): Promise<ClientCert> {
    const f = this.client(name);
    return { ca: await readFile(f.caFile, 'utf8'), cert: await readFile(f.certFile, 'utf8'), key: await readFile(f.keyFile, 'utf8') };
  }

  async writeConfig(): Promise<void> {
    const lines = [
      `listener ${this.port} 127.0.0.1`,
      'persistence false',
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'max_queued_messages 200000',
      'max_inflight_messages 0',
    ];
    if (this.options.tls || this.options.shipped) {
      const d = this.dir;
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=cds-test-ca'], d);
      const issue = (name: string, ext?: string) => {
        openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], d);
        openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2',
          ...(ext ? ['-extfile', ext] : [])], d);
      };
      await writeFile(join(d, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      issue('server', 'server.ext');
      for (const c of this.options.clients ?? []) issue(c);
      if (this.options.shipped) {
        lines.splice(0, lines.length, ...renderShippedConfig(await readFile(shippedMosquittoFile('mosquitto.conf'), 'utf8'), d, this.port));
        await writeFile(join(this.dir, 'acl'), this.options.acl ?? await readFile(shippedMosquittoFile('acl.template'), 'utf8'));
      } else {
        lines.push(
          `cafile ${join(d, 'ca.crt')}`, `certfile ${join(d, 'server.crt')}`, `keyfile ${join(d, 'server.key')}`,
          'require_certificate true', 'use_identity_as_username true',
        );
      }
    } else {
      lines.push('allow_anonymous true');
    }
    if (this.options.acl !== undefined && !this.options.shipped) {
      await writeFile(join(this.dir, 'acl'), this.options.acl);
      lines.push(`acl_file ${join(this.dir, 'acl')}`);
    }
    lines.push(...(this.options.extra ?? []));
    await writeFile(join(this.dir, 'mosquitto.conf'), lines.join('\n') + '\n');
    // Started as root, mosquitto drops to the `mosquitto` user: it must be able to read these files.
    await chmod(this.dir, 0o755);
    for (const f of await readdir(this.dir)) await chmod(join(this.dir, f), 0o644);
  }

  /**
   * Starts mosquitto and resolves once its port accepts connections (its log goes to a pipe, where
   * stdio is block-buffered, so the "running" line cannot be waited for).
   */
  async start(): Promise<void> {
    const child = spawn(MOSQUITTO_BIN, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const onData = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-65536);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exited) throw new Error(`mosquitto exited at start: ${this.log}`);
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect(this.port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not open port ${this.port}: ${this.log}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** kill -9: no goodbye to clients, no will suppression. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }
}

/** Starts a mosquitto in a fresh temporary folder; `dispose()` stops it and removes the folder. */
export async function startLocalMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cds-mosquitto-'));
  const broker = new Mosquitto(dir, options.port ?? (await freePort()), options);
  await broker.writeConfig();
  await broker.start();
  return Object.assign(broker, {
    dispose: async () => {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}
