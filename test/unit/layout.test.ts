import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The README's Layout section is a newcomer's map of src/: it must match the tree. */
const ROOT = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
const layout = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
/** The paths the Layout section starts a line with. */
const listed = layout.split('\n').flatMap((line) => /^(\S+)/.exec(line)?.[1] ?? []);

/** Every folder under src/ (as `src/edge/`), and every file directly in src/. */
function tree(dir = 'src'): string[] {
  return readdirSync(new URL(dir, ROOT)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(new URL(path, ROOT)).isDirectory()) return [`${path}/`, ...tree(path).filter((p) => p.endsWith('/'))];
    return dir === 'src' ? [path] : [];
  });
}

describe("the README's layout", () => {
  it('is found', () => expect(listed.length).toBeGreaterThan(10));

  it('names every folder of src/ and every file at its root', () => {
    expect(tree().filter((path) => !listed.includes(path))).toEqual([]);
  });

  it('names nothing that does not exist', () => {
    const missing = listed.filter((path) => {
      if (path.includes('*')) return false;
      try {
        statSync(new URL(path, ROOT));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });
});
