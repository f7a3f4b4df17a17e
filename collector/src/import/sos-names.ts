import { SPECS } from '@nsnap/shared/core';

/**
 * Where a sosreport keeps the outputs an import reads, as sos's networking
 * plugin names them (sos/report/plugins/networking.py; file names from
 * `_mangle_command` in sos/report/plugins/__init__.py). All paths are
 * relative to the unpacked report's root.
 */

export const SOS_NETWORKING_DIR = ['sos_commands', 'networking'] as const;

/** The spec table's sosreport bindings of `spec` that name one file of the host (no `NAME`), in its order. */
function sosHostFiles(spec: 'ip_link_text' | 'ip_netns_text'): Array<{ file: string; command: string[] }> {
  const dir = `${SOS_NETWORKING_DIR.join('/')}/`;
  return SPECS[spec].imports.flatMap((b) => (b.sos ?? []).filter((p) => p.startsWith(dir) && !p.includes('NAME') && !p.slice(dir.length).includes('/')).map((p) => ({ file: p.slice(dir.length), command: [...b.argv] })));
}

/**
 * The host's links, best first: `ip -d address` (kind, link-netns/link-netnsid
 * and addresses) and `ip -s -d link` (kind and counters), both in every sos
 * since 2019 (3.7); `ip -o addr` has no link lines and is not used.
 */
export const SOS_HOST_LINKS: ReadonlyArray<{ file: string; command: string[] }> = sosHostFiles('ip_link_text');

/** `ip netns`: the named namespaces, each with the host's nsid for it once one is assigned. */
export const SOS_NETNS_LIST = sosHostFiles('ip_netns_text')[0] as { file: string; command: string[] };

/**
 * sos's file name for a command: a leading /usr/bin/ (or /bin/, /sbin/) dropped,
 * every run of characters other than word characters, `-`, `.` and `/` made
 * one `_`, `/` made `.`, and leading or trailing ` ._-` stripped.
 */
export function sosFileName(command: string, nameMax = 255): string {
  return command
    .replace(/^\/(usr\/|)(bin|sbin)\//, '')
    .replace(/[^\w\-./]+/g, '_')
    .replace(/\//g, '.')
    .replace(/^[ ._-]+|[ ._-]+$/g, '')
    .slice(0, nameMax);
}

/**
 * Where one named namespace's link dump can be, newest layout first, with the
 * command that made it:
 * - sos ≥ 4.3 (2021-12): `namespaces/NAME/ip_netns_exec_NAME_ip_-d_address_show`;
 * - sos 3.7–4.2: the same file directly in sos_commands/networking/;
 * - sos 3.3–3.6 (2015–2019): `ip_netns_exec_NAME_ip_address_show`, without -d.
 * sos writes the command with two spaces after the name (`ip netns exec NAME  ip …`),
 * which the mangling folds into one `_`.
 */
export function sosNamespaceFiles(name: string): Array<{ dir: string[]; file: string; command: string[] }> {
  const withDetails = ['ip', 'netns', 'exec', name, 'ip', '-d', 'address', 'show'];
  const plain = ['ip', 'netns', 'exec', name, 'ip', 'address', 'show'];
  const detailed = sosFileName(`ip netns exec ${name}  ip -d address show`);
  return [
    { dir: ['namespaces', name], file: detailed, command: withDetails },
    { dir: [], file: detailed, command: withDetails },
    { dir: [], file: sosFileName(`ip netns exec ${name} ip address show`), command: plain },
  ];
}
