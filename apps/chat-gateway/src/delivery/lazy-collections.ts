// A socket holds several small maps and sets that stay empty for most of its life (what it is
// reading, holding, confirming); with ten thousand idle sockets an empty Map each is megabytes of
// nothing. So each is a field that stays undefined until the first write and goes back to
// undefined when emptied; reads of an undefined one allocate nothing.

/** `map` with `key` set, made if it was not. */
export function setIn<K, V>(map: Map<K, V> | undefined, key: K, value: V): Map<K, V> {
  return (map ?? new Map<K, V>()).set(key, value);
}

/** `map` without `key`; undefined once empty. */
export function deleteIn<K, V>(map: Map<K, V> | undefined, key: K): Map<K, V> | undefined {
  map?.delete(key);
  return map?.size ? map : undefined;
}

/** `set` with `value` added, made if it was not. */
export function addTo<T>(set: Set<T> | undefined, value: T): Set<T> {
  return (set ?? new Set<T>()).add(value);
}

/** `set` without `value`; undefined once empty. */
export function removeFrom<T>(set: Set<T> | undefined, value: T): Set<T> | undefined {
  set?.delete(value);
  return set?.size ? set : undefined;
}
