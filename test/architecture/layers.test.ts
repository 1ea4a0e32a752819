import { describeViolation, layerViolations } from './layers';
import { importsOf, readSources, type Source } from './sources';

describe('layers', () => {
  it('the repository respects every import direction', () => {
    const sources = readSources(['shared', 'functions', 'local', 'tools', 'test']);
    expect(sources.length).toBeGreaterThan(100);
    expect(layerViolations(sources).map(describeViolation)).toEqual([]);
  });

  describe('a fixture tree with one violation per rule', () => {
    const fixture: Source[] = [
      {
        path: 'shared/domain/a.ts',
        text: "import { x } from './b';\nimport { readFileSync } from 'node:fs';\nimport { y } from '../ports';\n",
      },
      { path: 'shared/domain/b.ts', text: "import { parse } from 'lossless-json';\nimport type { Z } from 'zod';\n" },
      {
        path: 'shared/pipeline/p.ts',
        text: [
          "import type { Clock } from '../ports';",
          "import { CosmosDedupStore } from '../adapters/cosmos';",
          "import { CosmosClient } from '@azure/cosmos';",
          "import { createServer } from 'node:http';",
          "import { randomUUID } from 'node:crypto';",
          "const later = () => import('../adapters/blob/index.js');",
        ].join('\n'),
      },
      { path: 'shared/config.ts', text: "import { getServices } from '../functions/services';\n" },
      { path: 'functions/f.ts', text: "import { getServices } from './services';\nimport { startRuntime } from '../local/runtime';\n" },
      {
        path: 'local/l.ts',
        text: "import { handlers } from '../functions/f';\nimport { eventually } from '../test/support/eventually';\n",
      },
      { path: 'local/m.ts', text: "export { generate } from '../tools/lib/generator';\n" },
      { path: 'tools/t.ts', text: "import { x } from './lib/cli';\nconst { y } = require('../test/support/runtime');\n" },
      {
        path: 'test/local/x.test.ts',
        text: "import { startFaultRuntime } from '../faults/support/runtime';\nimport { startRuntime } from '../support/runtime';\n",
      },
      { path: 'test/tools/y.test.ts', text: "import { generate } from '../../tools/lib/generator';\n" },
    ];

    const found = layerViolations(fixture).map((v) => `${v.file}:${v.line} ${v.specifier}`);

    it('reports exactly the violating imports', () => {
      expect(found).toEqual([
        'shared/domain/a.ts:2 node:fs',
        'shared/domain/a.ts:3 ../ports',
        'shared/domain/b.ts:2 zod',
        'shared/pipeline/p.ts:2 ../adapters/cosmos',
        'shared/pipeline/p.ts:3 @azure/cosmos',
        'shared/pipeline/p.ts:4 node:http',
        'shared/pipeline/p.ts:6 ../adapters/blob/index.js',
        'shared/config.ts:1 ../functions/services',
        'functions/f.ts:2 ../local/runtime',
        'local/l.ts:2 ../test/support/eventually',
        'local/m.ts:1 ../tools/lib/generator',
        'tools/t.ts:2 ../test/support/runtime',
        'test/local/x.test.ts:1 ../faults/support/runtime',
      ]);
    });

    it('says which rule each one breaks and why', () => {
      const [first] = layerViolations(fixture);
      expect(first && describeViolation(first)).toBe(
        "shared/domain/a.ts:2 imports 'node:fs': the Node built-in fs: the domain is pure (shared/domain imports only shared/domain (and pure parsers))",
      );
    });
  });

  it('reads type-only imports, re-exports, dynamic imports and require calls', () => {
    const text = "import type { A } from './a';\nexport * from './b';\nvoid import('./c.js');\nrequire('d/e');\n";
    expect(importsOf({ path: 'x/y.ts', text }).map((found) => found.target)).toEqual([
      { kind: 'file', path: 'x/a' },
      { kind: 'file', path: 'x/b' },
      { kind: 'file', path: 'x/c' },
      { kind: 'package', name: 'd' },
    ]);
  });
});
