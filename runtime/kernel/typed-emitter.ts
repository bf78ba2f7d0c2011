/**
 * One typed map of event name → payload per emitter. Listeners register with an owner so a
 * component removes all of its listeners in one call when it stops.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private listeners = new Map<keyof Events, Set<{ owner: object; fn: (payload: never) => void }>>();

  on<K extends keyof Events>(name: K, owner: object, fn: (payload: Events[K]) => void): void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add({ owner, fn: fn as (payload: never) => void });
  }

  /** Removes every listener registered by `owner`. */
  offOwner(owner: object): void {
    for (const set of this.listeners.values()) {
      for (const entry of set) if (entry.owner === owner) set.delete(entry);
    }
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const entry of [...set]) (entry.fn as (p: Events[K]) => void)(payload);
  }

  listenerCount<K extends keyof Events>(name: K): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
