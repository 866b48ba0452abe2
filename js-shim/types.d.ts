// The connector surface the host sees. The Wasm boundary's own types (Kind, Envelope,
// SendInput, Transport, Delivered) are declared once, in the core (src/wasm/mod.rs), and come
// from the glue wasm-bindgen generates. Declarations only; nothing here exists at run time.
import type {
  ConnectorMetadata,
  ConnectorType,
  GetConnectorConfig,
  GetI18nEmailTemplate,
  SendMessageData,
} from '@logto/connector-kit';
import type {
  Delivered,
  Envelope,
  ErrorData,
  Kind,
  SendInput,
  Transport,
} from '../pkg/aliyun_connectors.js';

export type { Delivered, Envelope, ErrorData, Kind, SendInput, Transport };

/** A config issue as the core reports it: `templates[2].usageType`; `''` is the whole config. */
export type ConfigIssue = { path: string; message: string };

/** The same as a zod `custom` issue: `['templates', 2, 'usageType']`; `[]` is the whole config. */
export type HostConfigIssue = { code: 'custom'; path: Array<string | number>; message: string };

/**
 * The data of an `invalid_config` error from the config rules, and the configGuard's error: a
 * ZodError of the host's zod (a SyntaxError without one), with these own
 * properties.
 */
export type HostConfigError = Error & { errorDescription: string; issues: HostConfigIssue[] };

/** The `configGuard` Logto calls: only `safeParse`, over the core's validation. */
export type ConfigGuard = {
  safeParse(
    config: unknown,
  ): { success: true; data: Record<string, unknown> } | { success: false; error: HostConfigError };
};

export type AliyunConnector<Type extends ConnectorType.Email | ConnectorType.Sms> = {
  metadata: ConnectorMetadata;
  type: Type;
  configGuard: ConfigGuard;
  /** Rejects only with `ConnectorError` from the host's `@logto/connector-kit`. */
  sendMessage(data: SendMessageData, inputConfig?: unknown): Promise<Delivered>;
};

export type CreateAliyunConnector<Type extends ConnectorType.Email | ConnectorType.Sms> =
  (options: {
    getConfig: GetConnectorConfig;
    getI18nEmailTemplate?: GetI18nEmailTemplate;
  }) => Promise<AliyunConnector<Type>>;
