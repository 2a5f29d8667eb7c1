/** Public surface of the AWS wire layer for the composition root and the services. */
export type { LookupSecret, SecretRecord } from "./auth/sigv4.ts";
export { defineHandlers } from "./define-service.ts";
export { createGateway, type Gateway, type GatewayLogger, type GatewayOptions, type GatewayRequest } from "./gateway.ts";
export type { WireResponse } from "./protocol/index.ts";
export type { Handler, Protocol, RequestContext, ServiceDefinition, TypedHandlers } from "./service.ts";
export { ServiceError } from "./service-error.ts";
