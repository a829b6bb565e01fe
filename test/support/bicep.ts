/**
 * Reads the Bicep templates with the real Bicep grammar (tree-sitter-bicep, compiled to WebAssembly
 * and shipped in its npm package), so infrastructure tests run offline without the Bicep CLI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Parser from 'web-tree-sitter';

export const INFRA_DIR = path.resolve(__dirname, '..', '..', 'infra');

export type SyntaxNode = Parser.SyntaxNode;

export interface BicepFile {
  /** Path relative to infra/, with forward slashes. */
  name: string;
  source: string;
  root: SyntaxNode;
}

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const language = await Parser.Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    const created = new Parser();
    created.setLanguage(language);
    return created;
  })();
  return parser;
}

export async function parseBicep(name: string, source: string): Promise<BicepFile> {
  return { name, source, root: (await bicepParser()).parse(source).rootNode };
}

function bicepFileNames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepFileNames(full);
    return entry.name.endsWith('.bicep') ? [full] : [];
  });
}

/** Every .bicep file under infra/, parsed. */
export async function readInfra(): Promise<BicepFile[]> {
  return Promise.all(
    bicepFileNames(INFRA_DIR)
      .sort()
      .map((file) => parseBicep(path.relative(INFRA_DIR, file).split(path.sep).join('/'), readFileSync(file, 'utf8'))),
  );
}

/** Where the grammar could not make sense of the text: ERROR nodes and tokens it had to invent. */
export function syntaxProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.isError || node.isMissing) {
      problems.push(
        `${file.name}:${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.isMissing ? `missing ${node.type}` : `cannot parse "${node.text.slice(0, 60)}"`}`,
      );
    }
    if (node.hasError) node.children.forEach(visit);
  };
  visit(file.root);
  return problems;
}

/** The value of a string literal without interpolation, else undefined. */
export function literalString(node: SyntaxNode | null | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.namedChildren.some((child) => child.type !== 'string_content' && child.type !== 'escape_sequence')) return undefined;
  return node.namedChildren.map((child) => child.text).join('');
}

/** `key: value` pairs of an object node. */
export function objectProperties(node: SyntaxNode): Array<{ key: string; value: SyntaxNode }> {
  return node.namedChildren
    .filter((child) => child.type === 'object_property')
    .flatMap((property) => {
      const [key, value] = property.namedChildren;
      return key && value ? [{ key: literalString(key) ?? key.text, value }] : [];
    });
}

/** Every `name: value` object property, anywhere in the file, whose key is `key`. */
export function propertiesNamed(file: BicepFile, key: string): SyntaxNode[] {
  return file.root
    .descendantsOfType('object_property')
    .filter((property) => property.namedChildren[0]?.text === key)
    .flatMap((property) => (property.namedChildren[1] ? [property.namedChildren[1]] : []));
}

/** The value of the top-level `var name = …` declaration. */
export function variable(file: BicepFile, name: string): SyntaxNode | undefined {
  const declaration = file.root.namedChildren.find((child) => child.type === 'variable_declaration' && child.namedChildren[0]?.text === name);
  return declaration?.namedChildren[1];
}
