/**
 * A staged software rollout over a simulated fleet, with the station's real release code
 * (runtime/platform/updates/): every station has its own releases folder, installs the signed
 * release, switches on trial, and commits it or rolls back by itself. Central offers a release to a
 * share of the fleet at a time and goes on only when that stage committed with no rollback; one
 * rollback halts the rollout, and the stations still on trial roll back by their own rule.
 *
 *   npm run fleet-rollout -- [--stations 100] [--seed 7] [--bad-share 0.3]
 *
 * Release 1.1.0 is good; 1.2.0 crashes at start on the boards of one hardware revision (`--bad-share`
 * of the fleet), as a release built against the wrong display driver would.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { checkRelease } from '../runtime/platform/updates/release-bundle.js';
import { commitTrial, currentRelease, installRelease, onStart, switchRelease, trySwitch } from '../runtime/platform/updates/release-install.js';

export interface RolloutOptions {
  stations: number;
  seed: number;
  /** Share of the fleet on which the bad release crashes at start. */
  badShare: number;
  /** Cumulative shares of the fleet offered a release, stage by stage. */
  stages?: number[];
  /** Starts a release on trial may take before its station rolls back. */
  maxStarts?: number;
}

export interface StageReport {
  release: string;
  stage: number;
  offered: number;
  committed: number;
  rolledBack: number;
  /** Stations that had committed the release (in this or an earlier stage) and central sent back when the stage halted. */
  revertedByCentral: number;
}

export interface RolloutReport {
  stages: StageReport[];
  /** Per release: halted at which stage, or completed. */
  outcome: Record<string, { halted: boolean; atStage: number }>;
  /** Stations per release in `current` at the end. */
  running: Record<string, number>;
}

/** mulberry32: a small seeded generator, so a run can be repeated. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildRelease(root: string, version: string, key: KeyObject): string {
  const dir = join(root, `bundle-${version}`);
  mkdirSync(join(dir, 'dist', 'bundle'), { recursive: true });
  const body = `// citizen-station ${version}\n`;
  writeFileSync(join(dir, 'dist', 'bundle', 'station.cjs'), body);
  const manifest = JSON.stringify({ version, createdAt: new Date(0).toISOString(), files: [{ path: 'dist/bundle/station.cjs', size: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') }] });
  writeFileSync(join(dir, 'release.json'), JSON.stringify({ manifest, keyId: 'central-release-1', signature: sign(null, Buffer.from(manifest), key).toString('base64') }));
  return dir;
}

export async function simulateRollout(options: RolloutOptions): Promise<RolloutReport> {
  const rand = random(options.seed);
  const stages = options.stages ?? [0.05, 0.25, 1];
  const maxStarts = options.maxStarts ?? 3;
  const root = mkdtempSync(join(tmpdir(), 'fleet-rollout-'));
  try {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keys = new Map([['central-release-1', publicKey]]);
    const base = buildRelease(root, '1.0.0', privateKey);
    const fleet = Array.from({ length: options.stations }, (_, i) => ({ id: `hcm-st-${String(i + 1).padStart(3, '0')}`, dir: join(root, `station-${i}`), badBoard: rand() < options.badShare }));
    const baseCheck = await checkRelease(base, keys);
    if (!baseCheck.ok) throw new Error(baseCheck.message);
    for (const s of fleet) {
      await installRelease(base, s.dir, baseCheck.manifest);
      await switchRelease(s.dir, '1.0.0');
    }
    // The order central offers a release in: shuffled once, so a stage is a sample of the fleet.
    const order = [...fleet].sort(() => rand() - 0.5);
    const report: RolloutReport = { stages: [], outcome: {}, running: {} };
    let now = 0;
    const previousOf = new Map<string, string>();
    for (const [version, crashesOn] of [['1.1.0', () => false], ['1.2.0', (s: (typeof fleet)[number]) => s.badBoard]] as const) {
      const bundle = buildRelease(root, version, privateKey);
      const checked = await checkRelease(bundle, keys);
      if (!checked.ok) throw new Error(checked.message);
      let offeredSoFar = 0;
      // Every station of this release's earlier stages too: a halt sends them all back.
      const committed: typeof fleet = [];
      report.outcome[version] = { halted: false, atStage: stages.length };
      for (const [index, share] of stages.entries()) {
        const upTo = Math.round(share * fleet.length);
        const batch = order.slice(offeredSoFar, upTo);
        offeredSoFar = upTo;
        const stage: StageReport = { release: version, stage: index + 1, offered: batch.length, committed: 0, rolledBack: 0, revertedByCentral: 0 };
        for (const s of batch) {
          previousOf.set(s.id, (await currentRelease(s.dir))!);
          await installRelease(bundle, s.dir, checked.manifest);
          await trySwitch(s.dir, version, { now, healthyWithinMs: 300_000 });
          // The unit starts `current` until it is healthy or rolled back (Restart=on-failure).
          for (;;) {
            const running = (await currentRelease(s.dir))!;
            const decision = await onStart(s.dir, running, { now, maxStarts });
            if (decision.action === 'rolled-back') {
              stage.rolledBack++;
              break;
            }
            if (running === version && !crashesOn(s)) {
              await commitTrial(s.dir, version, now);
              stage.committed++;
              committed.push(s);
              break;
            }
            now += 5_000;
          }
        }
        report.stages.push(stage);
        now += 3_600_000;
        if (stage.rolledBack > 0) {
          // Halted: the stations where it did start go back to the release before it, on trial like
          // any switch, so the fleet runs one release again.
          for (const s of committed) {
            const previous = previousOf.get(s.id)!;
            await trySwitch(s.dir, previous, { now, healthyWithinMs: 300_000 });
            await onStart(s.dir, previous, { now, maxStarts });
            await commitTrial(s.dir, previous, now);
            stage.revertedByCentral++;
          }
          report.outcome[version] = { halted: true, atStage: index + 1 };
          break;
        }
      }
    }
    for (const s of fleet) {
      const running = (await currentRelease(s.dir))!;
      report.running[running] = (report.running[running] ?? 0) + 1;
    }
    return report;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stations: { type: 'string' }, seed: { type: 'string' }, 'bad-share': { type: 'string' } } });
  const options = { stations: Number(values.stations ?? 100), seed: Number(values.seed ?? 7), badShare: Number(values['bad-share'] ?? 0.3) };
  const started = performance.now();
  const report = await simulateRollout(options);
  console.log(`fleet rollout: ${options.stations} stations, seed ${options.seed}, 1.2.0 crashes on ${Math.round(options.badShare * 100)} % of boards`);
  console.log('release  stage  offered  committed  rolled back  sent back by central');
  for (const s of report.stages) console.log(`${s.release.padEnd(8)} ${String(s.stage).padStart(5)}  ${String(s.offered).padStart(7)}  ${String(s.committed).padStart(9)}  ${String(s.rolledBack).padStart(11)}  ${String(s.revertedByCentral).padStart(20)}`);
  for (const [version, o] of Object.entries(report.outcome)) console.log(`${version}: ${o.halted ? `HALTED at stage ${o.atStage}` : 'completed'}`);
  console.log(`running at the end: ${Object.entries(report.running).map(([v, n]) => `${v} on ${n}`).join(', ')}`);
  console.log(`(${Math.round(performance.now() - started)} ms)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
