/**
 * Which Redis the gateway talks to, as the environment says: a standalone server (`REDIS_URL`), a
 * Redis Cluster (`REDIS_CLUSTER_NODES`) or a master watched by Sentinel (`REDIS_SENTINELS` and
 * `REDIS_SENTINEL_NAME`). Exactly one may be set; none means the embedded in-memory store.
 */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | ({ kind: 'cluster'; nodes: readonly HostPort[] } & RedisAuth)
  | ({ kind: 'sentinel'; sentinels: readonly HostPort[]; name: string; db: number } & RedisAuth);

export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS, written once on the first seed (see `parseRedisTopology`). */
export interface RedisAuth {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** The variables that choose a topology, as `loadConfig` reads them (trimmed, empty as unset). */
export interface TopologyVariables {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
}

/**
 * Parses the topology variables, throwing a `TypeError` that names the variable, what it expects
 * and what it received (never a password) on a bad value or combination.
 *
 * Seeds are comma-separated. Each is `host:port`, or a URL as in `REDIS_URL`
 * (`rediss://user:password@host:port`): credentials and TLS are written once, on the first seed,
 * and apply to every node (and, with Sentinel, to the sentinels too). A later seed may repeat them
 * exactly or leave them out; it may not give others.
 */
export function parseRedisTopology(variables: TopologyVariables): RedisTopology | undefined {
  const { REDIS_URL: url, REDIS_CLUSTER_NODES: cluster, REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: name } = variables;
  const given = Object.entries({ REDIS_URL: url, REDIS_CLUSTER_NODES: cluster, REDIS_SENTINELS: sentinels }).filter(([, value]) => value !== undefined);
  if (given.length > 1) {
    throw new TypeError(`${given[1]![0]}: expected only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, received ${given.map(([variable]) => variable).join(' and ')}`);
  }
  if (name !== undefined && sentinels === undefined) {
    throw new TypeError('REDIS_SENTINEL_NAME: expected REDIS_SENTINELS to be set too, received REDIS_SENTINEL_NAME alone');
  }
  if (url !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw fail('REDIS_URL', 'a redis:// or rediss:// URL', url);
    return { kind: 'standalone', url };
  }
  if (cluster !== undefined) {
    const { seeds, auth, db } = parseSeeds('REDIS_CLUSTER_NODES', cluster);
    if (db !== 0) throw fail('REDIS_CLUSTER_NODES', 'seeds without a database number (a cluster has only database 0)', cluster);
    return { kind: 'cluster', nodes: seeds, ...auth };
  }
  if (sentinels !== undefined) {
    if (name === undefined) throw new TypeError('REDIS_SENTINEL_NAME: expected the name of the master the sentinels watch (as in `sentinel monitor <name> ...`), received nothing');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw fail('REDIS_SENTINEL_NAME', '1-64 characters of A-Z a-z 0-9 _ . -', name);
    const { seeds, auth, db } = parseSeeds('REDIS_SENTINELS', sentinels);
    return { kind: 'sentinel', sentinels: seeds, name, db, ...auth };
  }
  return undefined;
}

const SEED = /^(?:(rediss?):\/\/(?:([^:@/\s]*)(?::([^@/\s]*))?@)?)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})(?:\/(\d{1,2}))?$/;
const MAX_SEEDS = 64;

function parseSeeds(variable: string, list: string) {
  const parts = list.split(',').map((part) => part.trim());
  if (parts.length > MAX_SEEDS) throw fail(variable, `at most ${MAX_SEEDS} comma-separated seeds`, `${parts.length} seeds`);
  let first: { scheme: string | undefined; username: string | undefined; password: string | undefined; db: number } | undefined;
  const seeds: HostPort[] = [];
  for (const part of parts) {
    const match = SEED.exec(part);
    const port = Number(match?.[5]);
    if (match === null || port < 1 || port > 65_535) {
      throw fail(variable, 'comma-separated seeds, each host:port or a redis:// or rediss:// URL such as rediss://user:password@10.0.0.1:6379', part);
    }
    const [, scheme, username, password, host, , db] = match;
    const seed = { scheme, username: username || undefined, password: password === undefined ? undefined : decodeURIComponent(password), db: db === undefined ? 0 : Number(db) };
    if (first === undefined) {
      first = seed;
    } else if (scheme !== undefined) {
      const same = seed.scheme === first.scheme && seed.username === first.username && seed.password === first.password && seed.db === first.db;
      if (!same) throw fail(variable, 'the credentials, TLS and database of the first seed, or none (write them once, on the first seed)', part);
    }
    seeds.push({ host: host!.replace(/^\[|\]$/g, ''), port });
  }
  const auth: RedisAuth = { username: first!.username === undefined ? undefined : decodeURIComponent(first!.username), password: first!.password, tls: first!.scheme === 'rediss' };
  return { seeds, auth, db: first!.db };
}

/** Never echoes credentials: everything up to the last '@' may be a password. */
function fail(variable: string, expected: string, received: string) {
  return new TypeError(`${variable}: expected ${expected}, received ${JSON.stringify(received.replace(/^.*@/, '***@'))}`);
}
