import { heapBytesOf } from '../../cache/heap-bytes.js';
import { createMemo } from '../../cache/memo.js';
import { rangeKeyOf } from '../../cache/stale-tier.js';
import type { Change } from '../../cache/store.js';
import type { Served } from '../loaders.js';
import type { Decode, PointsRead, RangeRead } from '../root-reads.js';
import type { LeafPlan, ObjectPlan } from './compile.js';

/**
 * The renderings of the values each plan last read at each key (a range's by position): hot values
 * are read again and again between writes, and a value renders the same way every time under the
 * same plan (a bar's symbol and timeframe come from its key), so the same bytes are parsed,
 * checked and written once, not on every request. Compared by the bytes read, never trusted
 * blindly: a value that changed is rendered afresh. Stale values are not remembered.
 */
interface Renderings {
  raws: readonly string[];
  jsons: readonly string[];
  /** The key they were read at (a range's series): what forgetting that key drops. */
  owner: string;
}

/** What each remembered value of a range costs besides its two strings: two array slots. */
const SLOT_BYTES = 16;
/** What an entry's owner costs: its slot in the owner's set (the key string is shared). */
const OWNER_BYTES = 64;

/** Renders what plans read, remembering the renderings in at most `maxBytes` (read values and renderings together). */
export function createRenderer(maxBytes: number) {
  // The memo keys of each owner's renderings, so that a change of a key another process
  // announces drops them all at once (see `forget`); an entry leaving the memo leaves this too.
  const memoKeysOf = new Map<string, Set<string>>();
  const renderings = createMemo<Renderings>(
    maxBytes,
    ({ raws, jsons }) => {
      let bytes = OWNER_BYTES;
      for (let i = 0; i < raws.length; i++) bytes += SLOT_BYTES + heapBytesOf(raws[i]!) + heapBytesOf(jsons[i]!);
      return bytes;
    },
    {
      dispose: ({ owner }, memoKey) => {
        const memoKeys = memoKeysOf.get(owner);
        memoKeys?.delete(memoKey);
        if (memoKeys?.size === 0) memoKeysOf.delete(owner);
      },
    },
  );
  const remember = (memoKey: string, value: Renderings) => {
    renderings.set(memoKey, value);
    // Refused (larger than the memo), it never leaves, so it must never enter the index either.
    if (renderings.has(memoKey)) memoKeysOf.set(value.owner, (memoKeysOf.get(value.owner) ?? new Set()).add(memoKey));
  };

  /** `variant`: what besides the stored bytes shapes the decoded value (a book's depth). */
  function point(object: ObjectPlan, key: string, decode: Decode, served: Served<string> | null | Error, variant = ''): string {
    if (served === null) return 'null';
    if (served instanceof Error) throw served;
    if (served.stale) return renderObject(object, decode(served.value) as Record<string, unknown>, true);
    const memoKey = `${object.id} ${key} ${variant}`;
    const last = renderings.get(memoKey);
    if (last?.raws[0] === served.value) return last.jsons[0]!;
    const json = renderObject(object, decode(served.value) as Record<string, unknown>, false);
    remember(memoKey, { raws: [served.value], jsons: [json], owner: key });
    return json;
  }

  return {
    point,

    /** Drops the renderings of `key` (and of every range of it), or of every key under `prefix`. */
    forget(change: Change) {
      const owners = 'key' in change ? [change.key] : [...memoKeysOf.keys()].filter((owner) => owner.startsWith(change.prefix));
      for (const owner of owners) for (const memoKey of [...(memoKeysOf.get(owner) ?? [])]) renderings.delete(memoKey);
    },

    points(object: ObjectPlan, { keys, decode }: PointsRead, values: ReadonlyMap<string, Served<string> | null | Error>) {
      let json = '[';
      for (const [i, key] of keys.entries()) json += (i === 0 ? '' : ',') + point(object, key, decode, values.get(key)!);
      return `${json}]`;
    },

    range(object: ObjectPlan, { range, decode }: RangeRead, served: Served<string[]> | null | Error): string {
      if (served === null) throw new Error(`${range.key} is not a series`); // the executor discards it
      if (served instanceof Error) throw served;
      if (served.stale) return `[${served.value.map((raw) => renderObject(object, decode(raw) as Record<string, unknown>, true)).join(',')}]`;
      const memoKey = `${object.id} ${rangeKeyOf(range)}`;
      const last = renderings.get(memoKey);
      const raws = served.value;
      let changed = last === undefined || last.raws.length !== raws.length;
      const jsons = raws.map((raw, i) => {
        if (last?.raws[i] === raw) return last.jsons[i]!;
        changed = true;
        return renderObject(object, decode(raw) as Record<string, unknown>, false);
      });
      if (changed) remember(memoKey, { raws, jsons, owner: range.key });
      return `[${jsons.join(',')}]`;
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;

function renderObject({ typeName, leaves }: ObjectPlan, value: Record<string, unknown>, stale: boolean): string {
  let json = '{';
  for (const leaf of leaves) {
    json += leaf.prefix;
    if (leaf.items !== undefined) json += renderList(leaf.items, value[leaf.name], stale);
    else if (leaf.type === null) json += JSON.stringify(typeName);
    else json += renderLeaf(leaf, leaf.name === 'stale' ? stale : value[leaf.name]);
  }
  return `${json}}`;
}

/** A list of records (a book side), each item rendered by `items`; throws if it is not one. */
function renderList(items: ObjectPlan, list: unknown, stale: boolean): string {
  if (!Array.isArray(list)) throw new Error('not a list');
  let json = '[';
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'object' || item === null) throw new Error('not a record');
    json += (i === 0 ? '' : ',') + renderObject(items, item as Record<string, unknown>, stale);
  }
  return `${json}]`;
}

/** A leaf as graphql-js completes it and `JSON.stringify` then writes it; throws where graphql-js would report an error. */
function renderLeaf(leaf: LeafPlan, value: unknown): string {
  if (value === null || value === undefined) {
    if (leaf.nonNull) throw new Error(`${leaf.name} is null`);
    return 'null';
  }
  const serialized = leaf.type!.serialize(value);
  if (serialized === null || serialized === undefined) throw new Error(`${leaf.name} serialised to nothing`);
  return typeof serialized === 'number' && Number.isFinite(serialized) ? `${serialized}` : JSON.stringify(serialized);
}
