/**
 * What a station id may be. The id is the certificate's CN, hence the MQTT username and client id
 * at the broker (config/mosquitto) and the `{stationId}` segment of every topic, so it must be a
 * plain topic segment and must never name an identity the ACL trusts more than a station.
 *
 * Pattern: 3-64 characters, lowercase letters, digits and dashes, starting with a letter or digit
 * (`hcm-bt-dkc-01`). No `+ # / $`, so no MQTT wildcard or `$SYS` path can be spelled, no dots or
 * upper case, so no look-alike of a reserved name.
 */
export const STATION_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/**
 * Privileged or infrastructure names and their prefixes: `central` (the ACL's read-write user),
 * `central-…` (central services), the broker's own names. A station id equal to one, or starting
 * with one followed by a dash, is refused, so no station certificate can ever be read as central.
 */
export const RESERVED_IDENTITIES = ['central', 'admin', 'administrator', 'broker', 'mosquitto', 'dynsec', 'root', 'operator', 'system', 'sys', 'superuser', 'bridge', 'cds', 'all', 'anonymous'] as const;

/** The identity central's own services use (certificate CN and MQTT username); issued only by `provision central`. */
export const CENTRAL_IDENTITY = 'central';

/** Why `id` cannot be a station id, or null when it can. */
export function stationIdProblem(id: string): string | null {
  if (!STATION_ID_PATTERN.test(id)) {
    return `"${id}" is not a station id: expected 3-64 lowercase letters, digits and dashes, starting with a letter or digit (no wildcards + #, no / or $)`;
  }
  const reserved = RESERVED_IDENTITIES.find((r) => id === r || id.startsWith(`${r}-`));
  if (reserved) return `"${id}" is reserved (${reserved}): it names a privileged or broker identity, never a station`;
  return null;
}
