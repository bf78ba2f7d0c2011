/**
 * `npm run bench:boot`: start-to-ready time and idle RSS of the station in simulation against
 * Node-RED 4 headless with a comparable flow (MQTT in wired to MQTT out), both on the same external
 * mosquitto, with bare `node -e 0` as the floor. The station runs with the node flags of its systemd
 * unit, as it ships. Node-RED (a pinned 4.x release, so its footprint does not drift between runs)
 * is installed into a temporary folder by this script, never as a dependency. Prints medians of the
 * runs and the ratios.
 *
 * `--port N` puts mosquitto on N (127.0.0.1; default a free port). Whatever happens (a failed run,
 * Ctrl-C, SIGTERM) the station, Node-RED and mosquitto it started are stopped and the script exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalMosquitto } from './local-mosquitto.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, idle: { type: 'string', default: '10' }, port: { type: 'string' } } });
const runs = Number(values.runs);
const idleS = Number(values.idle);
const brokerPort = values.port === undefined ? undefined : Number(values.port);
if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs must be a whole number of at least 5, got ${values.runs}`);
if (!(idleS >= 0)) throw new Error(`--idle must be seconds, got ${values.idle}`);
if (brokerPort !== undefined && !(Number.isInteger(brokerPort) && brokerPort > 0 && brokerPort < 65536)) throw new Error(`--port must be a TCP port, got ${values.port}`);
/** The Node-RED release compared against; its RSS moved from 91 to 112 MB across 4.x, so it is pinned. */
const nodeRedVersion = '4.1.8';

/** Everything this script started, stopped on every way out. */
const running = new Set<ChildProcess>();
let brokerToDispose: { dispose(): Promise<void> } | undefined;
async function cleanup(): Promise<void> {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
  const broker = brokerToDispose;
  brokerToDispose = undefined;
  await broker?.dispose();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}
