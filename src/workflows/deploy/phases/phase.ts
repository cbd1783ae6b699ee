// The phase contract (after k0sctl's phase/*.go): one file per thing a deploy does to a host, each with its
// title, its steps in the pure plan, how one of them runs on its host, and how its effect is checked before
// a later step relies on it. The plan (domain/cluster/plan.ts) decides what to do; run-plan.ts runs it.
import type { Action } from '../../../domain/cluster/actions.js';
import { allSteps, type Plan, type PlanStep } from '../../../domain/cluster/plan.js';
import type { MemberDesign } from '../../../domain/cluster/types.js';
import type { Formation } from '../formation.js';
import type { Remote } from '../remote.js';

export interface StepContext {
  /** The step's host. */
  remote: Remote;
  /** A Remote on another member (token issuer, LXD anchor). */
  on(host: string): Promise<Remote>;
  /** Hosts whose microceph has the dm-crypt interface connected during this run. */
  dmCryptReady: Set<string>;
  /** The run's MicroCloud formation: passphrase, initiator, stop signal. */
  formation: Formation;
  /** Every member with its cluster address: LXD names a failing peer by address. */
  members: readonly MemberDesign[];
}

/** What the steps of one deploy run share. */
export type RunState = Pick<StepContext, 'dmCryptReady' | 'formation' | 'members'>;

export interface DeployPhase {
  /** What the phase does, in a few words. */
  readonly title: string;
  /** Whether the action is one of this phase's. */
  owns(action: Action): boolean;
  /** Its steps in the plan, in plan order. */
  plan(plan: Plan): PlanStep[];
  /** Makes the step's change on its host. */
  run(action: Action, context: StepContext): Promise<void>;
  /** Waits until the change took effect (a member online, a daemon ready); throws when it does not. */
  verify(action: Action, context: StepContext): Promise<void>;
}

export interface PhaseDefinition<A extends Action> {
  title: string;
  owns(action: Action): action is A;
  run(action: A, context: StepContext): Promise<void>;
  verify?(action: A, context: StepContext): Promise<void>;
}

/** A phase from its typed definition: its run and verify see only its own actions. */
export function definePhase<A extends Action>(definition: PhaseDefinition<A>): DeployPhase {
  const own = (action: Action): A => {
    if (!definition.owns(action)) {
      throw new Error(`${definition.title}: not one of its steps: ${action.kind}`);
    }
    return action;
  };
  return {
    title: definition.title,
    owns: (action) => definition.owns(action),
    plan: (plan) => allSteps(plan).filter((step) => definition.owns(step.action)),
    run: async (action, context) => {
      await definition.run(own(action), context);
    },
    verify: async (action, context) => {
      await definition.verify?.(own(action), context);
    },
  };
}
