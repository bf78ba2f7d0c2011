/**
 * Installing a checked release side by side, the Mender/balena idea at application level:
 *
 *   {releasesDir}/1.3.0/         the running release
 *   {releasesDir}/.1.4.0.partial/ being copied; never run, removed by the next install
 *   {releasesDir}/1.4.0/         complete: every file's size and SHA-256 matched the signed manifest,
 *                                each file and folder fsynced, then renamed into place
 *   {releasesDir}/current ->1.4.0 the symlink the unit starts; replaced by rename(2), so a power cut
 *                                leaves it naming the old or the new release, never neither
 *
 * `updates.json` beside them (durable write) says which switch is on trial: the release is
 * committed only when the station proves healthy; after `maxStarts` starts without that, or when the
 * deadline passed, `current` goes back to the previous release.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readlink, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir, writeFileDurable } from '../../kernel/durable-file.js';
import { StationError } from '../../kernel/errors.js';
import type { ReleaseManifest } from './release-bundle.js';

/** Copies one file, hashing what it reads; fsyncs the copy. Throws when size or digest differ. */
async function copyChecked(from: string, to: string, expected: { size: number; sha256: string }, path: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const hash = createHash('sha256');
  const out = await open(to, 'wx', 0o644);
  let size = 0;
  try {
    for await (const chunk of createReadStream(from)) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      if (size > expected.size) break;
      hash.update(bytes);
      await out.write(bytes);
    }
    if (size !== expected.size) throw new StationError('UPDATE_REFUSED', `${path}: ${size > expected.size ? 'larger' : 'smaller'} than the signed manifest says (${expected.size} bytes)`);
    const digest = hash.digest('hex');
    if (digest !== expected.sha256) throw new StationError('UPDATE_REFUSED', `${path}: SHA-256 ${digest.slice(0, 12)}… is not the signed ${expected.sha256.slice(0, 12)}…`);
    await out.sync();
  } finally {
    await out.close();
  }
}

/** Folders of a release tree, deepest first, for fsync after the files. */
function foldersOf(root: string, files: readonly { path: string }[]): string[] {
  const dirs = new Set<string>([root]);
  for (const f of files) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(join(root, ...parts.slice(0, i)));
  }
  return [...dirs].sort((a, b) => b.length - a.length);
}

/**
 * Copies a checked release from `sourceDir` into `{releasesDir}/{version}`. A release already there
 * is kept as it is; a `.partial` left by a power cut is removed first. Nothing runs from it yet.
 */
