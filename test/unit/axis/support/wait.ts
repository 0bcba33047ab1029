// Waiting for asynchronous delivery without asserting on time: poll a condition until it holds, failing
// with a description after a generous bound (not a speed requirement).
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, boundMs = 15_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
