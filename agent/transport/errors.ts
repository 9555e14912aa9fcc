import { CodedError, type ExitClasses } from '../../core/coded-error.ts';
import type { BrokerErrorCode } from './broker-errors.ts';
import type { StoreErrorCode } from '../store/errors.ts';
/** Stable codes of the MQTT transport and its worker; a code never changes meaning once released. */
export const MqttErrorCode = {
  MQTT_FILE_UNREADABLE: 'MQTT_FILE_UNREADABLE',
  MQTT_NOT_CONNECTED: 'MQTT_NOT_CONNECTED',
  MQTT_PUBLISH_FAILED: 'MQTT_PUBLISH_FAILED',
  MQTT_PUBLISH_REJECTED: 'MQTT_PUBLISH_REJECTED',
  MQTT_PUMP_FAILED: 'MQTT_PUMP_FAILED',
  MQTT_SECRET_FILE_MODE: 'MQTT_SECRET_FILE_MODE',
  MQTT_TLS_SETTINGS: 'MQTT_TLS_SETTINGS',
  MQTT_WORKER_EXITED: 'MQTT_WORKER_EXITED',
  MQTT_WORKER_FAILED: 'MQTT_WORKER_FAILED',
} as const;
export type MqttErrorCode = (typeof MqttErrorCode)[keyof typeof MqttErrorCode];

/** How the command line exits on each code (ExitClass, core/coded-error.ts): the broker's files (password, CA, client key) are read at start and refused as runtime errors, like the key file. */
export const MqttErrorExit: ExitClasses<MqttErrorCode> = {
  MQTT_FILE_UNREADABLE: 'runtime',
  MQTT_NOT_CONNECTED: 'runtime',
  MQTT_PUBLISH_FAILED: 'runtime',
  MQTT_PUBLISH_REJECTED: 'runtime',
  MQTT_PUMP_FAILED: 'runtime',
  MQTT_SECRET_FILE_MODE: 'runtime',
  MQTT_TLS_SETTINGS: 'runtime',
  MQTT_WORKER_EXITED: 'runtime',
  MQTT_WORKER_FAILED: 'runtime',
};

export class MqttError extends CodedError<MqttErrorCode> {}

/** What a publisher counts: its own codes, the broker's refusals, and the store's when recording a delivery fails. */
export type PublisherErrorCode = MqttErrorCode | BrokerErrorCode | StoreErrorCode;
