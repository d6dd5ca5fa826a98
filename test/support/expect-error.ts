import { expect } from 'vitest';
import { TaskgraphError } from '../../src/core/errors.js';

/**
 * Awaits a promise that must reject with a TaskgraphError and returns the error for further
 * assertions (code, message, details, hint).
 * @throws Error when the promise resolves
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<TaskgraphError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TaskgraphError);
    return error as TaskgraphError;
  }
  throw new Error('expected a rejection with a TaskgraphError');
}

/**
 * Calls a function that must throw a TaskgraphError and returns the error.
 * @throws Error when the function returns
 */
export function thrownBy(fn: () => unknown): TaskgraphError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskgraphError);
    return error as TaskgraphError;
  }
  throw new Error('expected a TaskgraphError to be thrown');
}
