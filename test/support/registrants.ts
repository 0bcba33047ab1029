// Concurrent registrants for the numbering tests and the registry benchmark.
import type { RegistryService } from '../../src/services/registry-service.ts';
import type { Actor } from '../../src/domain/actor.ts';
import type { Priority } from '../../src/domain/document.ts';

/** `workers` registrants share `total` registrations of one agency's incoming book; returns the failures. */
/** With `failEvery`, every n-th registration carries a value the database refuses (a CHECK constraint), so
 * its statement fails after the book's counter was incremented in it: the number must come back. */
export async function registerConcurrently(registry: RegistryService, actor: Actor, organId: string, total: number, workers: number, failEvery = 0): Promise<number> {
  let next = 0;
  let failures = 0;
  const worker = async (w: number) => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      try {
        await registry.registerIncoming(actor, organId, {
          origin: i % 3 === 0 ? 'electronic' : 'paper', senderName: `Cơ quan gửi ${w}`, codeNumber: String(i + 1), codeNotation: `W${w}-VP`,
          issuedDate: '2026-11-20', typeName: 'Công văn', subject: `Văn bản thử số ${i}`,
          priority: (failEvery && i % failEvery === failEvery - 1 ? 9 : 0) as Priority,
        });
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return failures;
}
