import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Comments cite the project's own notes (`docs/design.md §2.2`, `docs/meta-graph.md "Rate limits"`).
 * A citation that points at nothing sends a reader nowhere: every one must name a heading that exists.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SCANNED = ['src', 'test', 'bench', 'infra', 'README.md'];

function files(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((child) =>
    child.name === 'node_modules' || child.name === 'fixtures' ? [] : files(path.join(entry, child.name)),
  );
}

const sources = SCANNED.flatMap(files).filter((file) => /\.(ts|js|mjs|bicep|md)$/.test(file));
const text = sources.map((file) => ({ file: path.relative(ROOT, file), content: readFileSync(file, 'utf8') }));

const headings = (doc: string): string[] =>
  readFileSync(path.join(ROOT, 'docs', doc), 'utf8')
    .split('\n')
    .filter((line) => /^#{1,4} /.test(line))
    .map((line) => line.replace(/^#+ /, '').trim());

describe('citations of docs/ in code and docs', () => {
  it('every docs/design.md §N names a numbered section', () => {
    const sections = new Set(
      headings('design.md')
        .map((heading) => /^(\d+(?:\.\d+)?)\.? /.exec(heading)?.[1])
        .filter(Boolean),
    );
    const cited = text.flatMap(({ file, content }) =>
      [...content.matchAll(/docs\/design\.md ((?:§[\d.]+\d(?:, )?)+)/g)].flatMap((match) =>
        [...match[1]!.matchAll(/§([\d.]*\d)/g)].map((section) => ({ file, section: section[1]! })),
      ),
    );
    expect(cited.length).toBeGreaterThan(20);
    expect(cited.filter(({ section }) => !sections.has(section))).toEqual([]);
  });

  it.each(['meta-graph.md', 'azure-events.md'])('every quoted section of docs/%s is a heading there', (doc) => {
    const known = new Set(headings(doc));
    const pattern = new RegExp(`docs/${doc.replace('.', '\\.')},?\\s+(?:\\*\\s+)?"([^"]+)"`, 'g');
    const cited = text.flatMap(({ file, content }) =>
      [...content.matchAll(pattern)].map((match) => ({ file, heading: match[1]!.replace(/\s*\n\s*\*?\s*/g, ' ') })),
    );
    expect(cited.length).toBeGreaterThan(0);
    expect(cited.filter(({ heading }) => !known.has(heading))).toEqual([]);
  });

  it('every docs/ file linked from the README and the notes exists', () => {
    const linked = [
      ...text.filter(({ file }) => file === 'README.md'),
      ...readdirSync(path.join(ROOT, 'docs', 'adr')).map((name) => ({
        file: `docs/adr/${name}`,
        content: readFileSync(path.join(ROOT, 'docs', 'adr', name), 'utf8'),
      })),
      { file: 'docs/design.md', content: readFileSync(path.join(ROOT, 'docs', 'design.md'), 'utf8') },
    ].flatMap(({ file, content }) =>
      [...content.matchAll(/\]\(([^)#\s]+\.md)\)/g)].map((match) => ({ file, target: path.join(ROOT, path.dirname(file), match[1]!) })),
    );
    expect(linked.length).toBeGreaterThan(20);
    expect(
      linked
        .filter(({ target }) => !statSync(target, { throwIfNoEntry: false })?.isFile())
        .map(({ file, target }) => `${file} → ${path.relative(ROOT, target)}`),
    ).toEqual([]);
  });
});
