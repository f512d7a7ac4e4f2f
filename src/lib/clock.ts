/** Wall-clock time as the wire wants it: Unix epoch seconds as a float (wire-contract.md §0). */
export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() / 1000 };
