/**
 * The composition root. The only module that reads the environment, installs signal handlers,
 * chooses real or simulated hardware per device, and exits the process.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { systemClock } from './kernel/clock.js';
import { loadConfig, type StationConfig } from './config/config.js';
import { redactedPaths } from './kernel/logger.js';
import { LogBuffer } from './platform/log-buffer.js';
import { findInstallPaths } from './platform/install-paths.js';
import { createStation, type CentralSimStarter } from './station/station.js';
import { SystemdNotifier, unixDatagramSender } from './platform/sd-notify.js';
import { isStationError } from './kernel/errors.js';
import type { RealTransports } from '../drivers/station-devices.js';

/** What only the development entry (scripts/dev-station.ts) hands the daemon; the product has none of it. */
export interface DevelopmentTools {
  startCentralSim?: CentralSimStarter;
}

/** How the daemon was started, reported in its ready line. */
export interface StartInfo extends DevelopmentTools {
  /** How the launcher compiled the daemon bundle (runtime/platform/code-cache.ts): `hit` unless this build just arrived. */
  codeCache?: string;
}

export interface DaemonOptions {
  configFile: string;
  /** Overrides `dataDir` (tests, several stations on one machine). */
  dataDir?: string;
  /** Overrides `mqtt.url` and turns the embedded broker off. */
  brokerUrl?: string;
}

function applyOverrides(config: StationConfig, options: DaemonOptions): StationConfig {
  const next: StationConfig = { ...config, dataDir: resolve(options.dataDir ?? config.dataDir) };
  if (options.brokerUrl) {
    next.mqtt = { ...config.mqtt, url: options.brokerUrl, embeddedBroker: { ...config.mqtt.embeddedBroker, enabled: false } };
  }
  return next;
}

/**
 * Openers of the real transports, loaded only when a device in the config is `real`, so a
 * simulation never loads i2c-bus, serialport's bindings or onoff.
 */
async function realTransports(config: StationConfig): Promise<RealTransports> {
  const real = Object.values(config.devices).filter((d) => d && d.enabled !== false && d.mode === 'real');
  if (real.length === 0) return {};
  const [{ openRealI2cBus }, { createRealSerialLink }, { createRealGpio }] = await Promise.all([
    import('../drivers/transports/i2c-real.js'),
    import('../drivers/transports/serial-real.js'),
    import('../drivers/transports/gpio-real.js'),
  ]);
  return { openI2c: openRealI2cBus, openSerial: createRealSerialLink, openGpio: () => createRealGpio() };
}

/** Exit status after central's `restart` command; the unit's RestartForceExitStatus starts the daemon again. */
const exitForRestart = 75;

/** `station start --config FILE [--data DIR] [--broker URL]`: the daemon's exit code. */
export async function runDaemonCommand(args: string[], io: { stderr: (s: string) => void }, info: StartInfo = {}): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, data: { type: 'string' }, broker: { type: 'string' } } });
  if (!values.config) {
    io.stderr('station start: --config FILE is required\n');
    return 2;
  }
  return runDaemon({ configFile: values.config, dataDir: values.data, brokerUrl: values.broker }, info);
}

/** Runs the daemon until SIGTERM/SIGINT; resolves with the exit code. */
export async function runDaemon(options: DaemonOptions, info: StartInfo = {}): Promise<number> {
  let config: StationConfig;
  try {
    config = applyOverrides(loadConfig(options.configFile), options);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }

  // Where this installation is, found once here from this module's own place (sources, dist/ or the bundle).
  const paths = findInstallPaths(import.meta.url);
  const logBuffer = new LogBuffer(config.logging.bufferLines);
  const logger = pino(
    { level: config.logging.level, base: undefined, redact: { paths: redactedPaths, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.multistream([{ stream: pino.destination({ fd: 1, sync: false }), level: config.logging.level as pino.Level }, { stream: logBuffer, level: 'trace' }]),
  );

  let resolveExit!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (resolveExit = resolve));
  const station = createStation({
    config,
    configFile: resolve(options.configFile),
    clock: systemClock,
    logger,
    logBuffer,
    version: paths.version,
    paths,
    transports: await realTransports(config),
    // A simulated scale or height rod has been streaming since some unknown moment, as on a real stand.
    simStreamPhase: Math.random,
    requestRestart: () => void shutdown('restart command').then(() => resolveExit(exitForRestart)),
    ...(info.startCentralSim ? { startCentralSim: info.startCentralSim } : {}),
  });

  const notifySocket = process.env.NOTIFY_SOCKET;
  const sender = notifySocket ? unixDatagramSender(notifySocket, systemClock) : undefined;
  const watchdogUsec = Number(process.env.WATCHDOG_USEC) || undefined;
  const notifier = sender
    ? new SystemdNotifier({ send: sender.send, clock: systemClock, watchdogUsec, isHealthy: () => station.healthy() })
    : undefined;

  let stopping: Promise<number> | undefined;
  const shutdown = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      logger.info({ component: 'station', signal }, 'stopping');
      notifier?.stopping();
      await station.stop();
      logger.info({ component: 'station' }, 'stopped');
      logger.flush();
      await sender?.close();
      return 0;
    })();
    return stopping;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal).then(resolveExit));
  }

  try {
    await station.start();
  } catch (err) {
    logger.fatal({ component: 'station', err: (err as Error).message, code: isStationError(err) ? err.code : undefined }, 'station failed to start');
    logger.flush();
    await sender?.close();
    return 1;
  }
  const summary = `station ${config.station.id} ready; control socket ${station.socketPath}`;
  const where = [
    `  data       ${config.dataDir}`,
    `  broker     ${station.brokerUrl() ? `${station.brokerUrl()} (embedded, MQTT 3.1.1)` : config.mqtt.url}`,
    ...(config.centralSim.enabled && info.startCentralSim ? ['  central    simulator on the same broker'] : []),
    `  display    ${station.displayUrl() ?? 'off'}`,
    `  control    ${station.socketPath}  (station status --socket ${station.socketPath})`,
  ];
  const codeCache = info.codeCache ?? 'none';
  logger.info({ component: 'station', socket: station.socketPath, dataDir: config.dataDir, display: station.displayUrl(), broker: station.brokerUrl() ?? config.mqtt.url, codeCache }, 'ready');
  process.stderr.write(`${summary}\n${where.join('\n')}\n`);
  notifier?.ready(summary);
  return stopped;
}
