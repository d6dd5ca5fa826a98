/** The run, plan and graph commands, one file each; re-exported here for the CLI entry point. */
export { budgetOf, type CommonOptions, exitCodeFor, finishRun, isGitRepo, loadGraphFile, readGoal } from './run-common.js';
export { doCommand } from './do-command.js';
export { runCommand } from './run-command.js';
export { decideCommand, resumeCommand } from './resume-command.js';
export { planCommand } from './plan-command.js';
export { graphCommand, schemaCommand } from './graph-command.js';
export { cleanCommand } from './clean-command.js';
