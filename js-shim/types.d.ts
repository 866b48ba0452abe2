// Shared declarations of the Wasm boundary (docs/contracts.md section 1) and of the connector
// surface the host sees. Declarations only; nothing here exists at run time.
import type {
  ConnectorMetadata,
  ConnectorType,
  EmailTemplateDetails,
  GetConnectorConfig,
  GetI18nEmailTemplate,
  SendMessageData,
} from '@logto/connector-kit';

export type Kind = 'aliyun-dm' | 'aliyun-sms' | 'aliyun-sms-auth';

export type ErrorData = { errorDescription: string; [key: string]: unknown };

export type Envelope<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: string; data: ErrorData } };

/** A config issue as the core reports it: `templates[2].usageType`; `''` is the whole config. */
export type ConfigIssue = { path: string; message: string };

/** The same as a zod `custom` issue: `['templates', 2, 'usageType']`; `[]` is the whole config. */
export type HostConfigIssue = { code: 'custom'; path: Array<string | number>; message: string };

/**
 * The data of an `invalid_config` error from the config rules, and the configGuard's error: a
 * ZodError of the host's zod (a SyntaxError when zod cannot be resolved), with these own
 * properties.
 */
export type HostConfigError = Error & { errorDescription: string; issues: HostConfigIssue[] };

export type SendInput = {
  /** The raw stored config; the core validates it. */
  config: unknown;
  to: string;
  /** A Logto TemplateType; unknown values fall back to Generic. */
  type: string;
  payload: Record<string, unknown>;
  /** aliyun-dm only: `getI18nEmailTemplate(type, payload.locale)`, null if none or failed. */
  template: EmailTemplateDetails | null;
  nowMs: number;
  nonce: string;
};

export type HttpRequest = {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Read at most this many bytes (plus one) of the answer; the core refuses larger ones. */
  maxResponseBytes: number;
};

export type NetworkErrorKind = 'timeout' | 'refused' | 'dns' | 'reset' | 'other';

export type TransportResult =
  | { status: number; body: string }
  | { networkError: { kind: NetworkErrorKind; message: string; sent: boolean } };

export interface Transport {
  /** Never rejects. */
  send(req: HttpRequest): Promise<TransportResult>;
  sleep(ms: number): Promise<void>;
  stamp(): { nowMs: number; nonce: string };
}

/** Aliyun's success body: DM `{ EnvId, RequestId }`, SMS `{ Code, Message, BizId?, RequestId }`. */
export type ProviderResult =
  | { EnvId: string; RequestId: string }
  | { Code: string; Message: string; BizId?: string; RequestId: string };

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
  sendMessage(data: SendMessageData, inputConfig?: unknown): Promise<ProviderResult>;
};

export type CreateAliyunConnector<Type extends ConnectorType.Email | ConnectorType.Sms> = (options: {
  getConfig: GetConnectorConfig;
  getI18nEmailTemplate?: GetI18nEmailTemplate;
}) => Promise<AliyunConnector<Type>>;
