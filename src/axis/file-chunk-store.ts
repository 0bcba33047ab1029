// Chunk store on the file system: `<root>/<to>/<sha256(message id)>/manifest.json` and `<index>.part`.
// Parts are written to a temp name then renamed (atomic on POSIX), so a crash never leaves a half chunk,
// and processes sharing the directory agree on what is stored. Competing consumers on several machines
// need a shared store instead (PostgreSQL, to come with the database layer).
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AxisChunkStore, ChunkManifest, ChunkPutResult, IncompleteAssembly } from '../domain/axis-chunks.ts';
import type { AxisHeaders } from '../domain/axis-transport.ts';
import { sha256Hex } from './wire-message.ts';

interface StoredManifest {
  readonly to: string;
  readonly messageId: string;
  readonly from: string;
  readonly count: number;
  readonly totalSize: number;
  readonly packageDigest: string;
  readonly firstSeenAt: string;
}

const PART = /^(\d+)\.part$/;

export class FileChunkStore implements AxisChunkStore {
  constructor(private readonly root: string) {}

  async put(headers: AxisHeaders, manifest: ChunkManifest, bytes: Uint8Array): Promise<ChunkPutResult> {
    const dir = this.dirOf(headers.to, headers.messageId);
    await mkdir(dir, { recursive: true });
    const wanted: StoredManifest = {
      to: headers.to, messageId: headers.messageId, from: headers.from, count: manifest.count,
      totalSize: manifest.totalSize, packageDigest: headers.packageDigest, firstSeenAt: new Date().toISOString(),
    };
    const existing = await this.readManifest(dir) ?? await this.createManifest(dir, wanted);
    for (const field of ['from', 'count', 'totalSize', 'packageDigest'] as const) {
      if (existing[field] !== wanted[field]) return { kind: 'conflict', reason: `${field} differs from the earlier chunks of this message` };
    }
    const part = join(dir, `${manifest.index}.part`);
    const earlier = await readFile(part).catch(() => undefined);
    let kind: 'stored' | 'duplicate' = 'stored';
    if (earlier) {
      if (sha256Hex(earlier) !== manifest.chunkDigest) return { kind: 'conflict', reason: `chunk ${manifest.index} arrived twice with different bytes` };
      kind = 'duplicate';
    } else {
      const temp = join(dir, `${manifest.index}.${randomUUID()}.tmp`);
      await writeFile(temp, bytes);
      await rename(temp, part);
    }
    const received = (await this.parts(dir)).length;
    return { kind, received, complete: received === manifest.count };
  }

  async read(to: string, messageId: string, index: number): Promise<Uint8Array> {
    return readFile(join(this.dirOf(to, messageId), `${index}.part`));
  }

  async remove(to: string, messageId: string): Promise<void> {
    await rm(this.dirOf(to, messageId), { recursive: true, force: true });
  }

  async incomplete(): Promise<IncompleteAssembly[]> {
    const found: IncompleteAssembly[] = [];
    for (const to of await readdir(this.root).catch(() => [])) {
      for (const id of await readdir(join(this.root, to)).catch(() => [])) {
        const dir = join(this.root, to, id);
        const manifest = await this.readManifest(dir);
        if (!manifest) continue;
        const received = (await this.parts(dir)).length;
        if (received < manifest.count) {
          found.push({ to: manifest.to, messageId: manifest.messageId, from: manifest.from, received, count: manifest.count, firstSeenAt: new Date(manifest.firstSeenAt) });
        }
      }
    }
    return found;
  }

  private dirOf(to: string, messageId: string): string {
    const safeTo = to.replace(/[^.0-9A-Za-z-]/g, '_');
    return join(this.root, safeTo, createHash('sha256').update(messageId).digest('hex').slice(0, 40));
  }

  private async parts(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((name) => PART.test(name));
  }

  private async readManifest(dir: string): Promise<StoredManifest | undefined> {
    const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as StoredManifest);
  }

  private async createManifest(dir: string, manifest: StoredManifest): Promise<StoredManifest> {
    try {
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest), { flag: 'wx' });
      return manifest;
    } catch {
      return (await this.readManifest(dir)) ?? manifest; // another consumer created it first
    }
  }
}
