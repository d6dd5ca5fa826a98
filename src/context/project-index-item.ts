import { moduleLine, type ModuleEntry } from '../project/project-index.js';

/**
 * The project index as a context bundle shows it (tier 1, `sources.ts`): the goals done and the
 * module map of the index an earlier plan's root task produced (`nodes/project-index-lookup.ts`),
 * without what other items of the same bundle already say. The project line is left out (the
 * taskgraph.yaml item above it names the project and its vision). When the bundle may include
 * the repository map (tier 7: every file's path, ranked, with its exported symbols), the module
 * map keeps only what the map lacks: each file's leading doc line, for the files that have one;
 * no file list, no symbols, no directory counts. Only without a map (`repoMapTokens: 0`) is the
 * module map shown whole.
 */

/** What a bundle takes of a project index (`AssembleInput.projectIndex`). */
export interface BundleProjectIndex {
  /** the plan whose root task produced it */
  planId: string;
  /** the module map (`project/project-index.ts` `moduleEntries`) */
  modules: ModuleEntry[];
  /** the goals done, newest first, one Markdown list line each */
  goals: string[];
}

/** Options of {@link renderIndexItem}. */
export interface IndexItemOptions {
  /** whether the bundle may include the repository map (it lists every file with its symbols) */
  repoMap: boolean;
  /** whether a file may be named: it is in the repository now and no exclude override removes it */
  keep(path: string): boolean;
}

/** Heading of the module section when the repository map lists the files. */
export const SUMMARIES_HEADING = '## Module summaries (what a file is for; the repository map lists the files and their symbols)';

/**
 * The body of the project index item: `## Goals done (newest first)` with the goal lines, then the
 * module section (see the module doc); a section with no lines is left out.
 * @returns the body, '' when nothing is left to show
 */
export function renderIndexItem(index: BundleProjectIndex, options: IndexItemOptions): string {
  const sections: string[] = [];
  if (index.goals.length > 0) sections.push(['## Goals done (newest first)', ...index.goals].join('\n'));
  const files = index.modules.filter((e) => e.files === undefined && options.keep(e.path));
  if (options.repoMap) {
    const summaries = files.filter((e) => e.doc).map((e) => moduleLine(e, { exports: false }));
    if (summaries.length > 0) sections.push([SUMMARIES_HEADING, ...summaries].join('\n'));
  } else {
    const lines = index.modules.filter((e) => e.files !== undefined || files.includes(e)).map((e) => moduleLine(e));
    if (lines.length > 0) sections.push(['## Modules', ...lines].join('\n'));
  }
  return sections.join('\n\n');
}
