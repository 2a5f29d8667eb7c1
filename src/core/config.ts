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
