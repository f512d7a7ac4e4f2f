/**
 * A minimal observable value and the hook that re-renders a component when it changes, so state
 * shared across panels (language, auth, runs feed, status bar) lives outside the component tree.
 *
 *   const lang = new Store<Lang>("en");
 *   function Title() { const l = useStore(lang); ... }
 *   lang.set("ja");   // every subscriber re-renders
 */
import { useEffect, useState } from "preact/hooks";

export class Store<T> {
  #value: T;
  readonly #listeners = new Set<() => void>();

  constructor(value: T) { this.#value = value; }

  get(): T { return this.#value; }

  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    this.notify();
  }

  update(fn: (value: T) => T): void { this.set(fn(this.#value)); }

  /** Tell subscribers the value changed in place (for mutable values such as a Map). */
  notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The store's current value; the component re-renders on every set/notify. */
export function useStore<T>(store: Store<T>): T {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((n) => n + 1)), [store]);
  return store.get();
}
