/** Stable codes of configuration loading and validation; a code never changes meaning once released. */
export const ConfigErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_UNREADABLE: 'CONFIG_UNREADABLE',
  CONFIG_YAML: 'CONFIG_YAML',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];
