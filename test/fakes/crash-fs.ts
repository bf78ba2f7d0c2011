/**
 * An in-memory JournalFs that knows what is on the medium and what is only in the page cache, in
 * the manner of SQLite's crash VFS (https://www.sqlite.org/testing.html#crash_testing):
 * - a file's writes and truncates stay pending until fdatasync of that file;
 * - a new, renamed or removed name stays pending until fsync of its directory;
 * - `crashImages()` of a snapshot lists the disks a power cut could leave: the synced state, any
 *   prefix of the pending operations of one file (an unsynced suffix dropped), all of them but one
 *   (writes reordered), a pending write torn at a 512-byte sector boundary (its first or its last
 *   sectors reached the medium), and each of these with the pending directory entries applied.
 * It also injects the failures of a real disk: a capacity (writes past it write what fits, then fail
 * with ENOSPC, as tmpfs does), and one-shot faults (EIO on a write or fdatasync, a short write).
 */
import type { JournalFile, JournalFs } from '../../runtime/link/journal-fs.js';

type PendingOp = { t: 'w'; pos: number; data: Buffer } | { t: 'trunc'; len: number };

interface Inode {
  id: number;
  synced: Buffer;
  pending: PendingOp[];
}

/** One disk image: path → content. */
export type DiskImage = Map<string, Buffer>;

export interface CrashSnapshot {
  /** Operations done when it was taken. */
  ops: number;
  durable: Map<string, number>;
  current: Map<string, number>;
  inodes: Map<number, { synced: Buffer; pending: PendingOp[] }>;
}

export type Fault = { op: 'write' | 'datasync' | 'create' | 'truncate' | 'fsyncDir'; code: string } | { op: 'short'; bytes: number };

const SECTOR = 512;

function apply(content: Buffer, op: PendingOp): Buffer {
  if (op.t === 'trunc') {
    return op.len <= content.length ? Buffer.from(content.subarray(0, op.len)) : Buffer.concat([content, Buffer.alloc(op.len - content.length)]);
  }
  const end = op.pos + op.data.length;
  const out = Buffer.alloc(Math.max(content.length, end));
  content.copy(out);
  op.data.copy(out, op.pos);
  return out;
}

const applyAll = (content: Buffer, ops: PendingOp[]) => ops.reduce(apply, content);

