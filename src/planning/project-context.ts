import type { ProjectConfig } from '../core/config.js';

/** Characters of the README given to the planner (head of the file). */
export const README_EXCERPT_CHARS = 2000;
/** Repository paths listed to the planner (first ones, in the order given). */
export const FILE_LIST_LIMIT = 200;

/**
 * What the planner knows about the project (DESIGN.md §1 "project", §2 step 1): the parts of
 * `taskgraph.yaml` that shape a plan, the head of the README and the start of the file list.
 * Prompt builders trim `readme` to {@link README_EXCERPT_CHARS} characters and `files` to
 * {@link FILE_LIST_LIMIT} paths, so callers may pass them whole.
 */
export interface ProjectContext {
  name: string;
  vision?: string;
  /** main language / stack, e.g. `TypeScript (Node 20)` */
  language?: string;
  commands?: { test?: string; build?: string };
  rules?: string[];
  styleGuide?: string;
  /** README text (any length) */
  readme?: string;
  /** repository-relative paths, e.g. from `git ls-files` */
  files?: string[];
}

/**
 * Builds a {@link ProjectContext} from a validated `taskgraph.yaml` plus README text and file
 * list read by the caller (this function does no I/O).
 * @param config the project configuration
 * @param extra README text and repository paths, when available
 */
export function projectContextFromConfig(
  config: Pick<ProjectConfig, 'name' | 'vision' | 'language' | 'commands' | 'rules' | 'styleGuide'>,
  extra: { readme?: string; files?: string[] } = {},
): ProjectContext {
  const commands: { test?: string; build?: string } = {};
  if (config.commands.test !== undefined) commands.test = config.commands.test;
  if (config.commands.build !== undefined) commands.build = config.commands.build;
  return {
    name: config.name,
    vision: config.vision,
    language: config.language,
    commands,
    rules: [...config.rules],
    styleGuide: config.styleGuide,
    ...(extra.readme !== undefined ? { readme: extra.readme.slice(0, README_EXCERPT_CHARS) } : {}),
    ...(extra.files !== undefined ? { files: extra.files.slice(0, FILE_LIST_LIMIT) } : {}),
  };
}
