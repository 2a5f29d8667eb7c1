/** Assertions on AWS errors as a real @aws-sdk client surfaces them. */
import assert from "node:assert/strict";

interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number };
}

/**
 * `p` rejects with the SDK error class `name`, HTTP status `status` (default 400), and, when given,
 * exactly `message` (a string) or a message matching it (a RegExp).
 */
export async function expectError(p: Promise<unknown>, name: string, message?: string | RegExp, status = 400): Promise<void> {
  await assert.rejects(p, (err: SdkError) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  });
}
