import { ConfigError } from '../../api/errors.js';

export type PresetName = 'gmail' | 'outlook';

/** What imapfw knows of a big provider: where its IMAP server is, and its limits. */
export interface ProviderPreset {
  name: PresetName;
  /** How messages name it. */
  label: string;
  /** IMAP over TLS on port 993. */
  host: string;
  /** Hosts that mean this provider when given in a URL. */
  hosts: readonly string[];
  /** The `imapfw login --provider` for its OAuth2. */
  oauth2Provider: 'google' | 'microsoft';
  /**
   * Folders a one-way copy (a mirror, a migration's source) skips unless told
   * otherwise: Gmail's label views hold again messages that live in other folders.
   */
  sourceExclude: readonly string[];
  /** Connections per account at most, shared by every imapfw connection to it. */
  maxConnections: number;
  /** The largest message the provider takes on upload, in bytes. */
  maxUploadBytes: number;
}

export const PRESETS: Readonly<Record<PresetName, ProviderPreset>> = {
  gmail: {
    name: 'gmail',
    label: 'Gmail',
    host: 'imap.gmail.com',
    hosts: ['imap.gmail.com', 'imap.googlemail.com'],
    oauth2Provider: 'google',
    sourceExclude: ['[Gmail]/All Mail', '[Gmail]/Important', '[Gmail]/Starred', '[Google Mail]/All Mail', '[Google Mail]/Important', '[Google Mail]/Starred'],
    maxConnections: 10,
    maxUploadBytes: 25 * 1024 * 1024,
  },
  outlook: {
    name: 'outlook',
    label: 'Microsoft 365',
    host: 'outlook.office365.com',
    hosts: ['outlook.office365.com', 'outlook.office.com', 'imap-mail.outlook.com', 'imap.outlook.com'],
    oauth2Provider: 'microsoft',
    sourceExclude: [],
    maxConnections: 8,
    maxUploadBytes: 35 * 1024 * 1024,
  },
};

/** The preset named by `--provider`, else the one recognised from the URL's host, else none. */
export function findPreset(name: string | undefined, url: string | undefined, flag = '--provider'): ProviderPreset | undefined {
  if (name !== undefined) {
    const preset = (PRESETS as Record<string, ProviderPreset>)[name.toLowerCase()];
    if (!preset) throw new ConfigError(`${flag} must be ${Object.keys(PRESETS).join(' or ')}, not "${name}"`);
    return preset;
  }
  const host = url === undefined ? undefined : hostOf(url);
  return host === undefined ? undefined : Object.values(PRESETS).find((preset) => preset.hosts.includes(host));
}

/**
 * The server URL for a preset: `--remote ADDRESS` (no scheme) or no
 * `--remote` but `--oauth2 ADDRESS` mean `imaps://ADDRESS@<the provider's host>`.
 */
export function presetUrl(preset: ProviderPreset | undefined, url: string | undefined, address: string | undefined): string | undefined {
  if (!preset || (url !== undefined && url.includes('://'))) return url;
  const user = url ?? address;
  return user === undefined ? undefined : `imaps://${encodeURIComponent(user)}@${preset.host}`;
}

/** The engine's upload limit for a server of this preset. */
export function uploadLimitOf(preset: ProviderPreset | undefined): { bytes: number; provider: string } | undefined {
  return preset ? { bytes: preset.maxUploadBytes, provider: preset.label } : undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
