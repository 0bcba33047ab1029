// Test instrumentation (docs/axis.md "Fault points"): lets the process-level fault tests kill a node at an
// exact point of the exactly-once machinery — e.g. after the commit and before the ack — which no timing
// trick hits deterministically. Inert unless EDOC_FAULT_KILL_AT=<name>[:<nth>] is set: the nth time
// (default 1st) execution reaches `name`, the process kills itself with SIGKILL (no cleanup, no flush),
// as a power cut or the OOM killer would.
const counts = new Map<string, number>();

export function faultPoint(name: string): void {
  const setting = process.env.EDOC_FAULT_KILL_AT;
  if (!setting) return;
  const [target, nth] = setting.split(':');
  if (target !== name) return;
  const reached = (counts.get(name) ?? 0) + 1;
  counts.set(name, reached);
  if (reached === Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL');
}
