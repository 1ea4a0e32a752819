/**
 * The local runtime has no authentication, so by default it must be reachable from this machine only.
 * (The running runtime is checked too, in test/local/badInput.test.ts.)
 */
import { loadLocalConfig, SETTINGS } from '../../../shared/config';

describe('local runtime exposure', () => {
  it('binds to IPv4 loopback when HOST is not set', () => {
    expect(loadLocalConfig({}).bindAddress).toBe('127.0.0.1');
  });

  it('treats an empty HOST as unset rather than as "all interfaces"', () => {
    expect(loadLocalConfig({ HOST: '' }).bindAddress).toBe('127.0.0.1');
  });

  it('declares the loopback default once, in SETTINGS, and says so', () => {
    const host = SETTINGS.find((setting) => setting.name === 'HOST');
    expect(host?.defaults?.local).toBe('127.0.0.1');
    expect(host?.description).toMatch(/loopback/i);
  });

  it('binds elsewhere only when told to', () => {
    expect(loadLocalConfig({ HOST: '0.0.0.0' }).bindAddress).toBe('0.0.0.0');
  });
});
