/**
 * Slipway's defaults, in one place. The account and region are what a request gets when its
 * credentials name neither (no SigV4 scope, or an access key Slipway does not know).
 */
export const DEFAULT_ACCOUNT_ID = "000000000000";
export const DEFAULT_REGION = "us-east-1";
/** The one loopback port every API, the registry and the console share. */
export const DEFAULT_PORT = 4566;
export const DEFAULT_DATA_DIR = ".slipway";
/** The Docker network awsvpc tasks join. */
export const DEFAULT_AWSVPC_NETWORK = "slipway-awsvpc";

/**
 * How long the API port waits on a client. Stalls are cut, long transfers are not: a registry
 * upload may stream for an hour as long as bytes keep arriving.
 */
export const DEFAULT_TIMEOUTS = {
  /** The request line and headers must arrive within this (else 408 and the connection closes). */
  headersMs: 60_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: 65_000,
  /** An API request body that sends nothing for this long is given up (408). */
  apiBodyIdleMs: 30_000,
  /** A registry upload or manifest body that sends nothing for this long is given up. */
  registryBodyIdleMs: 60_000,
} as const;

export type Timeouts = { -readonly [K in keyof typeof DEFAULT_TIMEOUTS]: number };
