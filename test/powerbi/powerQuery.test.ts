/**
 * Microsoft's Power Query parser (@microsoft/powerquery-parser) must accept every M query in
 * `powerbi/` (the model's partitions and parameter are these files, word for word: project.test.ts).
 * The parser is not a dependency of the project yet: until it is installed, this test is skipped
 * with a message rather than faked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { POWERBI_DIR } from '../../tools/lib/powerbi/report';

interface ParserModule {
  DefaultSettings: unknown;
  TaskUtils: {
    tryLexParse(settings: unknown, text: string): Promise<unknown>;
    isParseStageOk(task: unknown): boolean;
  };
}

const PARSER = '@microsoft/powerquery-parser';

function loadParser(): ParserModule | undefined {
  try {
    return createRequire(__filename)(PARSER) as ParserModule;
  } catch {
    return undefined;
  }
}

const parser = loadParser();
if (!parser) console.warn(`Skipping the Power Query parser check: ${PARSER} is not installed (npm install -D ${PARSER}@^2).`);

const queries = readdirSync(POWERBI_DIR).filter((name) => name.endsWith('.pq'));

(parser ? describe : describe.skip)('Power Query M in powerbi/', () => {
  it.each(queries)('%s parses', async (name) => {
    const task = await parser!.TaskUtils.tryLexParse(parser!.DefaultSettings, readFileSync(join(POWERBI_DIR, name), 'utf8'));
    expect(parser!.TaskUtils.isParseStageOk(task)).toBe(true);
  });

  it('rejects broken M (the check can fail)', async () => {
    const task = await parser!.TaskUtils.tryLexParse(parser!.DefaultSettings, 'let a = 1, in a');
    expect(parser!.TaskUtils.isParseStageOk(task)).toBe(false);
  });
});
