import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../shared/config';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scripts = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

describe('README', () => {
  it.each(SETTINGS.map((setting) => setting.name))('documents the setting %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it.each(scripts.filter((script) => !['typecheck', 'format', 'build', 'test:unit'].includes(script)))(
    'documents npm script %s',
    (script) => {
      expect(readme).toMatch(new RegExp(`npm (run )?${script.replace(':', '\\:')}\\b`));
    },
  );

  it('gives the two-command quick start and the test command', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
