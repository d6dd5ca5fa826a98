/**
 * Planning (DESIGN.md §2 step 2): planner prompts, the plan schema, validation and repair,
 * recursive decomposition, and text views of a plan.
 */
export { assemblePlan, type AssembledPlan, type PlannedTask } from './assemble-plan.js';
export { ERROR_ECHO_CHARS, type PlanEvent, type PlanLevelRequest, type PlanLevelResult, requestPlanLevel } from './plan-level.js';
export {
  MAX_TASKS_PER_LEVEL,
  type PlanIssue,
  type PlanOutput,
  PlanOutputSchema,
  type PlanParseResult,
  type PlanTask,
  PlanTaskSchema,
  parsePlanText,
  parsePlanValue,
} from './plan-schema.js';
export { type PlanGoalOptions, type PlanMeta, type PlanResult, planGoal } from './planner.js';
export { FILE_LIST_LIMIT, type ProjectContext, projectContextFromConfig, README_EXCERPT_CHARS } from './project-context.js';
export {
  buildPlannerPrompt,
  buildRepairPrompt,
  type ParentTaskContext,
  PLANNER_PROMPT_VERSION,
  PLANNER_SYSTEM_PROMPT,
  type PlannerPromptInput,
  REPAIR_ECHO_CHARS,
  trimMiddle,
} from './prompts.js';
export { dotString, mermaidLabel, type PlanJsonInput, type RenderTask, type RenderTreeOptions, renderTree, toDot, toJson, toMermaid } from './render.js';
export { formatPlanIssues, type ValidatePlanOptions, validatePlanOutput } from './validate-plan.js';
