// What the node logs through: the console, filtered by the configured level.
import type { Config } from '../config/schema.ts';

export interface Logger {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export const consoleLogger = (level: Config['log']['level']): Logger => ({
  info: (m) => { if (level === 'debug' || level === 'info') console.log(m); },
  error: (m, e) => { if (level !== 'silent') console.error(m, e ?? ''); },
});
