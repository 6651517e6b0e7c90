/**
 * A webhook's `events` filter: `*` matches every type, a trailing `.*` matches a prefix
 * (`user.*` matches `user.created` and `user.email.changed`, not `user` or `users.x`),
 * anything else matches exactly.
 */
export function matchesFilter(filters: readonly string[], type: string): boolean {
  for (const f of filters) {
    if (f === '*' || f === type) return true;
    if (f.endsWith('.*') && type.startsWith(f.slice(0, -1))) return true;
  }
  return false;
}

export const FILTER_PATTERN = /^(\*|[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*(\.\*)?)$/;
