import { CodedError, type ExitClasses } from '../../core/coded-error.ts';

/** Stable codes of configuration loading and validation; a code never changes meaning once released. */
export const ConfigErrorCode = {
  CONFIG_FILE_UNREADABLE: 'CONFIG_FILE_UNREADABLE',
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_UNREADABLE: 'CONFIG_UNREADABLE',
  CONFIG_YAML: 'CONFIG_YAML',
  // What `config check` and `run` find about the files a valid configuration names (preflight.ts).
  CREDENTIAL_EXPIRED: 'CREDENTIAL_EXPIRED',
  CREDENTIAL_LEVEL: 'CREDENTIAL_LEVEL',
  CREDENTIAL_MALFORMED: 'CREDENTIAL_MALFORMED',
  CREDENTIAL_NOT_THIS_DEVICE: 'CREDENTIAL_NOT_THIS_DEVICE',
  CREDENTIAL_SCOPE: 'CREDENTIAL_SCOPE',
  IDENTITY_MISSING: 'IDENTITY_MISSING',
  IDENTITY_NO_CREDENTIAL: 'IDENTITY_NO_CREDENTIAL',
  KEY_SOFTWARE_WITH_TPM: 'KEY_SOFTWARE_WITH_TPM',
  STORE_UNWRITABLE: 'STORE_UNWRITABLE',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** How the command line exits on each code (ExitClass, core/coded-error.ts): the configuration and the identity files it names are the user's to fix (`config check` finds them); a database that cannot be written failed while running. */
export const ConfigErrorExit: ExitClasses<ConfigErrorCode> = {
  CONFIG_FILE_UNREADABLE: 'input',
  CONFIG_INVALID: 'input',
  CONFIG_UNREADABLE: 'input',
  CONFIG_YAML: 'input',
  CREDENTIAL_EXPIRED: 'input',
  CREDENTIAL_LEVEL: 'input',
  CREDENTIAL_MALFORMED: 'input',
  CREDENTIAL_NOT_THIS_DEVICE: 'input',
  CREDENTIAL_SCOPE: 'input',
  IDENTITY_MISSING: 'input',
  IDENTITY_NO_CREDENTIAL: 'input',
  KEY_SOFTWARE_WITH_TPM: 'input',
  STORE_UNWRITABLE: 'runtime',
};

export interface ConfigIssue {
  path: string;
  value: unknown;
  expected: string;
}

/** A configuration the agent cannot run with; `issues` names each field path, the value found and what was expected. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  constructor(
    code: ConfigErrorCode,
    message: string,
    readonly issues: ConfigIssue[] = [],
  ) {
    super(code, message, { issues });
  }
}
