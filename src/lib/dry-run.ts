/**
 * Dry-run mode of the CLI (used by the test that runs every command written in the docs): the
 * first side effect — an HTTP request, a NATS connection, starting nats-server or Python, writing
 * files — throws DryRunStop instead of acting, so only argument parsing and checks run.
 */
export class DryRunStop extends Error {
  constructor(what: string) {
    super(`dry run: stopped before ${what}`);
    this.name = "DryRunStop";
  }
}

let active = false;

export function setDryRun(on: boolean): void {
  active = on;
}

/** Call before a side effect; throws in dry-run mode. */
export function sideEffect(what: string): void {
  if (active) throw new DryRunStop(what);
}
