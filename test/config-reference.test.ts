import * as fs from 'node:fs';
import { CONFIG_REFERENCE_FILE, renderConfigReference } from '../scripts/config-reference';

describe('docs/config-reference.md', () => {
  const generated = renderConfigReference();

  test('is exactly what `npm run docs:config` generates from the schema (run it after changing lib/config/schema.ts)', () => {
    expect(fs.readFileSync(CONFIG_REFERENCE_FILE, 'utf8')).toBe(generated);
  });

  test('lists every key with its type, default and meaning from the schema', () => {
    const row = (key: string) => generated.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
    expect(row('web.minCapacity')).toMatch(
      /\| integer \| yes \| {2}\| 0 to 500 \| Lowest number of instances/,
    );
    expect(row('capacity.headroomPercent')).toMatch(
      /\| integer \| no \| `120` \| 100 to 300 \| Capacity a standby/,
    );
    expect(row('regions[].posture')).toMatch(/one of `pilot-light`, `warm`, `hot`/);
    expect(row('contacts.phoneHours')).toMatch(/\| string or object \{ko, en\} \| no \|/);
    expect(row('regions[].web')).toMatch(
      /object \(keys of `web`\) \| no \|.*Overrides of the shared `web` settings/,
    );
    // no per-region copy of the shared keys
    expect(row('regions[].web.minCapacity')).toBeUndefined();
  });

  test('every key has a meaning: a key without .describe() in the schema fails here', () => {
    const undescribed = generated
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .filter((l) => l.split(' | ').at(-1) === '|' || /\| {2}\|$/.test(l));
    expect(undescribed).toEqual([]);
  });
});
