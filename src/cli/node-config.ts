import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { DomainError } from '../domain/errors.ts';

export const configDirectory = fileURLToPath(new URL('../../config/', import.meta.url));

/** Loads the configuration or prints every problem (key name and reason) and returns null. */
export function loadConfigOrReport(env: NodeJS.ProcessEnv = process.env): Readonly<Config> | null {
  try {
    return loadConfig({ configDir: configDirectory, env });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'config.invalid') {
      console.error('Cấu hình không hợp lệ / invalid configuration:');
      for (const d of error.details) console.error(`  - ${d.field}: ${d.message}`);
      return null;
    }
    throw error;
  }
}
