/** alb-routing.test.ts against the HAProxy data plane (`slipway up --data-plane haproxy`). */
process.env.SLIPWAY_TEST_DATA_PLANE = "haproxy";
await import("./alb-routing.test.ts");