function errno(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

export class CrashFs implements JournalFs {
  private inodes = new Map<number, Inode>();
  private nextInode = 1;
  /** Names on the medium (after their directory was synced) and as the running process sees them. */
  private durable = new Map<string, number>();
  private current = new Map<string, number>();
  /** Every write, datasync, create, rename, unlink and directory sync so far. */
  ops = 0;
  /** Called after each operation (the crash-state test takes its snapshots here). */
  onOp: ((fs: CrashFs) => void) | null = null;
  /** Total bytes the files may hold; a write past it writes what fits, then fails with ENOSPC. */
  capacity = Infinity;
  /** Consumed one by one by the operation they name. */
  faults: Fault[] = [];
  /** When false, fdatasync does nothing (to show that a test catches a missing sync). */
  syncs = true;

  constructor(image?: DiskImage) {
    for (const [path, content] of image ?? []) {
      const inode = this.newInode(content);
      this.durable.set(path, inode.id);
      this.current.set(path, inode.id);
    }
  }

  private newInode(content: Buffer = Buffer.alloc(0)): Inode {
    const inode: Inode = { id: this.nextInode++, synced: Buffer.from(content), pending: [] };
    this.inodes.set(inode.id, inode);
    return inode;
  }

  private done(): void {
    this.ops++;
    this.onOp?.(this);
  }

  private fault(op: Fault['op']): void {
    const i = this.faults.findIndex((f) => f.op === op);
    if (i === -1) return;
    const [f] = this.faults.splice(i, 1);
    throw errno((f as { code: string }).code, op);
  }

  private used(): number {
    let n = 0;
    for (const id of new Set(this.current.values())) n += this.contentOf(id).length;
    return n;
  }

  private contentOf(id: number): Buffer {
    const inode = this.inodes.get(id)!;
    return applyAll(inode.synced, inode.pending);
  }

  /** What the running process reads at `path`. */
  read(path: string): Buffer | undefined {
    const id = this.current.get(path);
    return id === undefined ? undefined : this.contentOf(id);
  }

  names(): string[] {
    return [...this.current.keys()].sort();
  }

  snapshot(): CrashSnapshot {
    const inodes = new Map<number, { synced: Buffer; pending: PendingOp[] }>();
    for (const [id, inode] of this.inodes) {
      if (inode.pending.length === 0 && ![...this.current.values(), ...this.durable.values()].includes(id)) continue;
      inodes.set(id, { synced: inode.synced, pending: [...inode.pending] });
    }
    return { ops: this.ops, durable: new Map(this.durable), current: new Map(this.current), inodes };
  }

  private handle(id: number): JournalFile {
    const inode = () => this.inodes.get(id)!;
    return {
      write: async (data, offset, length, position) => {
        this.fault('write');
        const short = this.faults.findIndex((f) => f.op === 'short');
        let n = length;
        if (short !== -1) n = Math.min(n, (this.faults.splice(short, 1)[0] as { bytes: number }).bytes);
        const before = this.contentOf(id).length;
        const growth = Math.max(0, position + n - before);
        const room = this.capacity - this.used();
        if (growth > room) {
          n = Math.max(0, room - Math.max(0, position - before));
          if (n === 0) throw errno('ENOSPC', 'write');
        }
        inode().pending.push({ t: 'w', pos: position, data: Buffer.from(data.subarray(offset, offset + n)) });
        this.done();
        return n;
      },
      datasync: async () => {
        this.fault('datasync');
        if (this.syncs) {
          const node = inode();
          node.synced = applyAll(node.synced, node.pending);
          node.pending = [];
        }
        this.done();
      },
      truncate: async (len) => {
        this.fault('truncate');
        inode().pending.push({ t: 'trunc', len });
        this.done();
      },
      close: async () => undefined,
    };
  }

  async mkdir(): Promise<void> {}

  async readdir(path: string): Promise<string[]> {
    const prefix = `${path}/`;
    return [...this.current.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
  }

  async readFile(path: string): Promise<Buffer> {
    const content = this.read(path);
    if (!content) throw errno('ENOENT', path);
    return content;
  }

  async create(path: string): Promise<JournalFile> {
    this.fault('create');
    if (this.current.has(path)) throw errno('EEXIST', path);
    const inode = this.newInode();
    this.current.set(path, inode.id);
    this.done();
    return this.handle(inode.id);
  }

  async openExisting(path: string): Promise<JournalFile> {
    const id = this.current.get(path);
    if (id === undefined) throw errno('ENOENT', path);
    return this.handle(id);
  }

  async rename(from: string, to: string): Promise<void> {
    const id = this.current.get(from);
    if (id === undefined) throw errno('ENOENT', from);
    this.current.delete(from);
    this.current.set(to, id);
    this.done();
  }

  async unlink(path: string): Promise<void> {
    if (!this.current.delete(path)) throw errno('ENOENT', path);
    this.done();
  }

  async fsyncDir(dir: string): Promise<void> {
    this.fault('fsyncDir');
    if (this.syncs) {
      const inDir = (p: string) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/');
      for (const p of [...this.durable.keys()]) if (inDir(p) && !this.current.has(p)) this.durable.delete(p);
      for (const [p, id] of this.current) if (inDir(p)) this.durable.set(p, id);
    }
    this.done();
  }

  async freeBytes(): Promise<number | null> {
    return this.capacity === Infinity ? 1 << 30 : this.capacity - this.used();
  }
}

/** How a crash image came about. */
export type CrashKind = 'synced' | 'suffix-dropped' | 'reordered' | 'torn';

/** Variants of one file's pending operations a power cut can leave on the medium. */
function variants(synced: Buffer, pending: PendingOp[]): Array<[CrashKind, Buffer]> {
  const out: Array<[CrashKind, Buffer]> = [];
  for (let k = 1; k <= pending.length; k++) out.push(['suffix-dropped', applyAll(synced, pending.slice(0, k))]);
  for (let skip = 0; skip < pending.length - 1; skip++) out.push(['reordered', applyAll(synced, pending.filter((_, i) => i !== skip))]);
  pending.forEach((op, i) => {
    if (op.t !== 'w') return;
    const before = applyAll(synced, pending.slice(0, i));
    // Sector boundaries inside the write, in file offsets.
    for (let b = Math.ceil((op.pos + 1) / SECTOR) * SECTOR; b < op.pos + op.data.length; b += SECTOR) {
      const cut = b - op.pos;
      out.push(['torn', apply(before, { t: 'w', pos: op.pos, data: op.data.subarray(0, cut) })]);
      // The later sectors landed, the earlier did not: the file is as long, the first part is old bytes.
      const head = Buffer.alloc(cut);
      before.copy(head, 0, op.pos, Math.min(before.length, op.pos + cut));
      out.push(['torn', apply(before, { t: 'w', pos: op.pos, data: Buffer.concat([head, op.data.subarray(cut)]) })]);
    }
  });
  return out;
}

/**
 * The disk images a power cut at `snap` can leave. Files vary one at a time (the others as synced),
 * under both the synced directory entries and the pending ones.
 */
export function crashImages(snap: CrashSnapshot): Array<{ kind: CrashKind; image: DiskImage }> {
  const images: Array<{ kind: CrashKind; image: DiskImage }> = [];
  const synced = (id: number) => snap.inodes.get(id)?.synced ?? Buffer.alloc(0);
  for (const names of [snap.durable, snap.current]) {
    const base: DiskImage = new Map([...names].map(([p, id]) => [p, synced(id)]));
    images.push({ kind: 'synced', image: base });
    for (const [path, id] of names) {
      const inode = snap.inodes.get(id);
      if (!inode || inode.pending.length === 0) continue;
      for (const [kind, content] of variants(inode.synced, inode.pending)) images.push({ kind, image: new Map([...base, [path, content]]) });
    }
    if (names === snap.durable && [...snap.durable].every(([p, id]) => snap.current.get(p) === id) && snap.durable.size === snap.current.size) break;
  }
  return images;
}
