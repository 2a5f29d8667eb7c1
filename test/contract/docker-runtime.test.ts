import { DockerRuntime } from "../../src/runtime/docker/docker-runtime.ts";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { runtimeContract } from "./runtime.contract.ts";

const skip = await dockerAvailable();
if (skip) console.log(`# skipping DockerRuntime contract: ${skip}`);

runtimeContract("DockerRuntime", {
  skip,
  setup: ensureTestImages,
  newRuntime: () => new DockerRuntime(),
  close: (rt) => rt.client.close(),
  testImage: TEST_IMAGES.busybox,
  webImage: TEST_IMAGES.web,
  unpullableImage: "127.0.0.1:1/nope:latest",
  supportsProcesses: true,
});
