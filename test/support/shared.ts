// The product's shared folder (DESIGN.md, fixtures, trust) lives beside the project root, in CI as here.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const sharedDir = process.env.EDOC_SHARED_DIR ?? fileURLToPath(new URL('../../../shared/', import.meta.url));
export const vendorFixturesDir = join(sharedDir, 'fixtures', 'edxml-vendor');
