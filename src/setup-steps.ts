// The setup steps of the daemon-to-be (between fork and execve), typed: the
// one list is native/steps.h, which spawn.cc names its failures from and
// scripts/compile-steps.js turns into generated/steps.js for TypeScript.
import { SETUP_STEPS, type SetupStep, type SetupStepName } from '../generated/steps';

export { SETUP_STEPS, type SetupStep, type SetupStepName };

const BY_NAME = new Map<string, SetupStep>(SETUP_STEPS.map((s) => [s.name, s]));

/** The step a STEP= record names, or undefined for a name the list does not have. */
export function setupStep(name: string): SetupStep | undefined {
  return BY_NAME.get(name);
}
