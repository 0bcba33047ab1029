// Hashing a file as a stream: a 50 MB attachment is never held in memory (issue 3, bench:crypto).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function digestFile(path: string, algorithm: string): Promise<Buffer> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 18 })) hash.update(chunk as Buffer);
  return hash.digest();
}
