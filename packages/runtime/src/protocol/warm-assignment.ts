// What a role pool's owner (the coordinator side, `coordinator/role-pool.ts`) writes to a process
// it started ahead (the role side, `role/warm-role.ts`): one JSON line on stdin, then stdin ends.

/** What the pool's owner writes to a warm process's stdin, as one JSON line. */
export interface WarmAssignment {
  readonly entry: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The whole environment of the role: every variable not named here is removed. */
  readonly env: Readonly<Record<string, string>>;
}
