import { XMLParser } from 'fast-xml-parser';

/**
 * Failing tests from a JUnit XML report, read with the `fast-xml-parser` package. The format is
 * the one of Ant's JUnit task as written by pytest (`--junitxml`), Maven Surefire, jest-junit and
 * others: `<testsuites>` / `<testsuite>` (nested suites allowed) / `<testcase classname name>`,
 * and a test case fails when it holds a `<failure>` or an `<error>` element (pytest reports a
 * module that fails to import as a test case with an `<error>`).
 */

/** What {@link junitFailures} read. */
export interface JUnitFailures {
  /** `classname::name` (or `name` when the class name is empty) of every failing test case */
  failing: string[];
  /** test cases in the report, failing or not */
  cases: number;
}

/** Largest report read, in characters (a bigger one is not trusted to be complete). */
export const MAX_JUNIT_CHARS = 32 * 1024 * 1024;

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // fast-xml-parser's default limits on nesting and entity expansion stay on
  isArray: (name) => name === 'testsuite' || name === 'testcase' || name === 'failure' || name === 'error',
});

function asArray(value: unknown): XmlNode[] {
  if (Array.isArray(value)) return value.filter((v): v is XmlNode => typeof v === 'object' && v !== null);
  return typeof value === 'object' && value !== null ? [value as XmlNode] : [];
}

/** One test case of a JUnit report, as {@link junitTestCases} reads it. */
export interface JUnitCase {
  /** `classname::name` (or `name` when the class name is empty) */
  id: string;
  /** its `<failure>` and `<error>` elements (strings, or objects with `@_message` and `#text`); empty when it passed */
  problems: unknown[];
}

/**
 * Reads every test case of a JUnit XML report, nested suites included (64 levels at most).
 * @param xml the report's text
 * @returns the test cases in document order, or `undefined` when the text is not a JUnit report
 *   this reader trusts: not XML, no `<testsuites>`/`<testsuite>` root, a DOCTYPE (pytest never
 *   writes one; entity declarations are refused outright) or larger than {@link MAX_JUNIT_CHARS}
 */
export function junitTestCases(xml: string): JUnitCase[] | undefined {
  if (xml.length > MAX_JUNIT_CHARS || /<!DOCTYPE|<!ENTITY/i.test(xml)) return undefined;
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch {
    return undefined;
  }
  const roots = [...asArray(doc['testsuites']), ...asArray(doc['testsuite']).map((s) => ({ testsuite: [s] }))];
  if (roots.length === 0) return undefined;
  const cases: JUnitCase[] = [];
  const visit = (suite: XmlNode, depth: number) => {
    if (depth > 64) return;
    for (const testcase of asArray(suite['testcase'])) {
      const name = String(testcase['@_name'] ?? '').trim();
      const classname = String(testcase['@_classname'] ?? '').trim();
      const problems: unknown[] = [testcase['failure'], testcase['error']].flat().filter((e) => e !== undefined);
      cases.push({ id: classname ? `${classname}::${name}` : name, problems });
    }
    for (const child of asArray(suite['testsuite'])) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return cases;
}

/**
 * Reads the failing test cases of a JUnit XML report ({@link junitTestCases}).
 * @param xml the report's text
 * @returns the failing ids and the number of test cases, or `undefined` when the text is not a
 *   JUnit report this reader trusts (see {@link junitTestCases})
 */
export function junitFailures(xml: string): JUnitFailures | undefined {
  const cases = junitTestCases(xml);
  if (!cases) return undefined;
  return { failing: cases.filter((c) => c.problems.length > 0).map((c) => c.id), cases: cases.length };
}