export async function installRelease(sourceDir: string, releasesDir: string, manifest: ReleaseManifest): Promise<string> {
  const target = join(releasesDir, manifest.version);
  await mkdir(releasesDir, { recursive: true, mode: 0o755 });
  if (await stat(target).then(() => true, () => false)) return target;
  for (const entry of await readdir(releasesDir)) {
    if (entry.startsWith('.') && entry.endsWith('.partial')) await rm(join(releasesDir, entry), { recursive: true, force: true });
  }
  const partial = join(releasesDir, `.${manifest.version}.partial`);
  await mkdir(partial);
  try {
    for (const f of manifest.files) await copyChecked(join(sourceDir, f.path), join(partial, f.path), f, f.path);
    for (const dir of foldersOf(partial, manifest.files)) await fsyncDir(dir);
    await writeFileDurable(join(partial, 'manifest.json'), JSON.stringify(manifest) + '\n', 0o644);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  await rename(partial, target);
  await fsyncDir(releasesDir);
  return target;
}

/** The release `current` names, or undefined when there is none. */
export async function currentRelease(releasesDir: string): Promise<string | undefined> {
  try {
    return await readlink(join(releasesDir, 'current'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Points `current` at a release with one rename(2): the old or the new target, never neither. */
export async function switchRelease(releasesDir: string, version: string): Promise<void> {
  if (!(await stat(join(releasesDir, version)).then((s) => s.isDirectory(), () => false))) {
    throw new StationError('UPDATE_REFUSED', `release ${version} is not installed`);
  }
  const tmp = join(releasesDir, '.current.tmp');
  await rm(tmp, { force: true });
  await symlink(version, tmp);
  await rename(tmp, join(releasesDir, 'current'));
  await fsyncDir(releasesDir);
}

/** Which switch is on trial, kept in `{releasesDir}/updates.json`. */
export interface UpdateTrial {
  version: string;
  previous: string;
  /** Starts of `version` so far. */
  starts: number;
  /** Clock ms by which it must be healthy. */
  deadline: number;
}

export interface UpdateState {
  trial: UpdateTrial | null;
  /** The last outcome, for central and the technician. */
  last: { version: string; outcome: 'committed' | 'rolled-back'; reason?: string; at: number } | null;
}

const stateFile = (releasesDir: string) => join(releasesDir, 'updates.json');

export async function readUpdateState(releasesDir: string): Promise<UpdateState> {
  try {
    const value = JSON.parse(await readFile(stateFile(releasesDir), 'utf8')) as UpdateState;
    return { trial: value.trial ?? null, last: value.last ?? null };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { trial: null, last: null };
    throw err;
  }
}

async function writeUpdateState(releasesDir: string, state: UpdateState): Promise<void> {
  await writeFileDurable(stateFile(releasesDir), JSON.stringify(state) + '\n', 0o644);
}

/** Puts an installed release on trial: the trial is written before `current` moves. */
export async function trySwitch(releasesDir: string, version: string, options: { now: number; healthyWithinMs: number }): Promise<void> {
  const previous = await currentRelease(releasesDir);
  if (!previous) throw new StationError('UPDATE_REFUSED', 'no current release to come back to');
  if (previous === version) throw new StationError('UPDATE_REFUSED', `release ${version} already runs`);
  const state = await readUpdateState(releasesDir);
  await writeUpdateState(releasesDir, { ...state, trial: { version, previous, starts: 0, deadline: options.now + options.healthyWithinMs } });
  await switchRelease(releasesDir, version);
}

export type StartDecision = { action: 'run' } | { action: 'rolled-back'; to: string; reason: string };

/**
 * Called at each start of `runningVersion`, before anything else: counts the start of a release on
 * trial, and goes back to the previous release when it started `maxStarts` times (crashes, watchdog
 * resets) or its deadline passed without a commit. The caller exits for systemd to start `current`.
 */
export async function onStart(releasesDir: string, runningVersion: string, options: { now: number; maxStarts: number }): Promise<StartDecision> {
  const state = await readUpdateState(releasesDir);
  const trial = state.trial;
  if (!trial || trial.version !== runningVersion) return { action: 'run' };
  const starts = trial.starts + 1;
  const reason = starts > options.maxStarts ? `started ${trial.starts} times without becoming healthy` : options.now > trial.deadline ? 'not healthy by its deadline' : undefined;
  if (reason) return rollBack(releasesDir, state, reason, options.now);
  await writeUpdateState(releasesDir, { ...state, trial: { ...trial, starts } });
  return { action: 'run' };
}

/** The release on trial proved healthy (ready, link and display up): it stays. */
export async function commitTrial(releasesDir: string, runningVersion: string, now: number): Promise<boolean> {
  const state = await readUpdateState(releasesDir);
  if (state.trial?.version !== runningVersion) return false;
  await writeUpdateState(releasesDir, { trial: null, last: { version: runningVersion, outcome: 'committed', at: now } });
  return true;
}

/** The deadline passed while running: back to the previous release. */
export async function rollBackTrial(releasesDir: string, reason: string, now: number): Promise<StartDecision> {
  const state = await readUpdateState(releasesDir);
  if (!state.trial) return { action: 'run' };
  return rollBack(releasesDir, state, reason, now);
}

async function rollBack(releasesDir: string, state: UpdateState, reason: string, now: number): Promise<StartDecision> {
  const trial = state.trial!;
  await switchRelease(releasesDir, trial.previous);
  await writeUpdateState(releasesDir, { trial: null, last: { version: trial.version, outcome: 'rolled-back', reason, at: now } });
  return { action: 'rolled-back', to: trial.previous, reason };
}
