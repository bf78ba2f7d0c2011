/** Run as a child by release.test.ts, which kills it with SIGKILL mid-install (a power cut). */
import { readFileSync } from 'node:fs';
import { installRelease, switchRelease } from '../../../../runtime/platform/updates/release-install.js';

const [source, releases, manifestFile] = process.argv.slice(2) as [string, string, string];
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
await installRelease(source, releases, manifest);
await switchRelease(releases, manifest.version);