const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'bundle', 'station.cjs');
/** The node flags the station ships with: those of the daemon unit's ExecStart (npm start uses them too). */
const stationNodeFlags = (() => {
  const unit = readFileSync(join(root, 'config', 'systemd', 'citizen-station.service'), 'utf8');
  const execStart = /^ExecStart=\/usr\/bin\/node ((?:--[a-z-]+=\S+ )*)\S*station\.cjs /m.exec(unit);
  if (!execStart) throw new Error('config/systemd/citizen-station.service: ExecStart does not run node on the launcher');
  return execStart[1]!.split(' ').filter(Boolean);
})();

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns a process and resolves when every pattern has appeared in its output. */
async function timeToReady(cmd: string, args: string[], patterns: RegExp[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ms: number; child: ChildProcess }> {
  const began = process.hrtime.bigint();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  return new Promise((res, rej) => {
    const check = () => {
      if (patterns.every((p) => p.test(out))) {
        child.stdout!.removeAllListeners('data');
        child.stderr!.removeAllListeners('data');
        child.stdout!.resume();
        child.stderr!.resume();
        res({ ms: Number(process.hrtime.bigint() - began) / 1e6, child });
      }
    };
    child.stdout!.on('data', (d) => ((out += d), check()));
    child.stderr!.on('data', (d) => ((out += d), check()));
    child.once('exit', (code) => rej(new Error(`${cmd} ${args.join(' ')} exited ${code} before ready:\n${out.slice(-2000)}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-boot-'));
  const broker = await startLocalMosquitto(brokerPort === undefined ? {} : { port: brokerPort });
  brokerToDispose = broker;
  const { port, url: brokerUrl } = broker;

  const nodeRedDir = join(tmpdir(), `citizen-station-bench-node-red-${nodeRedVersion}`);
  if (!existsSync(join(nodeRedDir, 'node_modules', 'node-red'))) {
    mkdirSync(nodeRedDir, { recursive: true });
    process.stderr.write(`installing node-red@${nodeRedVersion} into a temporary folder…\n`);
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', nodeRedDir, `node-red@${nodeRedVersion}`], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm install node-red failed');
  }
  const installed = JSON.parse(readFileSync(join(nodeRedDir, 'node_modules', 'node-red', 'package.json'), 'utf8')) as { version: string };
  if (installed.version !== nodeRedVersion) throw new Error(`${nodeRedDir} holds node-red ${installed.version}, not the pinned ${nodeRedVersion}`);
  const userDir = join(work, 'node-red');
  mkdirSync(userDir);
  const flows = [
    { id: 'tab1', type: 'tab', label: 'bench' },
    { id: 'broker1', type: 'mqtt-broker', broker: '127.0.0.1', port: String(port), clientid: '', protocolVersion: '5', keepalive: '30', cleansession: true },
    { id: 'in1', type: 'mqtt in', z: 'tab1', topic: 'cds/v1/bench/in', qos: '1', broker: 'broker1', wires: [['out1']] },
    { id: 'out1', type: 'mqtt out', z: 'tab1', topic: 'cds/v1/bench/out', qos: '1', broker: 'broker1', wires: [] },
  ];
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  writeFileSync(join(userDir, 'settings.js'), `module.exports = { flowFile: 'flows.json', uiPort: 0, httpAdminRoot: false, httpNodeRoot: false, logging: { console: { level: 'info' } }, credentialSecret: 'bench' };\n`);
  const nodeRedBin = join(nodeRedDir, 'node_modules', 'node-red', 'red.js');

  const stationConfig = JSON.parse(readFileSync(join(root, 'config', 'sim.json'), 'utf8'));
  stationConfig.centralSim = { enabled: false };
  stationConfig.display = { ...stationConfig.display, port: 0 };
  stationConfig.logging = { level: 'info' };
  stationConfig.mqtt.protocolVersion = 5;
  const stationConfigFile = join(work, 'station.json');
  writeFileSync(stationConfigFile, JSON.stringify(stationConfig));

  const results: Record<string, { ms: number[]; rss: number[] }> = { node: { ms: [], rss: [] }, station: { ms: [], rss: [] }, nodeRed: { ms: [], rss: [] } };
  const stationEnv = { CACHE_DIRECTORY: join(work, 'cache') };
  const startStation = () =>
    timeToReady(process.execPath, [...stationNodeFlags, cli, 'start', '--config', stationConfigFile, '--data', mkdtempSync(join(work, 'station-')), '--broker', brokerUrl], [/ ready; control socket /, /"msg":"link connected"/], { env: stationEnv });
  const startNodeRed = () => timeToReady(process.execPath, [nodeRedBin, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], [/Started flows/, /Connected to broker/]);

  // One start of each before measuring: the station writes its code cache a few seconds after
  // its first start of a build, as on the board; both installations are read from disk once.
  const warmStation = await startStation();
  await sleep(4000);
  await stop(warmStation.child);
  await stop((await startNodeRed()).child);

  for (let i = 0; i < runs; i++) {
    const began = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    results.node!.ms.push(Number(process.hrtime.bigint() - began) / 1e6);
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1e9)'], { stdio: 'ignore' });
    running.add(idle);
    await sleep(300);
    results.node!.rss.push(rssMb(idle.pid!));
    idle.kill('SIGKILL');

    const st = await startStation();
    results.station!.ms.push(st.ms);
    await sleep(idleS * 1000);
    results.station!.rss.push(rssMb(st.child.pid!));
    await stop(st.child);

    const nr = await startNodeRed();
    results.nodeRed!.ms.push(nr.ms);
    await sleep(idleS * 1000);
    results.nodeRed!.rss.push(rssMb(nr.child.pid!));
    await stop(nr.child);
    process.stderr.write(`run ${i + 1}/${runs} done\n`);
  }
  await cleanup();

  const spread = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;
  const row = (name: string, r: { ms: number[]; rss: number[] }) =>
    `${name.padEnd(28)} ${median(r.ms).toFixed(0).padStart(8)} ms ${median(r.rss).toFixed(1).padStart(8)} MB   ${spread(r.ms, 0).padStart(9)} ms ${spread(r.rss, 1).padStart(11)} MB`;
  const st = results.station!;
  const nr = results.nodeRed!;
  console.log(`boot benchmark: medians of ${runs} runs, RSS after ${idleS} s idle, same mosquitto ${brokerUrl}`);
  console.log(`station started as the unit starts it: node ${[...stationNodeFlags, 'dist/bundle/station.cjs'].join(' ')}, its code cache in a fresh CACHE_DIRECTORY`);
  console.log(`each process started once before the measured runs (not counted): the station's code cache written, both installs read from disk once`);
  console.log(`${'process'.padEnd(28)} ${'ready'.padStart(11)} ${'RSS'.padStart(11)}   ${'ready, min-max'.padStart(17)} ${'RSS, min-max'.padStart(14)}`);
  console.log(row('node -e 0', results.node!));
  console.log(row('station (sim, --broker)', st));
  console.log(row(`node-red ${nodeRedVersion} (mqtt in -> out)`, nr));
  console.log(`ratio station / node-red: ready ${(median(st.ms) / median(nr.ms)).toFixed(2)}x (target <= 0.30x), RSS ${(median(st.rss) / median(nr.rss)).toFixed(2)}x (target <= 0.70x)`);
}

main().catch(async (err) => {
  console.error(err);
  await cleanup();
  // A failed run must not linger on a half-open child's pipe or a timer: leave now.
  process.exit(1);
});
