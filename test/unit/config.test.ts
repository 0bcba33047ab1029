import { expect } from 'chai';
import { loadConfig } from '../../src/config/load.ts';
import { isDomainError } from '../../src/domain/errors.ts';

describe('configuration', () => {
  const configDir = new URL('../../config/', import.meta.url).pathname;

  it('loads the defaults and applies environment overrides', () => {
    const config = loadConfig({ configDir, env: { PORT: '4123', DATABASE_URL: 'postgres://127.0.0.1/x' } });
    expect(config.server.port).to.equal(4123);
    expect(config.database.url).to.equal('postgres://127.0.0.1/x');
    expect(config.dataDir).to.equal('./data');
    expect(Object.isFrozen(config.server)).to.equal(true);
  });

  it('reports every invalid key at once, by name', () => {
    try {
      loadConfig({ configDir, env: { PORT: 'abc', DATABASE_URL: 'mysql://x', AXIS_URL: 'http://x' } });
      expect.fail('should have thrown');
    } catch (error) {
      expect(isDomainError(error, 'config.invalid')).to.equal(true);
      const fields = (error as { details: { field: string }[] }).details.map((d) => d.field);
      expect(fields).to.include.members(['PORT', 'database.url', 'axis.url']);
    }
  });

  it('never seeds demo data nor trusts the dev PKI in production', () => {
    const config = loadConfig({ configDir, env: { NODE_ENV: 'production' } });
    expect(config.demo.seed).to.equal(false);
    expect(config.pki.devMode).to.equal(false);
    expect(loadConfig({ configDir, env: {} }).pki.devMode).to.equal(true);
  });
});
