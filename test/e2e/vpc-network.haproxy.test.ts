/** vpc-network.test.ts's load-balancer parts against the HAProxy data plane (`slipway up --data-plane haproxy`). */
process.env.SLIPWAY_TEST_DATA_PLANE = "haproxy";
await import("./vpc-network.test.ts");
