import type { ProjectConfig } from '../core/config.js';
import type { ProjectContext as FullProjectContext } from '../project/project-context.js';

/** Characters of the README given to the planner (head of the file). */
export const README_EXCERPT_CHARS = 2000;
/** Repository paths listed to the planner when it has no code context (most relevant to the goal first). */
export const FILE_LIST_LIMIT = 200;

/**
 * What the planner knows about the project (DESIGN.md §1 "project", §2 step 1): the project
 * index of `project/project-context.ts`, where everything but `name` may be left out (a planner
 * works with whatever is known). Prompt builders trim `readme` to {@link README_EXCERPT_CHARS}
 * characters and `files` to the {@link FILE_LIST_LIMIT} paths most relevant to the goal, so callers
 * may pass them whole.
 */
export type ProjectContext = Pick<FullProjectContext, 'name'> &
  Partial<Omit<FullProjectContext, 'name'>> & {
    /**
     * the planner's code context (`context/planner-bundle.ts`): project index, repository map ranked
     * against the goal, retrieved passages, rendered; when set, the prompt shows it instead of `files`
     */
    code?: string;
  };


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
    ...(extra.files !== undefined ? { files: [...extra.files] } : {}),
  };
}
