/** What the signed-in session told the page (the services this Slipway serves). */
let services: string[] = [];

export function setSessionServices(list: string[]): void {
  services = [...list];
}

export function sessionServices(): readonly string[] {
  return services;
}
