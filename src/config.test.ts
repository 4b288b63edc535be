import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.match(config.databaseUrl, /data\/ecrscan\.db$/);
    assert.equal(config.schedule, '24h');
    assert.equal(config.apiToken, null);
    assert.equal(config.mode, 'all');
    assert.ok(Object.isFrozen(config));
  });

  it('lets flags override the environment', () => {
    const config = loadConfig({ PORT: '9000', ECRSCAN_CONCURRENCY: '8' }, { port: '9001' });
    assert.equal(config.port, 9001);
    assert.equal(config.concurrency, 8);
  });

  it('keeps postgres URLs and lists as given', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/scan',
      ECRSCAN_INSECURE_REGISTRIES: 'localhost:5000, 127.0.0.1:5001,',
      ECRSCAN_OSV_SOURCES: '/data/osv/debian.zip',
    });
    assert.equal(config.databaseUrl, 'postgres://u:p@db:5432/scan');
    assert.deepEqual(config.insecureRegistries, ['localhost:5000', '127.0.0.1:5001']);
    assert.deepEqual(config.osvSources, ['/data/osv/debian.zip']);
  });

  it('reads per-host registry limits beside the defaults', () => {
    const config = loadConfig({ ECRSCAN_REGISTRY_LIMITS: 'GHCR.io=10/4, registry.local:5000=200/32' });
    assert.deepEqual(config.registryLimits, { 'ghcr.io': { rps: 10, connections: 4 }, 'registry.local:5000': { rps: 200, connections: 32 } });
    assert.deepEqual([config.registryRps, config.registryConnections], [50, 16]);
  });

  it('takes the prioritisation sources as files or https URLs', () => {
    const config = loadConfig({
      ECRSCAN_KEV_SOURCE: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
      ECRSCAN_EPSS_SOURCE: ' /data/epss_scores-current.csv.gz ',
      ECRSCAN_NVD_SOURCES: '/data/nvd/2026.json, https://nvd.example/cves.json',
    });
    assert.equal(config.kevSource, 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json');
    assert.equal(config.epssSource, '/data/epss_scores-current.csv.gz');
    assert.deepEqual(config.nvdSources, ['/data/nvd/2026.json', 'https://nvd.example/cves.json']);
    assert.deepEqual([loadConfig({}).kevSource, loadConfig({}).epssSource, loadConfig({}).nvdSources], [null, null, []]);
  });

  const bad: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ PORT: '80a' }, /^PORT must be a whole number from 0 to 65535, got "80a"$/],
    [{ PORT: '70000' }, /^PORT must be/],
    [{ ECRSCAN_CONCURRENCY: '0' }, /^ECRSCAN_CONCURRENCY must be a whole number from 1 to 256/],
    [{ ECRSCAN_SCHEDULE: '2m' }, /^ECRSCAN_SCHEDULE must be a duration from 5m to 366d/],
    [{ ECRSCAN_SCHEDULE: '100000000d' }, /^ECRSCAN_SCHEDULE must be a duration from 5m to 366d/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error/],
    [{ DATABASE_URL: 'mysql://db/scan' }, /^DATABASE_URL must be a file path or a postgres:\/\/ URL, got a mysql URL$/],
    [{ ECRSCAN_API_TOKEN: 'short' }, /^ECRSCAN_API_TOKEN must be at least 16 characters long$/],
    [{ ECRSCAN_ALLOW_UNAUTHENTICATED: 'maybe' }, /^ECRSCAN_ALLOW_UNAUTHENTICATED must be true or false/],
    [{ ECRSCAN_MODE: 'both' }, /^ECRSCAN_MODE must be all, api or scheduler/],
    [{ ECRSCAN_REGISTRY_LIMITS: 'ghcr.io=10' }, /^ECRSCAN_REGISTRY_LIMITS entries must be host\[:port\]=RPS\/CONNECTIONS with both at least 1, such as ghcr\.io=10\/4; got "ghcr\.io=10"$/],
    [{ ECRSCAN_REGISTRY_LIMITS: 'ghcr.io=0/4' }, /^ECRSCAN_REGISTRY_LIMITS entries must be/],
    [{ ECRSCAN_REGISTRY_RPS: '0' }, /^ECRSCAN_REGISTRY_RPS must be a whole number from 1 to 10000/],
    [{ ECRSCAN_KEV_SOURCE: 'http://www.cisa.gov/kev.json' }, /^ECRSCAN_KEV_SOURCE must be a file or an https:\/\/ URL, got "http:\/\/www.cisa.gov\/kev.json"$/],
    [{ ECRSCAN_NVD_SOURCES: '/data/a.json,ftp://nvd.example/b.json' }, /^ECRSCAN_NVD_SOURCES must be a file or an https:\/\/ URL/],
    [{ HOST: '0.0.0.0' }, /^refusing to listen on 0\.0\.0\.0 without ECRSCAN_API_TOKEN/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a clear message`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }

  it('listens beyond loopback with a token, or when told to without one', () => {
    assert.equal(loadConfig({ HOST: '0.0.0.0', ECRSCAN_API_TOKEN: 'x'.repeat(16) }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '0.0.0.0', ECRSCAN_ALLOW_UNAUTHENTICATED: 'true' }).allowUnauthenticated, true);
    assert.equal(loadConfig({ HOST: '0.0.0.0', ECRSCAN_MODE: 'scheduler' }).mode, 'scheduler');
  });
});
